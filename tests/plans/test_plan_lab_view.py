"""The Plan lab: the plan in force beside drafts, the optimizer's form with field errors, drafts saved from its
result, and a draft applied after a confirmation listing every change."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import MemberRole, Membership
from accounts.tenancy import organization_context
from oteapp.files.configuration import plan_document
from oteapp.models import AuditEvent, OrganizationSettings, PlanDraft, SalesRole
from oteapp.number_format import format_money
from oteapp.selectors import organization_config_get
from tests.factories import UserFactory
from tests.oteapp.test_performance_view import OCTOBER, worked_example

pytestmark = pytest.mark.django_db

MONTHS = (date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1), OCTOBER)


@pytest.fixture
def history(organization):
    worked_example(organization, months=MONTHS)
    return organization


def url(organization, rest: str = "") -> str:
    return f"/o/{organization.slug}/plans/{rest}"


def test_the_page_shows_the_plan_in_force_over_the_months_with_actuals(owner_client, history):
    html = owner_client.get(url(history)).content.decode()

    assert "Plan lab" in html and "Plan in force" in html
    assert "Backtest over 4 months with actuals (Jul 2026 to Oct 2026)" in html
    assert 'id="plan-lab-chart-title"' in html
    assert "Propose a plan" in html and 'value="0.5"' in html and 'value="0.20"' in html


def test_the_optimizer_shows_each_roles_current_ote_in_the_organizations_currency(owner_client, history):
    OrganizationSettings.unscoped.filter(organization=history).update(currency="EUR")
    with organization_context(history):
        closer_ote = SalesRole.objects.get(key="closer").annual_ote

    html = owner_client.get(url(history)).content.decode()

    assert f"Blank: the current {format_money(closer_ote, currency='EUR')}." in html
    assert "€" in format_money(closer_ote, currency="EUR")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"share": "1"}, "share", "strictly between 0 and 1"),
        ({"cap": "0"}, "cap", "strictly between 0 and 1"),
        ({"cap": "-0.1"}, "cap", "strictly between 0 and 1"),
        ({"months": "2"}, "months", "greater than or equal to 3"),
        ({"months": "12", "target_closer": "-5"}, "target_closer", "Must not be negative."),
    ],
)
def test_bad_optimizer_inputs_are_field_errors(owner_client, history, data, field, message):
    form = {"share": "0.5", "cap": "0.2", "months": "12"} | data
    response = owner_client.post(url(history, "optimize/"), form)

    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert not PlanDraft.unscoped.exists()


def test_too_few_months_says_how_many_are_needed(owner_client, organization):
    worked_example(organization, months=MONTHS[-2:])
    response = owner_client.post(url(organization, "optimize/"), {"share": "0.5", "cap": "0.2", "months": "12"})

    assert response.status_code == 422
    assert "The optimizer needs at least 3 months with actuals; this organization has 2." in response.content.decode()


def test_optimize_save_compare_and_apply(owner_client, history):
    response = owner_client.post(
        url(history, "optimize/"), {"share": "0.5", "cap": "0.2", "months": "12"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section class="panel" id="optimizer"')
    assert "No constraint binds" in html or "The comp cap binds" in html
    token = html.split('name="token" value="')[1].split('"')[0]

    saved = owner_client.post(url(history, "drafts/save/"), {"token": token, "name": "History plan"})
    with organization_context(history):
        draft = PlanDraft.objects.get()
    assert saved.status_code == 302 and saved["Location"].endswith(f"?drafts={draft.pk}")
    compared = owner_client.get(saved["Location"]).content.decode()
    assert "History plan" in compared and "Plan in force" in compared

    confirm = owner_client.get(url(history, f"drafts/{draft.pk}/apply/")).content.decode()
    assert "Apply the draft “History plan”?" in confirm and "monthly quota" in confirm
    token = confirm.split('name="token" value="')[1].split('"')[0]
    applied = owner_client.post(url(history, f"drafts/{draft.pk}/apply/"), {"token": token})
    assert applied.status_code == 302
    with organization_context(history):
        assert organization_config_get(organization=history) == draft_config(history, draft)
        assert AuditEvent.objects.filter(action="plan_draft_apply").exists()


def draft_config(organization, draft):
    from oteapp.files.configuration import candidate_config

    return candidate_config(organization=organization, data=draft.configuration)


def test_a_file_with_a_zero_quota_saves_nothing(owner_client, history):
    with organization_context(history):
        document = plan_document(organization=history, config=organization_config_get(organization=history))
    document["roles"]["closer"]["monthly_quota"] = 0
    upload = SimpleUploadedFile("plan.json", __import__("json").dumps(document).encode())
    response = owner_client.post(url(history, "drafts/upload/"), {"name": "Zero", "file": upload})

    assert response.status_code == 422
    assert "roles.closer.monthly_quota: must be greater than zero" in response.content.decode()
    assert not PlanDraft.unscoped.exists()


def test_a_manager_models_plans_but_cannot_apply_them(client, history):
    manager = UserFactory()
    with organization_context(history):
        Membership.objects.create(organization=history, user=manager, role=MemberRole.MANAGER)
        document = plan_document(organization=history, config=organization_config_get(organization=history))
        draft = PlanDraft.objects.create(organization=history, name="Same", configuration=document)
    client.force_login(manager)

    assert client.get(url(history)).status_code == 200
    assert client.get(url(history, f"drafts/{draft.pk}/apply/")).status_code == 403
    closer = SalesRole.unscoped.get(organization=history, key="closer")
    assert closer.monthly_quota == SalesRole.unscoped.get(pk=closer.pk).monthly_quota


def edited_form(organization, **changes) -> dict:
    data = {"edited-name": "Edited"}
    for role in SalesRole.unscoped.filter(organization=organization):
        for name in ("annual_ote", "annual_base", "monthly_quota", "commission_rate"):
            data[f"edited-{role.key}-{name}"] = str(getattr(role, name))
    return data | changes


def test_the_plan_in_force_edited_on_screen_becomes_a_draft(owner_client, history):
    response = owner_client.post(
        url(history, "drafts/edited/"), edited_form(history, **{"edited-closer-monthly_quota": "6"})
    )

    assert response.status_code == 302
    draft = PlanDraft.unscoped.get(organization=history)
    assert (draft.name, draft.source) == ("Edited", "Edited on screen")
    assert draft.configuration["roles"]["closer"]["monthly_quota"] == 6
    assert SalesRole.unscoped.get(organization=history, key="closer").monthly_quota == 5


@pytest.mark.parametrize("quota", ["0", "-3"])
def test_an_edited_zero_or_negative_quota_is_a_field_error(owner_client, history, quota):
    response = owner_client.post(
        url(history, "drafts/edited/"), edited_form(history, **{"edited-closer-monthly_quota": quota})
    )

    assert response.status_code == 422
    assert "A quota must be greater than zero." in response.content.decode()
    assert not PlanDraft.unscoped.exists()


def test_a_deeply_nested_file_is_refused_clearly(owner_client, history):
    upload = SimpleUploadedFile("plan.json", b"[" * 100_000 + b"]" * 100_000)
    response = owner_client.post(url(history, "drafts/upload/"), {"name": "Deep", "file": upload})

    assert response.status_code == 422
    assert "nested too deeply" in response.content.decode()
    assert not PlanDraft.unscoped.exists()


def test_a_draft_is_renamed_from_the_list_and_a_taken_name_is_refused(owner_client, history):
    with organization_context(history):
        document = plan_document(organization=history, config=organization_config_get(organization=history))
        first = PlanDraft.objects.create(organization=history, name="First", configuration=document)
        PlanDraft.objects.create(organization=history, name="Second", configuration=document)

    page = owner_client.post(url(history, f"drafts/{first.pk}/rename/"), {"name": "  Cap   at 15% "}, follow=True)
    assert "Draft “First” renamed “Cap at 15%”." in page.content.decode()
    assert PlanDraft.unscoped.get(pk=first.pk).name == "Cap at 15%"
    assert AuditEvent.unscoped.filter(organization=history, action="plan_draft_rename").count() == 1

    page = owner_client.post(url(history, f"drafts/{first.pk}/rename/"), {"name": "Second"}, follow=True)
    assert "The draft keeps its name “Cap at 15%”: A draft named “Second” already exists" in page.content.decode()
    assert PlanDraft.unscoped.get(pk=first.pk).name == "Cap at 15%"
