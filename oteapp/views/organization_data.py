"""All of one organization's data as JSON, for its owners (Members → Organization settings)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_safe

from accounts.permissions import OWNER_ONLY, role_required
from oteapp.files.organization_export import organization_data_export


@require_safe
@role_required(OWNER_ONLY)
def organization_export_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    data = organization_data_export(organization=request.organization)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{org_slug}-export.json"'
    return response


urlpatterns = [path("organization/export/", organization_export_view, name="organization_export")]
