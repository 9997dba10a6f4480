from django.contrib import admin

from accounts.admin import TenantModelAdmin
from oteapp.models import (
    AuditEvent,
    DigestDelivery,
    MonthlyActual,
    MonthlySnapshot,
    OrganizationSettings,
    Rep,
    SalesRole,
)


@admin.register(OrganizationSettings)
class OrganizationSettingsAdmin(TenantModelAdmin):
    list_display = ["organization", "currency", "deal_value", "comp_model"]


@admin.register(SalesRole)
class SalesRoleAdmin(TenantModelAdmin):
    list_display = ["name", "organization", "kind", "annual_ote", "monthly_quota", "commission_rate"]


@admin.register(Rep)
class RepAdmin(TenantModelAdmin):
    list_display = ["name", "organization", "role", "start_date", "end_date"]
    search_fields = ["name", "email"]


@admin.register(MonthlyActual)
class MonthlyActualAdmin(TenantModelAdmin):
    list_display = ["rep", "organization", "month", "deals", "meetings", "team_deals", "revenue"]
    list_select_related = ["organization", "rep"]


@admin.register(AuditEvent)
class AuditEventAdmin(TenantModelAdmin):
    list_display = ["created_at", "organization", "actor", "action", "subject", "field", "old_value", "new_value"]


@admin.register(MonthlySnapshot)
class MonthlySnapshotAdmin(TenantModelAdmin):
    list_display = ["organization", "month", "computed_at", "frozen_at"]


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(TenantModelAdmin):
    list_display = ["organization", "recipient", "period", "state", "attempts", "sent_at"]
