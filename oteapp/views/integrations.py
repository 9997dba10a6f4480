"""Organization → Integrations: API keys and webhook endpoints, for owners and admins.

A new key is shown once: the POST that creates it keeps its text in the session and redirects; the page shows it
and drops it from the session (POST-redirect-GET: reloading the page neither creates a second key nor shows the
first one again).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from accounts.permissions import CAN_CONFIGURE, role_required
from oteapp.api.keys import api_key_create, api_key_revoke
from oteapp.api.selectors import api_key_get, api_keys_list
from oteapp.models import ApiKeyScope, WebhookEventType
from oteapp.selectors import organization_timezone_get
from oteapp.webhooks.selectors import webhook_deliveries_recent, webhook_endpoint_get, webhook_endpoints_list
from oteapp.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_enable,
    webhook_test_send,
)

NEW_KEY_SESSION = "integrations_new_api_key"


def _errors(error: ValidationError) -> dict[str, str]:
    return {field: " ".join(messages_) for field, messages_ in error.message_dict.items()}


def _page(request: HttpRequest, *, key_form=None, webhook_form=None, status: int = 200) -> HttpResponse:
    organization = request.organization
    context = {
        "active_tab": "members",
        "api_keys": api_keys_list(organization=organization),
        "new_key": request.session.pop(NEW_KEY_SESSION, None),
        "endpoints": webhook_endpoints_list(organization=organization),
        "scopes": ApiKeyScope.choices,
        "event_types": WebhookEventType.choices,
        "key_form": key_form or {"values": {"scope": ApiKeyScope.READ}, "errors": {}},
        "webhook_form": webhook_form or {"values": {"event_types": []}, "errors": {}},
        "timezone_name": organization_timezone_get(organization=organization),
    }
    return render(request, "oteapp/integrations/page.html", context, status=status)


@require_safe
@role_required(CAN_CONFIGURE)
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _page(request)


@require_POST
@role_required(CAN_CONFIGURE)
def key_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    values = {"name": request.POST.get("name", ""), "scope": request.POST.get("scope", "")}
    try:
        api_key, text = api_key_create(organization=request.organization, actor=request.user, **values)
    except ValidationError as error:
        return _page(request, key_form={"values": values, "errors": _errors(error)}, status=422)
    request.session[NEW_KEY_SESSION] = {"name": api_key.name, "scope": api_key.get_scope_display(), "text": text}
    return redirect("oteapp:integrations", org_slug=org_slug)


@require_POST
@role_required(CAN_CONFIGURE)
def key_revoke(request: HttpRequest, org_slug: str, api_key_id: int) -> HttpResponse:
    api_key = api_key_get(organization=request.organization, api_key_id=api_key_id)
    if api_key is None:
        raise Http404("No such key.")
    api_key_revoke(organization=request.organization, actor=request.user, api_key=api_key)
    messages.success(request, f"The key {api_key.name} ({api_key.prefix}) was revoked; it no longer works.")
    return redirect("oteapp:integrations", org_slug=org_slug)


@require_POST
@role_required(CAN_CONFIGURE)
def webhook_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    values = {
        "url": request.POST.get("url", ""),
        "description": request.POST.get("description", ""),
        "event_types": request.POST.getlist("event_types"),
    }
    try:
        endpoint = webhook_endpoint_create(organization=request.organization, actor=request.user, **values)
    except ValidationError as error:
        return _page(request, webhook_form={"values": values, "errors": _errors(error)}, status=422)
    messages.success(request, f"Events will be sent to {endpoint.url}. Its signing secret is on its page.")
    return redirect("oteapp:webhook_endpoint", org_slug=org_slug, endpoint_id=endpoint.pk)


def _endpoint(request: HttpRequest, endpoint_id: int):
    endpoint = webhook_endpoint_get(organization=request.organization, endpoint_id=endpoint_id)
    if endpoint is None:
        raise Http404("No such endpoint.")
    return endpoint


@require_safe
@role_required(CAN_CONFIGURE)
def webhook_endpoint(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    organization = request.organization
    endpoint = _endpoint(request, endpoint_id)
    context = {
        "active_tab": "members",
        "endpoint": endpoint,
        "deliveries": webhook_deliveries_recent(organization=organization, endpoint=endpoint),
        "timezone_name": organization_timezone_get(organization=organization),
    }
    return render(request, "oteapp/integrations/endpoint.html", context)


@require_POST
@role_required(CAN_CONFIGURE)
def webhook_test(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    webhook_test_send(organization=request.organization, endpoint=endpoint)
    messages.success(request, "A test event is on its way; its attempts appear below.")
    return redirect("oteapp:webhook_endpoint", org_slug=org_slug, endpoint_id=endpoint.pk)


@require_POST
@role_required(CAN_CONFIGURE)
def webhook_enable(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = webhook_endpoint_enable(organization=request.organization, endpoint=_endpoint(request, endpoint_id))
    messages.success(request, f"Events will be sent to {endpoint.url} again.")
    return redirect("oteapp:webhook_endpoint", org_slug=org_slug, endpoint_id=endpoint.pk)


@require_POST
@role_required(CAN_CONFIGURE)
def webhook_delete(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    webhook_endpoint_delete(organization=request.organization, actor=request.user, endpoint=endpoint)
    messages.success(request, f"{endpoint.url} was deleted; no more events go there.")
    return redirect("oteapp:integrations", org_slug=org_slug)


urlpatterns = [
    path("integrations/", page, name="integrations"),
    path("integrations/keys/", key_create, name="api_key_create"),
    path("integrations/keys/<int:api_key_id>/revoke/", key_revoke, name="api_key_revoke"),
    path("integrations/webhooks/", webhook_create, name="webhook_create"),
    path("integrations/webhooks/<int:endpoint_id>/", webhook_endpoint, name="webhook_endpoint"),
    path("integrations/webhooks/<int:endpoint_id>/test/", webhook_test, name="webhook_test"),
    path("integrations/webhooks/<int:endpoint_id>/enable/", webhook_enable, name="webhook_enable"),
    path("integrations/webhooks/<int:endpoint_id>/delete/", webhook_delete, name="webhook_delete"),
]
