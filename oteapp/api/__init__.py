"""The JSON API at /api/v1/ (SPEC section 16): django-ninja, per-organization keys, RFC 9457 problems."""
