"""Hostile and careless inputs on the Plan lab (SPEC section 15): numbers typed the way people type them elsewhere in
the product, numbers at the edges, and drafts named, renamed and deleted twice; each a clear error that saves
nothing, never a 500."""

import pytest

from accounts.tenancy import organization_context
from oteapp.files.configuration import plan_document
from oteapp.models import PlanDraft
from oteapp.selectors import organization_config_get
from tests.oteapp.test_performance_view import worked_example
from tests.plans.test_plan_lab_view import MONTHS, edited_form, url
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(organization):
    worked_example(organization, months=MONTHS)
    return organization


def test_a_target_ote_typed_with_a_currency_sign_and_commas_is_read_as_on_the_configuration_tab(owner_client, history):
    response = owner_client.post(
        url(history, "optimize/"), {"share": "0.5", "cap": "0.2", "months": "12", "target_closer": "$90,000"}
    )

    assert response.status_code == 200
    assert "Save as draft" in response.content.decode()


def test_an_edited_plan_typed_with_commas_is_saved_as_the_figures_typed(owner_client, history):
    response = owner_client.post(
        url(history, "drafts/edited/"),
        edited_form(history, **{"edited-closer-annual_ote": "$72,000", "edited-closer-monthly_quota": "6.5"}),
    )

    assert response.status_code == 302
    closer = PlanDraft.unscoped.get(organization=history).configuration["roles"]["closer"]
    assert (closer["annual_ote"], closer["monthly_quota"]) == (72000, 6.5)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("target_closer", "1e20", "Enter a number"),
        ("target_closer", "9" * 40, "Too many digits (at most 14)"),
        ("share", "NaN", "Enter a number"),
        ("cap", "0.00001", "Use at most 4 decimal places"),
    ],
)
def test_optimizer_numbers_at_the_edges_are_plain_field_errors(owner_client, history, field, value, message):
    before = tenant_rows_fingerprint()
    form = {"share": "0.5", "cap": "0.2", "months": "12"} | {field: value}

    response = owner_client.post(url(history, "optimize/"), form)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert tenant_rows_fingerprint() == before


def _draft(organization, name: str) -> PlanDraft:
    with organization_context(organization):
        document = plan_document(organization=organization, config=organization_config_get(organization=organization))
        return PlanDraft.objects.create(organization=organization, name=name, configuration=document)


def test_deleting_a_draft_twice_is_a_not_found_page_that_says_why_and_leads_back(owner_client, history):
    draft = _draft(history, "Cap at 15%")
    assert owner_client.post(url(history, f"drafts/{draft.pk}/delete/")).status_code == 302
    before = tenant_rows_fingerprint()

    again = owner_client.post(url(history, f"drafts/{draft.pk}/delete/"))
    renamed = owner_client.post(url(history, f"drafts/{draft.pk}/rename/"), {"name": "Other"})

    for response in (again, renamed):
        html = response.content.decode()
        assert response.status_code == 404
        assert "No such draft." in html and "deleted" in html
        assert f'href="/o/{history.slug}/"' in html
    assert tenant_rows_fingerprint() == before


def test_a_draft_name_differing_only_in_case_is_taken(owner_client, history):
    """"Cap at 15%" and "cap at 15%" side by side in the comparison could not be told apart."""
    _draft(history, "Cap at 15%")
    other = _draft(history, "Other")

    page = owner_client.post(url(history, f"drafts/{other.pk}/rename/"), {"name": "CAP AT 15%"}, follow=True)

    assert "A draft named “Cap at 15%” already exists" in page.content.decode()
    assert PlanDraft.unscoped.get(pk=other.pk).name == "Other"


def test_the_proposed_plan_names_roles_as_the_rest_of_the_page_does(owner_client, history):
    response = owner_client.post(url(history, "optimize/"), {"share": "0.5", "cap": "0.2", "months": "12"})

    table = response.content.decode().split("Proposed plan, from")[1].split("</table>")[0]
    assert '<th scope="row">Closers' in table and '<th scope="row">closer' not in table
