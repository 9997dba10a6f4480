from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Invitation, Membership, Organization, User
from accounts.tenancy import TenantModel


class TenantModelAdmin(admin.ModelAdmin):
    """Staff see every organization's rows: the admin is a deliberate cross-tenant tool."""

    list_filter = ["organization"]
    list_select_related = ["organization"]

    def get_queryset(self, request):
        return self.model.unscoped.all()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if issubclass(db_field.related_model, TenantModel):
            kwargs["queryset"] = db_field.related_model.unscoped.all()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(TenantModelAdmin):
    list_display = ["user", "organization", "role", "receives_digests"]


@admin.register(Invitation)
class InvitationAdmin(TenantModelAdmin):
    list_display = ["email", "organization", "role", "created_at", "accepted_at"]
