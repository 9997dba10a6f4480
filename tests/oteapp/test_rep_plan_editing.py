"""A rep's own plan (issue 17 item 1): edited on the rep's row of the Configuration tab with live calculations,
validated like the configuration, audited, refused when stale, and used by every number (the month's report, its
snapshot, the period report, the command line)."""

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.tenancy import organization_context
from oteapp.jobs.snapshots import snapshots_compute
from oteapp.models import AuditEvent, MonthlySnapshot, Rep
from oteapp.selectors import month_report_get, organization_config_get
from oteapp.services.configuration import rep_plan_version
from tests.factories import actual_create, rep_create
from tests.oteapp.test_configuration_view import worked_example_configure
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def team(organization):
    """SPEC section 11's closers in October: Ana 6 deals, Ben 4."""
    worked_example_configure(organization)
    ana = rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    ben = rep_create(organization, name="Ben", role="closer", start_date=date(2025, 1, 1))
    actual_create(organization, rep=ana, month=OCTOBER, deals=6)
    actual_create(organization, rep=ben, month=OCTOBER, deals=4)
    return {"ana": ana, "ben": ben}


def plan_url(organization, rep, tail: str = "") -> str:
    return f"/o/{organization.slug}/configuration/reps/{rep.pk}/plan/{tail}?month=2026-10"


def plan_post(rep, **values: str) -> dict[str, str]:
    data = dict.fromkeys(
        (
            f"plan-{rep.pk}-{name}"
            for name in ("annual_ote", "annual_base", "monthly_quota", "commission_rate", "monthly_draw")
        ),
        "",
    )
    data |= {f"plan-{rep.pk}-{name}": value for name, value in values.items()}
    data[f"plan-{rep.pk}-version"] = rep_plan_version(Rep.unscoped.select_related("role").get(pk=rep.pk))
    return data


def closers(organization) -> dict:
    with organization_context(organization):
        report = month_report_get(organization=organization, month=OCTOBER).report
    return report.role("closer")


def test_a_saved_plan_changes_the_reps_status_and_the_role_totals_but_not_the_roles_figures(
    owner_client, organization, team
):
    before = closers(organization)
    assert (before.team_ote, before.team_quota) == (Decimal(10000), Decimal(10))

    response = owner_client.post(
        plan_url(organization, team["ben"]),
        plan_post(team["ben"], annual_ote="36,000", monthly_quota="3"),
        headers=HTMX,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "plan saved: 2 figures changed." in body and "own plan" in body
    assert "configuration-changed" in response["HX-Trigger"]
    ben = Rep.unscoped.get(pk=team["ben"].pk)
    assert (ben.annual_ote, ben.monthly_quota, ben.commission_rate) == (Decimal(36000), Decimal(3), None)
    after = closers(organization)
    # Ben's own OTE (3,000 a month) and quota (3) replace the role's in the role's sums; his 4 deals now beat quota.
    assert (after.team_ote, after.team_quota) == (Decimal(8000), Decimal(8))
    assert (after.monthly_ote, after.monthly_quota) == (Decimal(5000), Decimal(5))  # still the role's
    ben_row = next(rep for rep in after.reps if rep.name == "Ben")
    assert (
        ben_row.status == "on_target" and next(rep for rep in before.reps if rep.name == "Ben").status == "at_risk"
    )
    events = AuditEvent.unscoped.filter(organization=organization, action="rep_plan_update", subject="Ben")
    assert set(events.values_list("field", "old_value", "new_value")) == {
        ("annual_ote", "", "36000"),
        ("monthly_quota", "", "3"),
    }


def test_the_row_shows_the_plan_and_the_reps_status_in_the_month(owner_client, organization, team):
    Rep.unscoped.filter(pk=team["ben"].pk).update(monthly_quota=Decimal(3), annual_ote=Decimal(36000))
    page = owner_client.get(f"/o/{organization.slug}/configuration/?month=2026-10").content.decode()
    row = re.search(rf'<tr id="rep-plan-{team["ben"].pk}".*?</tr>', page, re.S)[0]
    assert "own plan" in row and "$36,000.00" in row and "3 deals" in row
    assert "2.65" in row and "$40,824.00" in row  # break-even 3,000 / 1,134; recommended 1,134 x 3 x 12
    assert "On target" in row and "151.2%" in row  # 4 deals x 1,134 / 3,000


def test_typing_a_plan_shows_its_calculations_and_saves_nothing(owner_client, organization, team):
    before = tenant_rows_fingerprint()
    response = owner_client.post(
        plan_url(organization, team["ana"], "preview/"), plan_post(team["ana"], monthly_quota="8"), headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200 and f'id="plan-calcs-{team["ana"].pk}"' in body
    assert "$625.00" in body and "$108,864.00" in body  # 5,000 / 8 deals; 1,134 x 8 x 12
    assert tenant_rows_fingerprint() == before


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"annual_ote": "-5"}, "Must not be negative."),
        ({"monthly_quota": "0"}, "Must be more than 0."),
        ({"commission_rate": "1.5"}, "Must be at most 1."),
        ({"annual_ote": "1.234,50"}, "can be read two ways"),
        ({"annual_ote": "10000", "annual_base": "20000"}, "The base (20000) must not exceed the OTE (10000)."),
    ],
)
def test_a_bad_plan_is_refused_with_the_field_marked_and_nothing_saved(
    owner_client, organization, team, values, message
):
    before = tenant_rows_fingerprint()
    response = owner_client.post(plan_url(organization, team["ana"]), plan_post(team["ana"], **values))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert tenant_rows_fingerprint() == before


def test_a_stale_plan_is_not_saved_over_someone_elses(owner_client, organization, team):
    data = plan_post(team["ana"], monthly_quota="8")
    Rep.unscoped.filter(pk=team["ana"].pk).update(monthly_quota=Decimal(4))  # saved meanwhile by someone else

    response = owner_client.post(plan_url(organization, team["ana"]), data, headers=HTMX)

    assert response.status_code == 200  # htmx swaps only 2xx: the editor says it
    assert "plan was changed while you were editing, so nothing was saved" in response.content.decode()
    assert Rep.unscoped.get(pk=team["ana"].pk).monthly_quota == Decimal(4)


def test_without_javascript_the_editor_is_a_page_and_a_save_redirects(owner_client, organization, team):
    page = owner_client.get(plan_url(organization, team["ana"]))
    assert page.status_code == 200 and "<html" in page.content.decode() and "Ana's plan" in page.content.decode()
    saved = owner_client.post(plan_url(organization, team["ana"]), plan_post(team["ana"], commission_rate="0.12"))
    assert saved.status_code == 302 and saved["Location"].endswith("/configuration/?month=2026-10#rep-plans")
    assert Rep.unscoped.get(pk=team["ana"].pk).commission_rate == Decimal("0.12")


def test_every_number_uses_the_plan_snapshot_and_command_line_included(organization, team):
    Rep.unscoped.filter(pk=team["ben"].pk).update(annual_ote=Decimal(36000), monthly_quota=Decimal(3))
    with organization_context(organization):
        assert set(organization_config_get(organization=organization).rep_plans) == {team["ben"].pk}
    snapshots_compute(months_by_organization={organization.pk: [OCTOBER]}, now=datetime(2026, 11, 2, tzinfo=UTC))
    stored = MonthlySnapshot.unscoped.get(organization=organization, month=OCTOBER)
    assert stored.config["rep_plans"] == [{"rep_id": team["ben"].pk, "annual_ote": "36000.00", "monthly_quota": "3.00"}]
    assert next(role for role in stored.report["roles"] if role["key"] == "closer")["team_ote"] == 8000.0

    # The plan changes after October closed: October keeps the plan it was frozen with.
    Rep.unscoped.filter(pk=team["ben"].pk).update(annual_ote=None, monthly_quota=None)
    out = StringIO()
    call_command("report", organization.slug, "--period", "2026-Q4", stdout=out)
    quarter = json.loads(out.getvalue())
    closer = next(role for role in quarter["roles"] if role["key"] == "closer")
    assert (quarter["period"], quarter["months"], closer["team_ote"]) == ("2026-Q4", ["2026-10"], 8000.0)
    assert {rep["name"]: rep["status"] for rep in closer["reps"]} == {"Ana": "on_target", "Ben": "on_target"}


def test_the_editor_is_for_owners_and_admins_and_404_for_another_organizations_rep(
    client, owner_client, organization, other_organization, team
):
    theirs = rep_create(other_organization, name="Zed", role="closer")
    assert owner_client.get(plan_url(organization, theirs)).status_code == 404
    assert owner_client.post(plan_url(organization, theirs), plan_post(theirs, monthly_quota="2")).status_code == 404
    assert Rep.unscoped.get(pk=theirs.pk).monthly_quota is None
