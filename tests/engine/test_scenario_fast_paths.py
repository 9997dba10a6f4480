"""apply_scenario's shortcuts give exactly what the plain code gives.

`_reference_apply_scenario` is apply_scenario as it was before its shortcuts (each row rebuilt with
`dataclasses.replace`, every role's average computed, today's closers' deals summed up front); the
scenario's rows and configuration must stay the same, field for field and in the same order.
"""

from dataclasses import replace
from decimal import Decimal as D
from decimal import localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from oteapp.engine import RepMonth, RoleOverride, Scenario, apply_scenario, compute_report
from oteapp.engine.examples import WORKED_EXAMPLE_MONTH as MONTH
from oteapp.engine.examples import worked_example_config
from oteapp.engine.numbers import ENGINE_CONTEXT, ONE, ZERO, dec, dsum
from oteapp.engine.scenario import _average_row, _override_config, _scaled
from oteapp.engine.types import KIND_CLOSER


def _reference_scale_row(row: RepMonth, factor: D) -> RepMonth:
    if factor == ONE:
        return row
    return replace(
        row,
        deals=_scaled(row.deals, factor),
        meetings=_scaled(row.meetings, factor),
        team_deals=_scaled(row.team_deals, factor),
        revenue=_scaled(row.revenue, factor),
    )


def _reference_apply_scenario(*, config, actuals, scenario):
    with localcontext(ENGINE_CONTEXT):
        new_config = _override_config(config, scenario)
        kinds = {role.key: role.kind for role in config.roles}
        closer_deals = dsum(dec(row.deals) or ZERO for row in actuals if kinds.get(row.role_key) == KIND_CLOSER)
        rows = list(actuals)
        for role in new_config.roles:
            role_override = scenario.roles.get(role.key)
            if role_override is None:
                continue
            factor = ONE if role_override.productivity is None else role_override.productivity
            role_rows = [row for row in rows if row.role_key == role.key]
            headcount = len(role_rows) if role_override.headcount is None else role_override.headcount
            if headcount == len(role_rows) and factor == ONE:
                continue
            average = _reference_scale_row(_average_row(role, role_rows, config, closer_deals), factor)
            others = [row for row in rows if row.role_key != role.key]
            if headcount >= len(role_rows):
                kept = [_reference_scale_row(row, factor) for row in role_rows]
                added = headcount - len(role_rows)
            else:
                kept, added = [], headcount
            synthetic = [
                replace(average, rep_id=f"scenario-{role.key}-{index}", name=f"Scenario {role.kind} {index}")
                for index in range(1, added + 1)
            ]
            rows = others + kept + synthetic
        return new_config, tuple(rows)


amounts = st.none() | st.decimals(min_value=D("0"), max_value=D("60"), places=3)
rows = st.lists(
    st.builds(
        RepMonth,
        rep_id=st.integers(1, 10_000),
        name=st.sampled_from(["Ana", "Ben", "Cy", "Dee"]),
        role_key=st.sampled_from(["closer", "setter", "manager"]),
        deals=amounts,
        meetings=amounts,
        team_deals=amounts,
        revenue=st.none() | st.decimals(min_value=D("0"), max_value=D("900000"), places=2),
    ),
    max_size=12,
)
overrides = st.builds(
    RoleOverride,
    headcount=st.none() | st.integers(0, 8),
    annual_ote=st.none() | st.decimals(min_value=D("1"), max_value=D("200000"), places=2),
    productivity=st.none() | st.sampled_from([D("1"), D("0"), D("1.2"), D("0.75"), D("2.5")]),
)
scenarios = st.builds(
    Scenario,
    deal_value=st.none() | st.decimals(min_value=D("1"), max_value=D("50000"), places=2),
    roles=st.dictionaries(st.sampled_from(["closer", "setter", "manager"]), overrides, max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(actuals=rows, scenario=scenarios)
def test_apply_scenario_is_the_plain_code(actuals, scenario):
    config = worked_example_config()

    fast = apply_scenario(config=config, actuals=actuals, scenario=scenario)
    plain = _reference_apply_scenario(config=config, actuals=actuals, scenario=scenario)

    assert fast == plain
    assert [type(row) for row in fast[1]] == [type(row) for row in plain[1]]
    assert [vars(row) for row in fast[1]] == [vars(row) for row in plain[1]]
    report = compute_report(config=fast[0], month=MONTH, actuals=fast[1])
    assert report == compute_report(config=plain[0], month=MONTH, actuals=plain[1])
