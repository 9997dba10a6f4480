"""Hypothesis strategies shared by the engine's property tests: configurations (with draws and per-rep plans)
and actuals rows."""

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal as D

from hypothesis import settings
from hypothesis import strategies as st

from oteapp.engine import AcceleratorTier, OrgConfig, RepMonth, RepPlan, RoleConfig

MONTH = date(2026, 10, 1)
KINDS = ("closer", "setter", "manager")

# Per test, not a global profile: the rest of the suite keeps its own Hypothesis settings.
engine_settings = settings(max_examples=150, deadline=None)


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[D]:
    return st.decimals(min_value=D(low), max_value=D(high), places=places, allow_nan=False, allow_infinity=False)


money = decimals("0", "500000", 2)
rates = decimals("0", "1", 4)
units = decimals("0", "200", 2)
ramps = st.lists(decimals("0", "1", 2), max_size=3).map(tuple)
start_dates = st.none() | st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 3, 1))


@st.composite
def accelerators(draw: st.DrawFn, *, min_multiplier: str = "0") -> tuple[AcceleratorTier, ...]:
    """Ascending bands; multipliers at least ``min_multiplier``."""
    starts = sorted(set(draw(st.lists(decimals("0", "3", 2), max_size=4))))
    return tuple(
        AcceleratorTier(from_attainment=start, multiplier=draw(decimals(min_multiplier, "4", 2))) for start in starts
    )


@st.composite
def role_configs(draw: st.DrawFn, key: str, kind: str) -> RoleConfig:
    return RoleConfig(
        key=key,
        name=key.title(),
        kind=kind,
        annual_ote=draw(money),
        annual_base=draw(money),
        monthly_quota=draw(units),
        commission_rate=draw(rates),
        ramp=draw(ramps),
        accelerators=draw(accelerators()),
    )


@st.composite
def org_configs(draw: st.DrawFn) -> OrgConfig:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4))
    roles = tuple(draw(role_configs(f"{kind}_{index}", kind)) for index, kind in enumerate(kinds))
    return OrgConfig(
        deal_value=draw(money),
        meeting_to_deal_rate=draw(rates),
        comp_model=draw(st.sampled_from(("commission_only", "mixed"))),
        monthly_operating_expenses=draw(money),
        roles=roles,
    )


optional_units = st.none() | units


def total(values: Iterable[D]) -> D:
    return sum(values, D(0))


@st.composite
def rows_for(draw: st.DrawFn, config: OrgConfig, max_size: int = 8) -> list[RepMonth]:
    keys = [role.key for role in config.roles]
    count = draw(st.integers(min_value=0, max_value=max_size))
    return [
        RepMonth(
            rep_id=index,
            name=draw(st.sampled_from(["Ana", "Ben", "Cy", "Dee"])),
            role_key=draw(st.sampled_from(keys)),
            start_date=draw(start_dates),
            deals=draw(optional_units),
            meetings=draw(optional_units),
            team_deals=draw(optional_units),
            revenue=draw(st.none() | money),
        )
        for index in range(count)
    ]


@st.composite
def configs_and_rows(draw: st.DrawFn) -> tuple[OrgConfig, list[RepMonth]]:
    config = draw(org_configs())
    return config, draw(rows_for(config))



@st.composite
def rep_plans(draw: st.DrawFn) -> RepPlan:
    """A rep's plan setting any subset of its figures (a quota that may be 0, like the roles')."""
    return RepPlan(
        annual_ote=draw(st.none() | money),
        annual_base=draw(st.none() | money),
        monthly_quota=draw(st.none() | units),
        commission_rate=draw(st.none() | rates),
        monthly_draw=draw(st.none() | decimals("0", "20000", 2)),
    )


@st.composite
def configs_rows_and_plans(draw: st.DrawFn, max_size: int = 8) -> tuple[OrgConfig, list[RepMonth]]:
    """A configuration with role draws and plans for some of the reps of its rows (and one for a rep without a
    row), and the rows."""
    config = draw(org_configs())
    roles = tuple(
        replace(role, monthly_draw=draw(decimals("0", "20000", 2)), draw_recoverable=draw(st.booleans()))
        for role in config.roles
    )
    rows = draw(rows_for(config, max_size=max_size))
    ids = [row.rep_id for row in rows] + ["no-row"]
    chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
    plans = {rep_id: draw(rep_plans()) for rep_id in chosen}
    return replace(config, roles=roles, rep_plans=plans), rows
