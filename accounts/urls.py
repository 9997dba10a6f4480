from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/invite/", views.invitation_create_view, name="invite"),
    path("members/<int:membership_id>/role/", views.membership_role_view, name="member_role"),
    path("members/<int:membership_id>/remove/", views.membership_remove_view, name="member_remove"),
    path("members/invitations/<int:invitation_id>/resend/", views.invitation_resend_view, name="invitation_resend"),
    path("members/invitations/<int:invitation_id>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
    path("organization/", views.organization_settings_view, name="organization_settings"),
    path("organization/export/", views.organization_export_view, name="organization_export"),
    path("organization/delete/", views.organization_delete_view, name="organization_delete"),
]
