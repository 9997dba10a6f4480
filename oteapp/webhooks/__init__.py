"""Webhooks (SPEC section 16): endpoints an organization registers, events signed per Standard Webhooks and
delivered by Celery with retries. `webhook_event_emit` (oteapp/webhooks/events.py) is the one way to send an event."""
