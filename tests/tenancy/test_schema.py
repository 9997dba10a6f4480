"""Every tenant table is ready to be distributed by organization_id (Citus)."""

import pytest
from django.apps import apps
from django.db import connection, models

from accounts.tenancy import TenantModel

GLOBAL_MODELS = {
    "accounts.User", "accounts.Organization",
    "auth.Group", "auth.Permission", "contenttypes.ContentType", "sessions.Session",
    "admin.LogEntry", "account.EmailAddress", "account.EmailConfirmation",
}


def tenant_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


def test_every_project_model_is_tenant_owned_or_declared_global():
    for model in apps.get_models():
        label = model._meta.label
        if model._meta.app_label in {"accounts", "oteapp"} and label not in GLOBAL_MODELS:
            assert issubclass(model, TenantModel), f"{label} must derive from TenantModel"


def test_every_tenant_model_has_a_required_organization():
    assert len(tenant_models()) >= 9
    for model in tenant_models():
        field = model._meta.get_field("organization")
        assert field.related_model._meta.label == "accounts.Organization"
        assert not field.null, model


def test_every_unique_constraint_includes_the_organization():
    for model in tenant_models():
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                assert "organization" in constraint.fields, (model, constraint.name)
        for field in model._meta.fields:
            assert not (field.unique and not field.primary_key), f"{model.__name__}.{field.name} is globally unique"


# The indexes a lookup needs before any organization is known, each with its reason.
CROSS_ORGANIZATION_INDEXES = {
    "apikey_prefix_idx": "an API request's bearer key is found by its public prefix (oteapp/api/keys.py)",
}


@pytest.mark.django_db
def test_every_index_of_a_tenant_table_leads_with_organization_id():
    with connection.cursor() as cursor:
        for model in tenant_models():
            table = model._meta.db_table
            constraints = connection.introspection.get_constraints(cursor, table)
            for name, info in constraints.items():
                if info["primary_key"] or not (info["index"] or info["unique"]) or info["foreign_key"]:
                    continue
                if name in CROSS_ORGANIZATION_INDEXES:
                    continue
                assert info["columns"][0] == "organization_id", f"{table}.{name} leads with {info['columns']}"
