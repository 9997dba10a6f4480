from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from accounts import views as account_views
from oteapp.api.docs import docs as api_docs
from oteapp.api.v1 import api as api_v1
from oteapp.views import digests as digest_views
from oteapp.views import statements as statement_views


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness without the database: the framework's floor, for operators and the benchmark."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/docs", api_docs, name="api_docs"),
    path("api/v1/", api_v1.urls),
    path("organizations/", account_views.organization_list_view, name="organization_list"),
    path("organizations/new/", account_views.organization_create_view, name="organization_create"),
    path("invitations/<str:token>/", account_views.invitation_accept_view, name="invitation_accept"),
    *digest_views.public_urlpatterns,
    *statement_views.public_urlpatterns,
    path("o/<slug:org_slug>/", include("oteapp.urls")),
    path("o/<slug:org_slug>/", include("accounts.urls")),
]
