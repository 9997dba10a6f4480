"""`manage.py optimize` (SPEC section 15) on a hidden history, checked to the cent against an independent reference.

The organization has four roles (two of closers, setters with sourced deals sometimes entered, managers credited
with the closers' deals), ramps, marginal accelerators, entered revenue for one closer, a mixed comp model and 14
months of actuals of which the command takes the last 12. The reference below recomputes everything from the SPEC's
sentences with fractions.Fraction and plain loops, sharing no code with the engine: ramp by tenure, accelerators by
integrating the multiplier over the units, the type-7 quantile of ramp-adjusted units, rates from the target
variable, and the largest scale k / 10000 found by scanning k downward.
"""

import json
import random
from datetime import date
from fractions import Fraction as F
from io import StringIO
from itertools import pairwise
from math import floor

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.tenancy import organization_context
from oteapp.models import MonthlyActual, Rep, SalesRole
from tests.factories import organization_with_members

pytestmark = pytest.mark.django_db

DEAL_VALUE, MEETING_TO_DEAL, OPEX = F(9800), F(3, 10), F(12500)
ROLES = {  # key: (kind, annual OTE, annual base, quota, rate, ramp, tiers)
    "closer": ("closer", F(84000), F(18000), F(6), F(1, 10), [F(1, 2), F(3, 4)], [(F(0), F(1)), (F(1), F(3, 2))]),
    "senior_closer": ("closer", F(110000), F(30000), F(8), F(9, 100), [], [(F(6, 5), F(5, 4))]),
    "setter": ("setter", F(52000), F(8000), F(45), F(6, 100), [F(1, 2)], [(F(0), F(1)), (F(1), F(6, 5))]),
    "manager": ("manager", F(120000), F(40000), F(50), F(3, 100), [], []),
}
REPS = [  # name, role, start
    ("Ana", "closer", date(2024, 3, 4)),
    ("Ben", "closer", date(2024, 6, 1)),
    ("Cy", "closer", date(2026, 2, 16)),  # ramps inside the history
    ("Dee", "closer", date(2025, 12, 1)),
    ("Sam", "senior_closer", date(2023, 1, 9)),
    ("Tia", "senior_closer", None),
    ("Eli", "setter", date(2024, 1, 1)),
    ("Fay", "setter", date(2026, 5, 3)),
    ("Gus", "manager", date(2022, 5, 1)),
]
ALL_MONTHS = [date(2025 + (8 + i) // 12, (8 + i) % 12 + 1, 1) for i in range(14)]  # 2025-09 .. 2026-10
MONTHS = ALL_MONTHS[-12:]


def number(value: F) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


def configuration_file(tmp_path) -> str:
    document = {
        "version": "2.0",
        "organization": {
            "deal_value": number(DEAL_VALUE),
            "meeting_to_deal_rate": number(MEETING_TO_DEAL),
            "comp_model": "mixed",
            "monthly_operating_expenses": number(OPEX),
        },
        "roles": {
            key: {
                "name": key.replace("_", " ").title(),
                "kind": kind,
                "annual_ote": number(ote),
                "annual_base": number(base),
                "monthly_quota": number(quota),
                "commission_rate": number(rate),
                "ramp": [number(step) for step in ramp],
                "accelerators": [{"from": number(start), "multiplier": number(m)} for start, m in tiers],
            }
            for key, (kind, ote, base, quota, rate, ramp, tiers) in ROLES.items()
        },
    }
    path = tmp_path / "configuration.json"
    path.write_text(json.dumps(document))
    return str(path)


@pytest.fixture
def hidden(tmp_path):
    """The organization and its raw rows: {month: [(name, role, start, deals, meetings, team_deals, revenue)]}."""
    organization = organization_with_members("Hidden History Solar")
    call_command("importconfig", organization.slug, configuration_file(tmp_path), stdout=StringIO())
    rnd = random.Random(1915)
    rows: dict[date, list[tuple]] = {}
    with organization_context(organization):
        roles = {role.key: role for role in SalesRole.objects.all()}
        reps = {
            name: Rep.objects.create(organization=organization, name=name, role=roles[role], start_date=start)
            for name, role, start in REPS
        }
        actuals = []
        for month in ALL_MONTHS:
            for name, role, start in REPS:
                if start is not None and (start.year, start.month) > (month.year, month.month):
                    continue
                deals = meetings = team_deals = revenue = None
                if ROLES[role][0] == "closer":
                    deals = rnd.randint(0, 11)
                    if name == "Ana" and rnd.random() < 0.5:
                        revenue = F(max(deals * 9800 + rnd.randint(-4000, 9000), 0)) + F(37, 100)
                elif role == "setter":
                    meetings = rnd.randint(8, 70)
                    deals = rnd.randint(0, 16) if name == "Eli" and rnd.random() < 0.6 else None
                elif rnd.random() < 0.3:
                    team_deals = rnd.randint(20, 60)  # entered; otherwise every closer's deals
                rows.setdefault(month, []).append((name, role, start, deals, meetings, team_deals, revenue))
                actuals.append(
                    MonthlyActual(
                        organization=organization,
                        rep=reps[name],
                        month=month,
                        deals=deals,
                        meetings=meetings,
                        team_deals=team_deals,
                        revenue=None if revenue is None else str(float(revenue)),
                    )
                )
        MonthlyActual.objects.bulk_create(actuals)
    return organization, rows


# --- the independent reference ----------------------------------------------------------------------------


def half_up(value: F, places: int) -> F:
    return F(floor(value * 10**places + F(1, 2)), 10**places)


def ramp_of(role: str, start: date | None, month: date) -> F:
    ramp = ROLES[role][5]
    if start is None:
        return F(1)
    tenure = (month.year - start.year) * 12 + month.month - start.month + 1
    return ramp[tenure - 1] if 1 <= tenure <= len(ramp) else F(1)


def weighted(units: F, quota: F, tiers: list[tuple[F, F]]) -> F:
    """∫ over [0, units] of the multiplier of the band each unit falls in (bands start at from x quota)."""
    if not tiers or units <= 0:
        return units
    cuts = sorted({F(0), units} | {start * quota for start, _ in tiers if 0 < start * quota < units})
    total = F(0)
    for low, high in pairwise(cuts):
        multiplier = F(1)
        for start, tier_multiplier in sorted(tiers):
            if (low + high) / 2 >= start * quota:
                multiplier = tier_multiplier
        total += (high - low) * multiplier
    return total


def rep_months(rows: dict[date, list[tuple]], quotas: dict[str, F]) -> list[dict]:
    """Per rep-month: role, units, ramp, monthly base, revenue credited and commission at a rate of 1."""
    result = []
    for month in MONTHS:
        closer_deals = sum(F(row[3]) for row in rows[month] if ROLES[row[1]][0] == "closer")
        for _name, role, start, deals, meetings, team_deals, revenue in rows[month]:
            kind = ROLES[role][0]
            ramp = ramp_of(role, start, month)
            quota = quotas[role] * ramp
            tiers = ROLES[role][6]
            credited = F(0)
            if kind == "closer":
                units = F(deals)
                credited = units * DEAL_VALUE if revenue is None else revenue
                per_unit = DEAL_VALUE if revenue is None else (credited / units if units else F(0))
                per_rate = per_unit * weighted(units, quota, tiers) if units else credited
            elif kind == "setter":
                units = F(meetings)
                sourced = units * MEETING_TO_DEAL if deals is None else F(deals)
                per_rate = DEAL_VALUE * sourced / units * weighted(units, quota, tiers) if units else F(0)
            else:
                units = closer_deals if team_deals is None else F(team_deals)
                per_rate = DEAL_VALUE * weighted(units, quota, tiers)
            result.append(
                {
                    "role": role,
                    "units": units,
                    "ramp": ramp,
                    "base": ROLES[role][2] / 12,
                    "revenue": credited,
                    "per_rate": per_rate,
                }
            )
    return result


def totals(months: list[dict], rates: dict[str, F], otes: dict[str, F]) -> dict:
    comp = revenue = F(0)
    attainments, at_or_above = [], 0
    for rm in months:
        earned = rm["base"] + rates[rm["role"]] * rm["per_rate"]
        ote = rm["base"] + (otes[rm["role"]] / 12 - rm["base"]) * rm["ramp"]
        comp, revenue = comp + earned, revenue + rm["revenue"]
        attainments.append(earned / ote)
        at_or_above += earned >= ote
    attainments.sort()
    middle = len(attainments) // 2
    median = attainments[middle] if len(attainments) % 2 else (attainments[middle - 1] + attainments[middle]) / 2
    return {
        "comp": comp,
        "revenue": revenue,
        "comp_pct_of_revenue": comp / revenue,
        "ebitda": revenue - comp - OPEX * len(MONTHS),
        "rep_months_at_or_above_ote": at_or_above,
        "median_rep_ote_attainment": median,
    }


def quantile(values: list[F], p: F) -> F:
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    low = floor(h)
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def reference(rows, share: F, cap: F, targets: dict[str, F]) -> dict:
    current = rep_months(rows, {key: role[3] for key, role in ROLES.items()})
    current_totals = totals(current, {k: r[4] for k, r in ROLES.items()}, {k: r[1] for k, r in ROLES.items()})
    quotas, full_rates = {}, {}
    for key, (kind, _ote, base, *_rest) in ROLES.items():
        adjusted = [rm["units"] / rm["ramp"] for rm in current if rm["role"] == key]
        quotas[key] = half_up(quantile(adjusted, 1 - share), 2)
        unit_value = DEAL_VALUE * (MEETING_TO_DEAL if kind == "setter" else 1)
        full_rates[key] = (targets[key] - base) / 12 / quotas[key] / unit_value
    candidate = rep_months(rows, quotas)
    revenue = sum(rm["revenue"] for rm in candidate)
    base_pay = sum(rm["base"] for rm in candidate)
    per_rate = {key: sum(rm["per_rate"] for rm in candidate if rm["role"] == key) for key in ROLES}

    def rates_at(k: int) -> dict[str, F]:
        return {key: half_up(full_rates[key] * F(k, 10000), 4) for key in ROLES}

    k = 10000
    while base_pay + sum(rates_at(k)[key] * per_rate[key] for key in ROLES) > cap * revenue:
        k -= 1
    scale = F(k, 10000)
    otes = {key: half_up(role[2] + scale * (targets[key] - role[2]), 2) for key, role in ROLES.items()}
    return {
        "scale": scale,
        "quotas": quotas,
        "rates": rates_at(k),
        "otes": otes,
        "current": current_totals,
        "candidate": totals(candidate, rates_at(k), otes),
    }


def assert_totals(output: dict, expected: dict) -> None:
    for key in ("comp", "revenue", "ebitda"):
        assert F(str(output[key])) == half_up(expected[key], 2), key
    for key in ("comp_pct_of_revenue", "median_rep_ote_attainment"):
        assert F(str(output[key])) == half_up(expected[key], 4), key
    assert output["rep_months_at_or_above_ote"] == expected["rep_months_at_or_above_ote"]


def optimize(*args: str) -> dict:
    out = StringIO()
    call_command("optimize", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("share", "cap", "targets", "binding"),
    [
        ("0.5", "0.15", {}, "cap"),
        ("0.5", "0.45", {}, "none"),
        ("0.35", "0.16", {"closer": "96000", "setter": "60000"}, "cap"),
        ("0.8", "0.30", {"manager": "150000"}, None),
    ],
)
def test_optimize_matches_the_reference_to_the_cent(hidden, share, cap, targets, binding):
    organization, rows = hidden
    args = [organization.slug, "--share", share, "--cap", cap]
    for key, value in targets.items():
        args += ["--target", f"{key}={value}"]
    output = optimize(*args)

    goal = {key: role[1] for key, role in ROLES.items()} | {key: F(value) for key, value in targets.items()}
    expected = reference(rows, F(share), F(cap), goal)
    assert output["months"] == [f"{month:%Y-%m}" for month in MONTHS]
    assert (F(str(output["share"])), F(str(output["cap"]))) == (F(share), F(cap))
    assert output["binding"] == ("none" if expected["scale"] == 1 else "cap")
    if binding is not None:
        assert output["binding"] == binding
    assert F(str(output["scale"])) == expected["scale"]
    assert set(output["roles"]) == set(ROLES)
    for key, role in output["roles"].items():
        assert F(str(role["monthly_quota"])) == expected["quotas"][key], key
        assert F(str(role["commission_rate"])) == expected["rates"][key], key
        assert F(str(role["annual_ote"])) == expected["otes"][key], key
        assert F(str(role["annual_base"])) == ROLES[key][2], key
    assert_totals(output["backtest"]["current"], expected["current"])
    assert_totals(output["backtest"]["candidate"], expected["candidate"])


def test_base_pay_above_the_cap_proposes_nothing(hidden):
    organization, _ = hidden
    output = optimize(organization.slug, "--cap", "0.01")

    assert (output["binding"], output["scale"], output["roles"]) == ("base_pay", None, {})
    assert output["backtest"]["candidate"] is None
    assert "Base pay alone" in output["message"]


def test_text_says_which_constraint_binds(hidden):
    organization, _ = hidden
    out = StringIO()
    call_command("optimize", organization.slug, "--cap", "0.15", "--format", "text", stdout=out)

    text = out.getvalue()
    assert "The comp cap binds: every role's variable pay is scaled by" in text
    assert "closer: quota" in text and "candidate: comp" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--share", "1"], "--share must be a number strictly between 0 and 1"),
        (["--share", "half"], "--share must be a number strictly between 0 and 1"),
        (["--cap", "0"], "--cap must be a number strictly between 0 and 1"),
        (["--cap", "-0.2"], "--cap must be a number strictly between 0 and 1"),
        (["--months", "2"], "--months must be a whole number of at least 3, got '2'"),
        (["--target", "closer"], "--target must be ROLE=ANNUAL_OTE, such as closer=84000, got 'closer'"),
        (["--target", "pilot=1000"], "--target pilot: no such role"),
        (["--target", "closer=1000"], "--target closer: the target annual OTE is below the role's annual base"),
    ],
)
def test_bad_inputs_are_one_line_errors(hidden, args, message):
    organization, _ = hidden
    with pytest.raises(CommandError) as refused:
        optimize(organization.slug, *args)
    assert str(refused.value) == message


def test_too_few_months_says_how_many_are_needed():
    organization = organization_with_members("Two Months In")
    with organization_context(organization):
        rep = Rep.objects.create(organization=organization, name="Ana", role=SalesRole.objects.get(key="closer"))
        for month in (date(2026, 9, 1), date(2026, 10, 1)):
            MonthlyActual.objects.create(organization=organization, rep=rep, month=month, deals=3)
    with pytest.raises(CommandError) as refused:
        optimize(organization.slug)
    assert str(refused.value) == (
        "the optimizer needs at least 3 months with actuals; there are 2; enter more months of actuals or lower "
        "--months"
    )
