"""Plan drafts: saved, renamed, deleted and applied per organization, each audited; a bad candidate saves nothing."""

from decimal import Decimal

import pytest

from accounts.tenancy import organization_context
from oteapp.files.configuration import ConfigImportError, candidate_config, plan_document
from oteapp.models import AuditEvent, PlanDraft, SalesRole
from oteapp.selectors import organization_config_get
from oteapp.services.plan_drafts import (
    DraftNameError,
    plan_draft_apply,
    plan_draft_create,
    plan_draft_delete,
    plan_draft_rename,
)
from tests.factories import UserFactory, organization_with_members, rep_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    organization = organization_with_members("Draft Roofing", owner=UserFactory())
    with organization_context(organization):
        yield organization


def document(organization, **closer) -> dict:
    data = plan_document(organization=organization, config=organization_config_get(organization=organization))
    data["roles"]["closer"].update(closer)
    return data


def test_a_plan_document_round_trips_to_the_same_configuration(org):
    rep = rep_create(org, name="Ana", role="closer")
    rep.commission_rate = Decimal("0.12")
    rep.save()
    config = organization_config_get(organization=org)

    data = plan_document(organization=org, config=config)

    assert data["reps"] == [{"name": "Ana", "plan": {"commission_rate": 0.12}}]
    assert candidate_config(organization=org, data=data) == config


def test_a_draft_is_saved_and_audited_without_touching_the_configuration(org):
    before = organization_config_get(organization=org)
    draft = plan_draft_create(
        organization=org, actor=None, name="  Higher   quotas ", configuration=document(org, monthly_quota=7),
        source="Edited on screen",
    )

    assert draft.name == "Higher quotas"
    assert candidate_config(organization=org, data=draft.configuration).role("closer").monthly_quota == 7
    assert organization_config_get(organization=org) == before
    event = AuditEvent.objects.get(action="plan_draft_save")
    assert (event.subject, event.new_value) == ("plan draft Higher quotas", "Edited on screen")


@pytest.mark.parametrize(
    ("closer", "error"),
    [
        ({"monthly_quota": 0}, "roles.closer.monthly_quota: must be greater than zero"),
        ({"monthly_quota": -2}, "roles.closer.monthly_quota"),
        ({"commission_rate": 1.5}, "roles.closer.commission_rate"),
    ],
)
def test_a_bad_candidate_saves_nothing(org, closer, error):
    with pytest.raises(ConfigImportError) as refused:
        plan_draft_create(organization=org, actor=None, name="Bad", configuration=document(org, **closer))
    assert error in refused.value.errors[0]
    assert not PlanDraft.objects.exists()
    assert not AuditEvent.objects.filter(action="plan_draft_save").exists()


def test_names_are_unique_per_organization(org):
    plan_draft_create(organization=org, actor=None, name="A", configuration=document(org))
    with pytest.raises(DraftNameError, match="already exists"):
        plan_draft_create(organization=org, actor=None, name="A", configuration=document(org))
    with pytest.raises(DraftNameError, match="Give the draft a name"):
        plan_draft_create(organization=org, actor=None, name="  ", configuration=document(org))
    other = organization_with_members("Another Roofing")
    with organization_context(other):
        plan_draft_create(organization=other, actor=None, name="A", configuration=document(other))
        assert PlanDraft.objects.count() == 1


def test_rename_and_delete_are_audited(org):
    draft = plan_draft_create(organization=org, actor=None, name="A", configuration=document(org))
    plan_draft_rename(organization=org, actor=None, draft_id=draft.pk, name="B")
    plan_draft_delete(organization=org, actor=None, draft_id=draft.pk)

    assert not PlanDraft.objects.exists()
    assert list(AuditEvent.objects.order_by("id").values_list("action", "old_value", "new_value")) == [
        ("plan_draft_save", "", "saved"),
        ("plan_draft_rename", "A", "B"),
        ("plan_draft_delete", "B", ""),
    ]


def test_applying_a_draft_goes_through_the_configuration_import(org):
    draft = plan_draft_create(
        organization=org, actor=None, name="Seven", configuration=document(org, monthly_quota=7, commission_rate=0.11)
    )
    result = plan_draft_apply(organization=org, actor=None, draft_id=draft.pk)

    closer = SalesRole.objects.get(key="closer")
    assert (closer.monthly_quota, closer.commission_rate) == (Decimal("7.00"), Decimal("0.1100"))
    assert result.roles_updated == 1
    changed = set(AuditEvent.objects.filter(action="config_import").values_list("field", flat=True))
    assert changed == {"monthly_quota", "commission_rate"}
    assert AuditEvent.objects.filter(action="plan_draft_apply", subject="plan draft Seven").exists()
