"""oteapp/services/actuals.py: validation, optimistic concurrency, audit and snapshot requests."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.tenancy import organization_context
from oteapp.models import AuditEvent, MonthlyActual, Rep
from oteapp.services import actuals as services
from oteapp.services.actuals import (
    ActualConflict,
    actual_record,
    actuals_file_apply,
    number_text,
    rep_create,
    rep_end,
)
from tests.factories import actual_create, role_of
from tests.factories import rep_create as make_rep

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def refreshes(monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(
        services, "snapshots_refresh_request", lambda *, organization, months: calls.append((organization.pk, months))
    )
    return calls


@pytest.fixture
def ctx(organization):
    with organization_context(organization):
        yield organization


@pytest.fixture
def ana(organization):
    return make_rep(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))


def record(organization, rep, values, version, actor=None):
    return actual_record(
        organization=organization, actor=actor, rep=rep, month=OCTOBER, values=values, expected_version=version
    )


def test_the_first_save_creates_the_row_audits_it_and_requests_a_snapshot(ctx, ana, owner, refreshes):
    actual = record(ctx, ana, {"deals": Decimal("6"), "revenue": None}, 0, actor=owner)

    assert (actual.deals, actual.revenue, actual.version, actual.updated_by) == (Decimal("6.00"), None, 1, owner)
    events = list(AuditEvent.objects.values_list("action", "subject", "field", "old_value", "new_value"))
    assert events == [("actual_update", "Ana · 2026-10", "deals", "", "6")]
    assert refreshes == [(ctx.pk, [OCTOBER])]


def test_a_blank_unit_stays_blank_and_an_empty_row_is_no_report(ctx, ana, refreshes):
    assert record(ctx, ana, {}, 0) is None and not MonthlyActual.objects.exists()
    actual = record(ctx, ana, {"revenue": Decimal("12000")}, 0)
    assert (actual.deals, actual.revenue) == (None, Decimal("12000"))


def test_an_update_bumps_the_version_and_only_touches_the_kinds_fields(ctx, ana, refreshes):
    actual_create(ctx, rep=ana, month=OCTOBER, deals=5, meetings=9)
    actual = record(ctx, ana, {"deals": Decimal("7"), "revenue": Decimal("80000")}, 1)

    assert actual.version == 2
    stored = MonthlyActual.objects.get(pk=actual.pk)
    assert (stored.deals, stored.revenue, stored.meetings) == (Decimal("7"), Decimal("80000"), Decimal("9"))


def test_an_unchanged_save_writes_nothing(ctx, ana, refreshes):
    actual_create(ctx, rep=ana, month=OCTOBER, deals=5)
    actual = record(ctx, ana, {"deals": Decimal("5.0")}, 1)
    assert actual.version == 1 and not AuditEvent.objects.exists() and refreshes == []


@pytest.mark.parametrize("version", [0, 2])
def test_a_stale_version_raises_a_conflict_with_the_current_row(ctx, ana, refreshes, version):
    actual_create(ctx, rep=ana, month=OCTOBER, deals=5)
    with pytest.raises(ActualConflict) as raised:
        record(ctx, ana, {"deals": Decimal("8")}, version)
    assert raised.value.current.deals == Decimal("5")
    assert MonthlyActual.objects.get().deals == Decimal("5") and not AuditEvent.objects.exists()


def test_a_version_for_a_row_that_does_not_exist_is_a_conflict(ctx, ana, refreshes):
    with pytest.raises(ActualConflict) as raised:
        record(ctx, ana, {"deals": Decimal("8")}, 3)
    assert raised.value.current is None and not MonthlyActual.objects.exists()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (Decimal("-1"), "Can't be negative."),
        (Decimal("NaN"), "Enter a number."),
        (Decimal("Infinity"), "Enter a number."),
        (Decimal("0.001"), "Use at most 2 decimal places."),
        (Decimal("1E+10"), "Must be less than 10,000,000,000."),
        (Decimal("1E+999999999"), "Must be less than 10,000,000,000."),
        (Decimal("1E-999999999"), "Use at most 2 decimal places."),
    ],
)
def test_invalid_values_are_refused_per_field(ctx, ana, refreshes, value, problem):
    with pytest.raises(ValidationError) as raised:
        record(ctx, ana, {"deals": value}, 0)
    assert raised.value.message_dict == {"deals": [problem]}
    assert not MonthlyActual.objects.exists()


def test_revenue_allows_larger_amounts_than_units(ctx, ana, refreshes):
    assert record(ctx, ana, {"deals": Decimal("1"), "revenue": Decimal("99999999999.99")}, 0).revenue


def test_a_field_of_another_kind_is_refused(ctx, ana, refreshes):
    with pytest.raises(ValidationError, match="team_deals"):
        record(ctx, ana, {"team_deals": Decimal("3")}, 0)


def test_another_organizations_rep_is_refused(ctx, other_organization, refreshes):
    with organization_context(other_organization):
        foreign = make_rep(other_organization, name="Zed", role="closer")
    with pytest.raises(ValueError, match="another organization"):
        record(ctx, foreign, {"deals": Decimal("1")}, 0)


def test_a_rep_outside_their_dates_gets_no_new_row(ctx, ana, refreshes):
    Rep.objects.filter(pk=ana.pk).update(end_date=date(2026, 9, 30))
    ana.refresh_from_db()
    with pytest.raises(ValidationError, match="does not work here in 2026-10"):
        record(ctx, ana, {"deals": Decimal("1")}, 0)


def test_number_text_drops_trailing_zeros():
    assert [number_text(v) for v in (None, Decimal("6.00"), Decimal("0.00"), Decimal("12.50"), Decimal("1E+3"))] == [
        "", "6", "0", "12.5", "1000",
    ]


# --- reps -----------------------------------------------------------------------------------------------


def test_rep_create_audits_and_requests_all_open_months(ctx, owner, refreshes):
    rep = rep_create(
        organization=ctx, actor=owner, name="  Cy   Young ", role=role_of(ctx, "setter"), start_date=OCTOBER
    )
    assert (rep.name, rep.role.key, rep.start_date, rep.email) == ("Cy Young", "setter", OCTOBER, "")
    assert list(AuditEvent.objects.order_by("id").values_list("field", "new_value")) == [
        ("name", "Cy Young"), ("role", "setter"), ("start_date", "2026-10-01"),
    ]
    assert refreshes == [(ctx.pk, None)]


def test_rep_names_are_unique_per_organization_regardless_of_case(ctx, ana, other_organization, refreshes):
    with pytest.raises(ValidationError) as raised:
        rep_create(organization=ctx, actor=None, name="ANA", role=role_of(ctx, "closer"))
    assert raised.value.message_dict == {"name": ["There is already a rep named Ana; use a different name."]}
    with organization_context(other_organization):
        role = role_of(other_organization, "closer")
        assert rep_create(organization=other_organization, actor=None, name="Ana", role=role)


def test_rep_create_checks_name_role_and_email(ctx, other_organization, refreshes):
    with pytest.raises(ValidationError) as raised:
        rep_create(organization=ctx, actor=None, name=" ", role=role_of(other_organization, "closer"), email="nope")
    assert set(raised.value.message_dict) == {"name", "role", "email"}
    assert not Rep.objects.exists()


def test_rep_end_sets_the_date_and_audits_the_change(ctx, ana, refreshes):
    rep_end(organization=ctx, actor=None, rep=ana, end_date=date(2026, 10, 31))
    rep_end(organization=ctx, actor=None, rep=ana, end_date=date(2026, 11, 15))
    assert Rep.objects.get(pk=ana.pk).end_date == date(2026, 11, 15)
    assert list(AuditEvent.objects.order_by("id").values_list("subject", "old_value", "new_value")) == [
        ("rep Ana", "", "2026-10-31"), ("rep Ana", "2026-10-31", "2026-11-15"),
    ]


def test_rep_end_refuses_a_date_before_the_start_or_before_later_actuals(ctx, ana, refreshes):
    with pytest.raises(ValidationError, match="started on 2025-01-01"):
        rep_end(organization=ctx, actor=None, rep=ana, end_date=date(2024, 12, 31))
    actual_create(ctx, rep=ana, month=NOVEMBER, deals=1)
    with pytest.raises(ValidationError, match="has actuals for 2026-11"):
        rep_end(organization=ctx, actor=None, rep=ana, end_date=date(2026, 10, 31))
    rep_end(organization=ctx, actor=None, rep=ana, end_date=date(2026, 11, 2))  # within November is fine
    assert Rep.objects.get(pk=ana.pk).end_date == date(2026, 11, 2)


# --- CSV ------------------------------------------------------------------------------------------------


def test_applying_a_file_imports_it_and_refreshes_its_months(ctx, ana, owner, refreshes):
    text = "month,rep,role,deals\n2026-11,Ana,closer,3\n2026-10,Bo,closer,2\n"
    result = actuals_file_apply(organization=ctx, actor=owner, data=text)

    assert result.months == [OCTOBER, NOVEMBER]
    assert (result.reps_created, result.actuals_created) == (1, 2)
    assert refreshes == [(ctx.pk, [OCTOBER, NOVEMBER])]
