"""The What-If tab: a scenario beside the baseline, goal-seek, and applying a scenario."""

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.cache import caches

from accounts.models import MemberRole
from oteapp.jobs.snapshots import snapshots_compute
from oteapp.models import AuditEvent, MonthlyActual, OrganizationSettings, Rep, SalesRole
from tests.oteapp.test_configuration_view import (
    _queries,
    member_client,
    role_of,
    settings_of,
    team_create,
    worked_example_actuals,
    worked_example_configure,
)
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)


def url(organization, name: str = "") -> str:
    return f"/o/{organization.slug}/what-if/{name}"


def scenario_params(**overrides: str) -> dict[str, str]:
    """The scenario form as the page fills it for SPEC section 11's October 2026, with `overrides`."""
    data = {
        "month": "2026-10",
        "target_revenue": "",
        "deal_value": "11340",
        "meeting_to_deal_rate": "0.25",
        "monthly_operating_expenses": "9000",
    }
    for key, headcount, ote, quota, rate in (
        ("closer", "4", "60000", "5", "0.1"),
        ("setter", "2", "48000", "40", "0.05"),
        ("manager", "1", "90000", "40", "0.03"),
    ):
        data |= {
            f"role-{key}-headcount": headcount,
            f"role-{key}-annual_ote": ote,
            f"role-{key}-monthly_quota": quota,
            f"role-{key}-commission_rate": rate,
            f"role-{key}-productivity_change": "0",
        }
    return data | overrides


@pytest.fixture
def worked_example(organization):
    worked_example_configure(organization)
    worked_example_actuals(organization)
    return organization


def test_the_page_shows_the_baseline_and_its_form(owner_client, worked_example):
    response = owner_client.get(url(worked_example), {"month": "2026-10"})

    assert response.status_code == 200
    assert response.context["active_tab"] == "whatif"
    assert response.context["month_choice"].param == "2026-10"
    body = response.content.decode()
    assert 'name="role-closer-headcount" value="4"' in body
    assert "$204,120.00" in body and "$158,661.90" in body  # SPEC 11 revenue and EBITDA, both columns
    assert "Apply these changes" not in body  # nothing changed yet


def test_one_more_closer_shows_higher_revenue_than_the_baseline(owner_client, worked_example):
    response = owner_client.get(url(worked_example), scenario_params(**{"role-closer-headcount": "5"}))

    baseline, scenario = response.context["baseline"], response.context["scenario"]
    assert scenario.summary.revenue > baseline.summary.revenue
    # The added closer produces the team's average, 4.5 deals at 11,340.
    assert scenario.summary.revenue == Decimal("255150")
    assert scenario.role("closer").headcount == 5
    body = response.content.decode()
    assert '<td class="num" data-scenario="revenue">$255,150.00</td>' in body
    assert "+$51,030.00" in body


def test_the_scenario_changes_rates_quotas_ote_and_close_rates(owner_client, worked_example):
    params = scenario_params(
        **{
            "role-closer-annual_ote": "50000",
            "role-closer-commission_rate": "0.12",
            "role-closer-productivity_change": "20",
            "deal_value": "12000",
            "monthly_operating_expenses": "10000",
        }
    )

    response = owner_client.get(url(worked_example), params)

    scenario = response.context["scenario"]
    closer = scenario.role("closer")
    assert closer.actual_units == Decimal("21.6")  # 18 deals + 20%
    assert closer.monthly_ote.quantize(Decimal("0.01")) == Decimal("4166.67")
    assert scenario.summary.operating_expenses == Decimal("10000")
    assert scenario.summary.revenue == Decimal("21.6") * 12000
    changes = {(c.subject, c.field) for c in response.context["changes"]}
    assert changes == {
        ("Organization", "deal_value"),
        ("Organization", "monthly_operating_expenses"),
        ("Closers", "annual_ote"),
        ("Closers", "commission_rate"),
    }


def test_htmx_gets_only_the_results_partial(owner_client, worked_example):
    response = owner_client.get(
        url(worked_example),
        scenario_params(**{"role-closer-headcount": "5"}),
        headers={"HX-Request": "true", "HX-Target": "whatif-results"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="whatif-results"')
    assert 'id="tab"' not in body and "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_a_tab_click_gets_the_tab_partial(owner_client, worked_example):
    body = owner_client.get(url(worked_example), {"month": "2026-10"}, headers={"HX-Request": "true"}).content.decode()

    assert body.lstrip().startswith('<div id="tab">') and 'id="whatif-results"' in body


def test_goal_seek_gives_the_closers_needed(owner_client, worked_example):
    response = owner_client.get(url(worked_example), scenario_params(target_revenue="204120"))

    goal = response.context["goal"]
    # 4.5 deals at 11,340 = 51,030 revenue per closer per month; 204,120 / 51,030 = 4.
    assert goal.revenue_per_closer == Decimal("51030")
    assert goal.closers_needed == Decimal("4.00") and goal.whole == 4
    body = response.content.decode()
    assert "you need\n      <strong data-closers-needed>4 closers</strong>" in body


def test_goal_seek_rounds_up_to_whole_people(owner_client, worked_example):
    response = owner_client.get(url(worked_example), scenario_params(target_revenue="300000"))

    goal = response.context["goal"]
    assert goal.closers_needed == Decimal("5.88") and goal.whole == 6
    assert "1.88 more" in response.content.decode()


def test_invalid_scenario_values_are_listed_and_no_scenario_is_shown(owner_client, worked_example):
    params = scenario_params(**{"role-closer-headcount": "-1", "meeting_to_deal_rate": "NaN"})

    response = owner_client.get(url(worked_example), params)

    assert response.status_code == 200
    assert response.context["scenario"] is None
    body = response.content.decode()
    assert "Closers · Headcount: Must not be negative." in body
    assert "Meeting-to-deal rate: Enter a number" in body


def test_blank_fields_mean_no_change(owner_client, worked_example):
    params = {"month": "2026-10", "role-closer-headcount": "5"}

    response = owner_client.get(url(worked_example), params)

    scenario = response.context["scenario"]
    assert scenario.summary.revenue == Decimal("255150")
    assert scenario.role("setter").headcount == 2


def test_a_month_without_actuals_assumes_added_reps_hit_quota(owner_client, worked_example):
    params = scenario_params(month="2026-11", **{"role-closer-headcount": "2"})
    params.pop("role-setter-headcount")
    params.pop("role-manager-headcount")

    response = owner_client.get(url(worked_example), params)

    assert "No actuals for November 2026" in response.content.decode()
    assert response.context["scenario"].summary.revenue == 2 * 5 * Decimal("11340")


# --- applying a scenario -------------------------------------------------------------------------


def test_apply_writes_the_configuration_part_and_audits_it(owner_client, owner, worked_example):
    params = scenario_params(
        **{
            "role-closer-annual_ote": "50000",
            "role-closer-commission_rate": "0.12",
            "role-closer-headcount": "9",
            "role-setter-productivity_change": "50",
            "deal_value": "12000",
        }
    )
    page = owner_client.get(url(worked_example), params).content.decode()
    assert "Review and apply…" in page and "$60,000.00 → <strong>$50,000.00</strong>" in page
    reps_before = Rep.unscoped.count(), MonthlyActual.unscoped.count()
    link = html.unescape(re.search(r'href="([^"]*/what-if/apply/[^"]*)"', page)[1])
    confirm = owner_client.get(link).content.decode()
    assert "Apply 3 changes" in confirm and "headcount" not in link
    version = re.search(r'name="version" value="([^"]+)"', confirm)[1]

    response = owner_client.post(
        url(worked_example, "apply/") + "?month=2026-10",
        dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm)) | {"version": version},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "Scenario applied to the configuration: 3 values changed." in response.content.decode()
    closer = role_of(worked_example, "closer")
    assert (closer.annual_ote, closer.commission_rate) == (Decimal("50000"), Decimal("0.12"))
    assert settings_of(worked_example).deal_value == Decimal("12000")
    assert (Rep.unscoped.count(), MonthlyActual.unscoped.count()) == reps_before  # headcount is not applied
    events = AuditEvent.unscoped.filter(organization=worked_example)
    assert {(e.action, e.subject, e.field, e.old_value, e.new_value) for e in events} == {
        ("whatif_apply", "Closers", "annual_ote", "60000", "50000"),
        ("whatif_apply", "Closers", "commission_rate", "0.1", "0.12"),
        ("whatif_apply", "Organization settings", "deal_value", "11340", "12000"),
    }
    assert {e.actor for e in events} == {owner}
    # The applied configuration is the new baseline: nothing left to apply.
    assert response.context["changes"] == []


def test_apply_on_a_closed_month_changes_only_what_the_scenario_changed(owner_client, owner, worked_example):
    """Issue 14, item 9: the baseline of a closed month is its frozen configuration; applying a scenario built on it
    changes in today's configuration only the value typed, never rolls the others back to October's."""
    snapshots_compute(months_by_organization={worked_example.pk: [OCTOBER]}, now=datetime(2026, 11, 2, tzinfo=UTC))
    OrganizationSettings.unscoped.filter(organization=worked_example).update(
        deal_value=Decimal("12500"), monthly_operating_expenses=Decimal("9999")
    )
    SalesRole.unscoped.filter(organization=worked_example, key="closer").update(
        monthly_quota=Decimal("6"), annual_ote=Decimal("66000")
    )
    SalesRole.unscoped.filter(organization=worked_example, key="setter").update(annual_ote=Decimal("52000"))
    # The form as the browser sends it: October's frozen values in every input, and the one the owner changed.
    params = scenario_params(**{"role-closer-annual_ote": "70000"})

    page = owner_client.get(url(worked_example), params).content.decode()

    items = re.findall(r"<li>(.*?)</li>", page, re.S)
    listed = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split()) for item in items]
    assert [item for item in listed if "→" in item] == ["Closers · Annual OTE: $66,000.00 → $70,000.00"]
    link = html.unescape(re.search(r'href="([^"]*/what-if/apply/[^"]*)"', page)[1])
    confirm = owner_client.get(link).content.decode()
    assert "Apply 1 change" in confirm and "data-now>$66,000.00</td>" in confirm
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm))
    assert set(fields) == {"csrfmiddlewaretoken", "role-closer-annual_ote", "version"}

    response = owner_client.post(url(worked_example, "apply/") + "?month=2026-10", fields)

    assert response.status_code == 302
    org_settings = settings_of(worked_example)
    assert (org_settings.deal_value, org_settings.monthly_operating_expenses) == (12500, 9999)
    closer, setter = role_of(worked_example, "closer"), role_of(worked_example, "setter")
    assert (closer.annual_ote, closer.monthly_quota, setter.annual_ote) == (70000, 6, 52000)
    events = AuditEvent.unscoped.filter(organization=worked_example, action="whatif_apply")
    assert [(e.subject, e.field, e.old_value, e.new_value, e.actor) for e in events] == [
        ("Closers", "annual_ote", "66000", "70000", owner)
    ]


def test_apply_after_someone_else_changed_the_configuration_asks_again(owner_client, worked_example):
    page = owner_client.get(url(worked_example), scenario_params(**{"deal_value": "12000"})).content.decode()
    confirm = owner_client.get(html.unescape(re.search(r'href="([^"]*/what-if/apply/[^"]*)"', page)[1]))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm.content.decode()))
    OrganizationSettings.unscoped.filter(organization=worked_example).update(deal_value=Decimal("11500"))

    response = owner_client.post(url(worked_example, "apply/") + "?month=2026-10", fields)

    assert response.status_code == 409
    body = response.content.decode()
    assert "while you were reviewing, so nothing was saved" in body and "data-now>$11,500.00</td>" in body
    assert settings_of(worked_example).deal_value == Decimal("11500")


def test_apply_without_htmx_redirects_to_the_tab(owner_client, worked_example):
    params = scenario_params(**{"role-closer-monthly_quota": "6"})

    response = owner_client.post(url(worked_example, "apply/") + "?month=2026-10", params)

    assert response.status_code == 302
    assert response["Location"] == url(worked_example) + "?month=2026-10"
    assert role_of(worked_example, "closer").monthly_quota == Decimal("6")


def test_apply_with_invalid_values_changes_nothing(owner_client, worked_example):
    before = tenant_rows_fingerprint()

    response = owner_client.post(url(worked_example, "apply/"), scenario_params(**{"role-closer-monthly_quota": "-6"}))

    assert response.status_code == 422
    assert "Nothing was applied" in response.content.decode()
    assert tenant_rows_fingerprint() == before


@pytest.mark.parametrize("role", [MemberRole.MANAGER, MemberRole.VIEWER])
def test_others_can_run_scenarios_but_not_apply_them(client, worked_example, role):
    member_client(client, worked_example, role)
    params = scenario_params(**{"role-closer-annual_ote": "50000"})

    page = client.get(url(worked_example), params)
    assert page.status_code == 200 and page.context["scenario"] is not None
    assert "Review and apply" not in page.content.decode()

    before = tenant_rows_fingerprint()
    response = client.post(url(worked_example, "apply/"), params, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert tenant_rows_fingerprint() == before


def test_the_page_refuses_posts_and_a_confirmation_of_nothing_leads_back(owner_client, worked_example):
    before = tenant_rows_fingerprint()

    assert owner_client.post(url(worked_example)).status_code == 405
    response = owner_client.get(url(worked_example, "apply/"), {"month": "2026-10"})

    assert response.status_code == 302 and response["Location"] == url(worked_example) + "?month=2026-10"
    assert tenant_rows_fingerprint() == before


# --- query budgets -------------------------------------------------------------------------------


def _counts(client, organization) -> dict[str, tuple[int, int]]:
    """Each request on an empty fragment cache (what is computed), then the results again (what is cached)."""
    client.get(url(organization))
    results = {"HX-Request": "true", "HX-Target": "whatif-results"}
    scenario = scenario_params(target_revenue="300000")
    counts = {}
    for name, data, headers in (
        ("page", {"month": "2026-10"}, {}),
        ("tab", {"month": "2026-10"}, {"HX-Request": "true"}),
        ("results", scenario, results),
    ):
        caches["fragments"].clear()
        counts[name] = _queries(client, "get", url(organization), data=data, headers=headers)
    counts["results_cached"] = _queries(client, "get", url(organization), data=scenario, headers=results)
    return counts


def test_query_counts_do_not_grow_with_reps_or_months(client, owner, organization):
    from accounts.services import organization_create

    small, large = organization, organization_create(name="Large Co", owner=owner)
    team_create(small, reps=5, months=1)
    team_create(large, reps=500, months=36)
    client.force_login(owner)

    small_counts, large_counts = _counts(client, small), _counts(client, large)

    assert small_counts == large_counts
    # Domain queries: months with actuals, closed months, settings, roles, the reps' own plans, the month's actuals
    # and its active reps.
    assert {name: domain for name, (_total, domain) in small_counts.items()} == {
        "page": 8, "tab": 8, "results": 8, "results_cached": 0
    }
