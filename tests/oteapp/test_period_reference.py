"""`manage.py report --period` (and `--month`) checked to the cent against an independent reference (SPEC sections
3, 4, 6 and 14).

Several generated organizations, each with mixed roles (a second closer role among them), ramps, accelerators,
per-rep plans (some figures overridden, others the role's), entered revenue and sourced deals, blank team deals,
both comp models and fiscal years starting in different months. Their configuration changes twice: the months
frozen before a change keep the configuration they were closed with, the open ones use today's. The reference
below recomputes every figure from the raw inputs with exact fractions, straight from the SPEC's sentences, and
shares no code with the engine; the command's JSON must equal it after rounding (cents, 4 places for ratios,
2 for units).
"""

import csv
import io
import json
import math
import random
from datetime import UTC, date, datetime
from fractions import Fraction
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from oteapp.jobs.snapshots import snapshots_compute
from tests.factories import organization_with_members

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 12, 4, 12, tzinfo=UTC)
FIRST_MONTH = (2025, 7)
LAST_CLOSED = (2026, 11)
KINDS = {"closer": "closer", "setter": "setter", "manager": "manager", "senior_closer": "closer"}
PLAN_FIELDS = ("annual_ote", "annual_base", "monthly_quota", "commission_rate", "monthly_draw")


# --- months and fiscal periods, independently of oteapp.engine.periods -----------------------------------


def month_index(month: tuple[int, int]) -> int:
    return month[0] * 12 + month[1] - 1


def month_of(index: int) -> tuple[int, int]:
    return index // 12, index % 12 + 1


def label(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def fiscal_year_first_month(fiscal_year: int, start: int) -> tuple[int, int]:
    """A fiscal year is named by the calendar year it ends in: with a start in April, FY2026 is Apr 2025 to Mar 2026."""
    return (fiscal_year - 1, start) if start > 1 else (fiscal_year, 1)


def fiscal_quarter(month: tuple[int, int], start: int) -> tuple[int, int]:
    year = month[0] + 1 if start > 1 and month[1] >= start else month[0]
    return year, (month[1] - start) % 12 // 3 + 1


def quarter_months(fiscal_year: int, quarter: int, start: int) -> list[tuple[int, int]]:
    first = month_index(fiscal_year_first_month(fiscal_year, start)) + 3 * (quarter - 1)
    return [month_of(first + offset) for offset in range(3)]


def ytd_months(fiscal_year: int, start: int, as_of: tuple[int, int]) -> list[tuple[int, int]]:
    first = month_index(fiscal_year_first_month(fiscal_year, start))
    last = min(first + 11, month_index(as_of))
    return [month_of(index) for index in range(first, last + 1)]


# --- generated organizations --------------------------------------------------------------------------


def money(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low, high)}.{rng.randint(0, 99):02d}"


def generated_role(rng: random.Random, kind: str, mixed: bool) -> dict:
    ote = rng.randint(30, 160) * 1000 + rng.choice([0, 0, 500, 250.5])
    role = {
        "kind": kind,
        "annual_ote": str(ote),
        "annual_base": str(rng.randint(0, int(ote * 0.4))) if mixed or rng.random() < 0.3 else "0",
        "monthly_quota": rng.choice(["5", "6", "7.5", "4", "40", "35", "30", "12.25"]),
        "commission_rate": rng.choice(["0.1", "0.08", "0.125", "0.05", "0.03", "0.0375", "0.15"]),
        "ramp": rng.choice([[], [], ["0.5"], ["0.5", "0.75"], ["0.25", "0.5", "0.8"]]),
        "accelerators": rng.choice(
            [
                [],
                [
                    {"from": "0", "multiplier": "1"},
                    {"from": "1", "multiplier": "1.5"},
                    {"from": "1.5", "multiplier": "2"},
                ],
                [{"from": "0.5", "multiplier": "1.2"}, {"from": "1.25", "multiplier": "1.75"}],
                [{"from": "1", "multiplier": "1.3"}],
            ]
        ),
    }
    if kind == "setter":
        role["monthly_quota"] = rng.choice(["40", "35", "42.5"])
    if kind == "manager":
        role["monthly_quota"] = rng.choice(["40", "30", "25"])
    return role


def generated_plan(rng: random.Random, role: dict) -> dict:
    plan: dict[str, str] = {}
    for name in rng.sample(PLAN_FIELDS, rng.randint(0, 4)):
        if name == "annual_ote":
            plan[name] = str(rng.randint(40, 180) * 1000 + rng.choice([0, 750]))
        elif name == "monthly_quota":
            plan[name] = rng.choice(["3", "4.5", "8", "36", "45", "22"])
        elif name == "commission_rate":
            plan[name] = rng.choice(["0.09", "0.11", "0.04", "0.0425", "0.2"])
        elif name == "monthly_draw":
            plan[name] = money(rng, 0, 3000)
        else:
            plan[name] = "0"  # set below, once the rep's own OTE is known
    if "annual_base" in plan:
        ote = Fraction(plan.get("annual_ote", role["annual_ote"]))
        plan["annual_base"] = str(rng.randint(0, int(ote * Fraction(1, 2))))
    # A rep's base must not exceed the role's OTE either when only the base is theirs.
    return plan


def generated_config(rng: random.Random, reps: list[dict], fiscal_year_start: int, previous: dict | None) -> dict:
    mixed = rng.random() < 0.5
    roles = {key: generated_role(rng, kind, mixed) for key, kind in KINDS.items()}
    if previous is not None and rng.random() < 0.5:
        roles["setter"] = previous["roles"]["setter"]  # some roles keep their figures across a change
    organization = {
        "deal_value": money(rng, 4000, 16000),
        "meeting_to_deal_rate": rng.choice(["0.25", "0.2", "0.3333", "0.4"]),
        "comp_model": "mixed" if mixed else "commission_only",
        "monthly_operating_expenses": money(rng, 0, 40000),
        "on_target_threshold": rng.choice(["1", "0.95", "1.05"]),
        "at_risk_threshold": rng.choice(["0.85", "0.8", "0.9"]),
        "fiscal_year_start": fiscal_year_start,
    }
    people = []
    for rep in reps:
        role = roles[rep["role"]]
        plan = generated_plan(rng, role) if rng.random() < 0.5 else {}
        if "annual_base" in plan and "annual_ote" not in plan:
            plan["annual_base"] = str(min(Fraction(plan["annual_base"]), Fraction(role["annual_ote"])))
        own_ote = Fraction(plan.get("annual_ote", role["annual_ote"]))
        if "annual_base" not in plan and Fraction(role["annual_base"]) > own_ote:
            plan["annual_base"] = plan["annual_ote"]
        people.append({"name": rep["name"], "role": rep["role"], "start_date": rep["start_date"], "plan": plan})
    return {"version": "2.0", "organization": organization, "roles": roles, "reps": people}


def generated_reps(rng: random.Random) -> list[dict]:
    reps = []
    for index in range(rng.randint(6, 11)):
        role = ["closer", "closer", "senior_closer", "setter", "setter", "manager"][index % 6]
        start = month_of(month_index(FIRST_MONTH) + rng.randint(-14, 14))
        reps.append(
            {
                "name": f"Rep {index:02d} {rng.choice(['Ana', 'Bo', 'Cy', 'Dee'])}",
                "role": role,
                "start_date": f"{label(start)}-{rng.randint(1, 28):02d}",
            }
        )
    return reps


def generated_actuals(rng: random.Random, reps: list[dict], months: list[tuple[int, int]]) -> dict:
    """{(month, rep name): {column: text}}; some reps skip some months (they are not counted then)."""
    actuals = {}
    for month in months:
        for rep in reps:
            if rng.random() < 0.15:
                continue
            kind = KINDS[rep["role"]]
            row = {"deals": "", "meetings": "", "team_deals": "", "revenue": ""}
            if kind == "closer":
                row["deals"] = str(rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 2.5]))
                if rng.random() < 0.3:
                    row["revenue"] = money(rng, 0, 120000)
            elif kind == "setter":
                row["meetings"] = str(rng.randint(0, 60))
                if rng.random() < 0.4:
                    row["deals"] = str(rng.randint(0, 15))
            elif rng.random() < 0.6:
                row["team_deals"] = str(rng.randint(0, 50))
            actuals[(month, rep["name"])] = row
    return actuals


def actuals_csv(actuals: dict, reps: list[dict]) -> str:
    roles = {rep["name"]: rep["role"] for rep in reps}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "rep", "role", "deals", "meetings", "team_deals", "revenue"])
    for (month, name), row in sorted(actuals.items()):
        values = [row[column] for column in ("deals", "meetings", "team_deals", "revenue")]
        writer.writerow([label(month), name, roles[name], *values])
    return out.getvalue()


# --- the reference: SPEC sections 3, 4 and 14 with exact fractions ----------------------------------------


def F(text: object) -> Fraction | None:
    return None if text in (None, "") else Fraction(str(text))


def weighted_units(units: Fraction, quota: Fraction, tiers: list[dict]) -> Fraction:
    """Marginal accelerators: each unit pays the multiplier of the band (fraction of quota) it falls in."""
    if not tiers or quota <= 0 or units <= 0:
        return units
    bands = sorted((max(F(tier["from"]), Fraction(0)) * quota, F(tier["multiplier"])) for tier in tiers)
    total = min(units, bands[0][0])  # below the first tier: times 1
    for index, (low, multiplier) in enumerate(bands):
        high = bands[index + 1][0] if index + 1 < len(bands) else None
        top = units if high is None else min(units, high)
        if top > low:
            total += (top - low) * multiplier
    return total


def rep_month(config: dict, rep: dict, month: tuple[int, int], row: dict, closer_deals: Fraction) -> dict:
    role = config["roles"][rep["role"]]
    kind = role["kind"]
    own = rep.get("plan", {})
    figure = {name: F(own.get(name, role.get(name, "0"))) for name in PLAN_FIELDS[:4]}
    organization = config["organization"]
    deal_value, mdr = F(organization["deal_value"]), F(organization["meeting_to_deal_rate"])
    mixed = organization["comp_model"] == "mixed"
    base = figure["annual_base"] / 12 if mixed else Fraction(0)
    variable = figure["annual_ote"] / 12 - base
    start = date.fromisoformat(rep["start_date"])
    tenure = max(month_index(month) - month_index((start.year, start.month)) + 1, 1)
    ramp = F(role["ramp"][tenure - 1]) if tenure <= len(role["ramp"]) else Fraction(1)
    quota = figure["monthly_quota"] * ramp
    ote = base + variable * ramp
    rate = figure["commission_rate"]
    revenue = Fraction(0)
    if kind == "closer":
        units = F(row["deals"]) or Fraction(0)
        weighted = weighted_units(units, quota, role["accelerators"])
        if row["revenue"] == "":
            revenue = units * deal_value
            commission = rate * deal_value * weighted
        else:
            revenue = F(row["revenue"])
            flat = rate * revenue
            commission = flat if units == 0 or weighted == units else flat * weighted / units
    elif kind == "setter":
        units = F(row["meetings"]) or Fraction(0)
        weighted = weighted_units(units, quota, role["accelerators"])
        if row["deals"] == "":
            commission = rate * deal_value * mdr * weighted
        else:
            flat = rate * deal_value * F(row["deals"])
            commission = flat if units == 0 or weighted == units else flat * weighted / units
    else:
        units = closer_deals if row["team_deals"] == "" else F(row["team_deals"])
        commission = rate * deal_value * weighted_units(units, quota, role["accelerators"])
    return {
        "units": units,
        "quota": quota,
        "ote": ote,
        "earnings": base + commission,
        "base": base,
        "commission": commission,
        "revenue": revenue,
        "ramp": ramp,
    }


def ratio(numerator: Fraction, denominator: Fraction) -> Fraction | None:
    return None if denominator == 0 else numerator / denominator


def status(attainment: Fraction | None, organization: dict) -> str | None:
    if attainment is None:
        return None
    if attainment >= F(organization["on_target_threshold"]):
        return "on_target"
    return "at_risk" if attainment >= F(organization["at_risk_threshold"]) else "off_target"


def reference_report(months: list[tuple[int, int]], configs: dict, actuals: dict, reps: list[dict]) -> dict:
    """The period report of SPEC section 14 (a single month is a period of one)."""
    counted = [month for month in months if any(key[0] == month for key in actuals)]
    last = configs[counted[-1]]
    rep_of = {rep["name"]: rep for rep in reps}
    roles = {
        key: {"units": Fraction(0), "quota": Fraction(0), "ote": Fraction(0), "actual": Fraction(0), "reps": {}}
        for key in last["roles"]
    }
    team: dict[str, list[Fraction]] = {}
    revenue = ebitda = Fraction(0)
    for month in counted:
        config = configs[month]
        people = {p["name"]: p for p in config["reps"]}
        rows = {name: row for (m, name), row in actuals.items() if m == month}
        closer_deals = sum(
            (
                F(row["deals"]) or Fraction(0)
                for name, row in rows.items()
                if config["roles"][rep_of[name]["role"]]["kind"] == "closer"
            ),
            Fraction(0),
        )
        month_revenue = month_actual = Fraction(0)
        for name, row in rows.items():
            figures = rep_month(config, people[name], month, row, closer_deals)
            sums = roles[rep_of[name]["role"]]
            sums["units"] += figures["units"]
            sums["quota"] += figures["quota"]
            sums["ote"] += figures["ote"]
            sums["actual"] += figures["earnings"]
            mine = sums["reps"].setdefault(
                name, dict.fromkeys(("units", "quota", "ote", "earnings", "base", "commission"), Fraction(0))
            )
            for field in mine:
                mine[field] += figures[field]
            mine["ramp"] = figures["ramp"]
            pair = team.setdefault(name, [Fraction(0), Fraction(0)])
            pair[0] += figures["earnings"]
            pair[1] += figures["ote"]
            month_revenue += figures["revenue"]
            month_actual += figures["earnings"]
        revenue += month_revenue
        ebitda += month_revenue - month_actual - F(config["organization"]["monthly_operating_expenses"])
    organization = last["organization"]
    mixed = organization["comp_model"] == "mixed"
    deal_value, mdr = F(organization["deal_value"]), F(organization["meeting_to_deal_rate"])
    role_rows = {}
    for key, sums in roles.items():
        role = last["roles"][key]
        base = F(role["annual_base"]) / 12 if mixed else Fraction(0)
        variable = F(role["annual_ote"]) / 12 - base
        per_unit = F(role["commission_rate"]) * deal_value * (mdr if role["kind"] == "setter" else 1)
        quota = F(role["monthly_quota"])
        headcount = len(sums["reps"])
        ote_attainment = ratio(sums["actual"], sums["ote"])
        gap = sums["actual"] - sums["ote"]
        role_rows[key] = {
            "kind": role["kind"],
            "headcount": headcount,
            "monthly_ote": F(role["annual_ote"]) / 12,
            "monthly_quota": quota,
            "required_commission_per_unit": ratio(variable, quota),
            "configured_commission_per_unit": per_unit,
            "break_even_units": ratio(variable, per_unit),
            "recommended_annual_ote": per_unit * quota * 12 + (F(role["annual_base"]) if mixed else 0),
            "actual_units": sums["units"],
            "actual_units_per_person": ratio(sums["units"], Fraction(headcount)),
            "quota_attainment": ratio(sums["units"], sums["quota"]),
            "ote_attainment": ote_attainment,
            "team_ote": sums["ote"],
            "team_actual": sums["actual"],
            "team_gap": gap,
            "gap_per_person": ratio(gap, Fraction(headcount)),
            "status": status(ote_attainment, organization) if headcount else None,
            "reps": {
                name: {
                    "units": mine["units"],
                    "quota": mine["quota"],
                    "ote": mine["ote"],
                    "earnings": mine["earnings"],
                    "base": mine["base"],
                    "commission": mine["commission"],
                    "ramp_factor": mine["ramp"],
                    "ote_attainment": ratio(mine["earnings"], mine["ote"]),
                    "quota_attainment": ratio(mine["units"], mine["quota"]),
                    "status": status(ratio(mine["earnings"], mine["ote"]), organization),
                }
                for name, mine in sums["reps"].items()
            },
        }
    total_ote = sum((row["team_ote"] for row in role_rows.values()), Fraction(0))
    total_actual = sum((row["team_actual"] for row in role_rows.values()), Fraction(0))
    attainments = [earned / ote for earned, ote in team.values() if ote != 0]
    summary = {
        "team_avg_attainment": ratio(sum(attainments, Fraction(0)), Fraction(len(attainments))),
        "team_ote_attainment": ratio(total_actual, total_ote),
        "total_ote": total_ote,
        "total_actual": total_actual,
        "ote_gap": total_actual - total_ote,
        "revenue": revenue,
        "revenue_per_ote_dollar": ratio(revenue, total_ote),
        "ote_pct_of_revenue": ratio(total_ote, revenue),
        "comp_pct_of_revenue": ratio(total_actual, revenue),
        "ebitda": ebitda,
    }
    return {"months": [label(month) for month in counted], "summary": summary, "roles": role_rows}


# --- comparing, at the contract's precision ---------------------------------------------------------------

PLACES = {
    "team_avg_attainment": 4,
    "team_ote_attainment": 4,
    "revenue_per_ote_dollar": 4,
    "ote_pct_of_revenue": 4,
    "comp_pct_of_revenue": 4,
    "quota_attainment": 4,
    "ote_attainment": 4,
    "ramp_factor": 4,
    "monthly_quota": 2,
    "break_even_units": 2,
    "actual_units": 2,
    "actual_units_per_person": 2,
    "units": 2,
    "quota": 2,
}


def rounded(value: Fraction | None, places: int) -> float | None:
    """Half up, away from zero, as the contract rounds."""
    if value is None:
        return None
    scaled = abs(value) * 10**places
    whole = math.floor(scaled + Fraction(1, 2))
    return float(Fraction(whole if value >= 0 else -whole, 10**places))


def expected(figures: dict) -> dict:
    return {
        name: value
        if isinstance(value, str | int) or (value is None and name == "status")
        else rounded(value, PLACES.get(name, 2))
        for name, value in figures.items()
    }


def assert_matches(report: dict, reference: dict) -> None:
    assert report["months"] == reference["months"]
    assert report["summary"] == expected(reference["summary"])
    assert report["insights"] == []
    roles = {role["key"]: role for role in report["roles"]}
    assert set(roles) == set(reference["roles"])
    for key, wanted in reference["roles"].items():
        role = dict(roles[key])
        reps = {rep["name"]: {name: rep[name] for name in wanted["reps"][rep["name"]]} for rep in role.pop("reps")}
        assert reps == {name: expected(figures) for name, figures in wanted["reps"].items()}, key
        got = {name: role[name] for name in wanted if name != "reps"}
        assert got == expected({name: value for name, value in wanted.items() if name != "reps"}), key


# --- the organizations, through the files and the command line -----------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def load(organization, tmp_path: Path, seed: int) -> tuple[dict, dict, list[dict], int]:
    """Import three configurations and the actuals, freezing months between the changes as month close does.
    Returns {month: configuration in force}, the actuals, the reps and the fiscal year start."""
    rng = random.Random(seed)
    fiscal_year_start = rng.choice([1, 2, 4, 7, 10])
    reps = generated_reps(rng)
    months = [month_of(index) for index in range(month_index(FIRST_MONTH), month_index((2026, 12)) + 1)]
    actuals = generated_actuals(rng, reps, months)
    boundaries = sorted(rng.sample(range(2, len(months) - 3), 2))
    phases = [months[: boundaries[0]], months[boundaries[0] : boundaries[1]], months[boundaries[1] :]]
    configs: dict = {}
    previous = None
    for phase, phase_months in enumerate(phases):
        config = generated_config(rng, reps, fiscal_year_start, previous)
        path = tmp_path / f"config-{seed}-{phase}.json"
        path.write_text(json.dumps(config))
        run("importconfig", organization.slug, str(path))
        if phase == 0:
            csv_path = tmp_path / f"actuals-{seed}.csv"
            csv_path.write_text(actuals_csv(actuals, reps))
            run("importactuals", organization.slug, str(csv_path))
        closed = [date(*month, 1) for month in phase_months if month <= LAST_CLOSED]
        if phase < 2:  # month close pins the configuration in force; the last phase stays as it is today
            snapshots_compute(months_by_organization={organization.pk: closed}, now=TODAY)
        configs.update(dict.fromkeys(phase_months, config))
        previous = config
    # A correction to a closed month after its close: counted, with the configuration it was frozen with.
    corrected = next(
        key
        for key in sorted(actuals)
        if key[0] in phases[0] and KINDS[next(rep["role"] for rep in reps if rep["name"] == key[1])] == "closer"
    )
    actuals[corrected] = dict(actuals[corrected], deals="13", revenue="")
    fix = tmp_path / f"fix-{seed}.csv"
    fix.write_text(f"month,rep,role,deals,revenue\n{label(corrected[0])},{corrected[1]},,13,\n")
    run("importactuals", organization.slug, str(fix))
    return configs, actuals, reps, fiscal_year_start


@pytest.mark.parametrize("seed", range(10))
def test_period_reports_match_the_independent_reference(seed, tmp_path):
    organization = organization_with_members(f"Generated {seed}")
    configs, actuals, reps, start = load(organization, tmp_path, seed)
    data_months = sorted({month for month, _ in actuals})
    as_of = (2026, 11)

    periods: dict[str, list[tuple[int, int]]] = {}
    for month in data_months:
        year, quarter = fiscal_quarter(month, start)
        periods[f"{year}-Q{quarter}"] = quarter_months(year, quarter, start)
    for year in sorted({fiscal_quarter(month, start)[0] for month in data_months if month <= as_of}):
        periods[f"{year}-ytd"] = ytd_months(year, start, as_of)
    checked = 0
    for text, months in periods.items():
        if not any(month in months for month in data_months):
            continue
        report = json.loads(run("report", organization.slug, "--period", text, "--as-of", "2026-11-20"))
        assert report["period"] == text
        assert_matches(report, reference_report(months, configs, actuals, reps))
        checked += 1
    assert checked >= 5

    # Without --as-of, the year to date runs through today's month (December 2026, open: today's configuration).
    year = fiscal_quarter((2026, 12), start)[0]
    report = json.loads(run("report", organization.slug, "--period", f"{year}-ytd"))
    assert_matches(report, reference_report(ytd_months(year, start, (2026, 12)), configs, actuals, reps))

    # A single month through --month: the same figures (plus the month's insights).
    for month in (data_months[0], data_months[len(data_months) // 2], data_months[-1]):
        report = json.loads(run("report", organization.slug, "--month", label(month)))
        reference = reference_report([month], configs, actuals, reps)
        assert report["month"] == label(month)
        report.update(months=reference["months"], insights=[])
        assert_matches(report, reference)


def test_the_reference_agrees_with_worked_example_a():
    """The reference itself reproduces SPEC section 11 (so a shared mistake cannot hide)."""
    roles = {
        "closer": {
            "kind": "closer",
            "annual_ote": "60000",
            "annual_base": "0",
            "monthly_quota": "5",
            "commission_rate": "0.10",
            "ramp": [],
            "accelerators": [],
        },
        "setter": {
            "kind": "setter",
            "annual_ote": "48000",
            "annual_base": "0",
            "monthly_quota": "40",
            "commission_rate": "0.05",
            "ramp": [],
            "accelerators": [],
        },
        "manager": {
            "kind": "manager",
            "annual_ote": "90000",
            "annual_base": "0",
            "monthly_quota": "40",
            "commission_rate": "0.03",
            "ramp": [],
            "accelerators": [],
        },
    }
    organization = {
        "deal_value": "11340",
        "meeting_to_deal_rate": "0.25",
        "comp_model": "commission_only",
        "monthly_operating_expenses": "9000",
        "on_target_threshold": "1",
        "at_risk_threshold": "0.85",
    }
    people = [
        ("Ana", "closer", "6"),
        ("Ben", "closer", "4"),
        ("Cy", "closer", "3"),
        ("Dee", "closer", "5"),
        ("Eli", "setter", "42"),
        ("Fay", "setter", "30"),
        ("Gus", "manager", "18"),
    ]
    reps = [{"name": name, "role": role, "start_date": "2025-01-01", "plan": {}} for name, role, _ in people]
    config = {"organization": organization, "roles": roles, "reps": reps}
    month = (2026, 10)
    actuals = {}
    for name, role, units in people:
        row = {"deals": "", "meetings": "", "team_deals": "", "revenue": ""}
        row[{"closer": "deals", "setter": "meetings", "manager": "team_deals"}[role]] = units
        actuals[(month, name)] = row
    actuals[(month, "Eli")]["deals"] = "10"
    reference = reference_report([month], {month: config}, actuals, reps)

    from tests.spec_example import ROLE_TABLE, ROLE_TABLE_FIELDS, SUMMARY

    assert expected(reference["summary"]) == SUMMARY
    for key, row in ROLE_TABLE.items():
        figures = expected({name: reference["roles"][key][name] for name in ROLE_TABLE_FIELDS})
        assert tuple(figures[name] for name in ROLE_TABLE_FIELDS) == row
