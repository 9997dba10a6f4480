"""The API's request and response shapes (pydantic, through django-ninja): what the OpenAPI document describes."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from accounts.text import text_problem

Number = float | None  # the report's figures: rounded as SPEC section 6 says, null when undefined


def _storable(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise PydanticCustomError("unstorable_text", f"the text {problem}")
    return value


# Text that reaches the database as it is: NUL and lone surrogates are refused here (422 naming the field), as the
# pages' forms and the file importers refuse them, instead of failing the save.
StoredText = Annotated[str, AfterValidator(_storable)]


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, str]] | None = Field(
        None, description='One {"field", "detail"} per problem; field is a JSON path such as rows[3].deals.'
    )


# --- report (SPEC section 6) ---------------------------------------------------------------------------------------


class ReportSummary(Schema):
    model_config = ConfigDict(extra="allow")
    team_avg_attainment: Number
    team_ote_attainment: Number
    total_ote: Number
    total_actual: Number
    ote_gap: Number
    revenue: Number
    revenue_per_ote_dollar: Number
    ote_pct_of_revenue: Number
    comp_pct_of_revenue: Number
    ebitda: Number


class ReportRole(Schema):
    model_config = ConfigDict(extra="allow")
    key: str
    kind: Literal["closer", "setter", "manager"]
    headcount: int
    monthly_ote: Number
    monthly_quota: Number
    required_commission_per_unit: Number
    configured_commission_per_unit: Number
    break_even_units: Number
    recommended_annual_ote: Number
    actual_units: Number
    actual_units_per_person: Number
    quota_attainment: Number
    ote_attainment: Number
    team_ote: Number
    team_actual: Number
    team_gap: Number
    gap_per_person: Number
    status: Literal["on_target", "at_risk", "off_target"] | None


class ReportInsight(Schema):
    model_config = ConfigDict(extra="allow")
    code: str
    role: str | None
    severity: str
    message: str
    values: dict[str, Any]


class Report(Schema):
    """The report contract of SPEC section 6 (`month`), or of a period (section 14: `period` and `months`)."""

    model_config = ConfigDict(extra="allow")
    month: str | None = Field(None, description="YYYY-MM, for a month's report")
    period: str | None = Field(None, description="the period, for a period's report")
    months: list[str] | None = None
    summary: ReportSummary
    roles: list[ReportRole]
    insights: list[ReportInsight]


# --- reps ------------------------------------------------------------------------------------------------------------


class RepPlan(Schema):
    """The rep's own plan figures as decimal strings; a figure left out (or null) is the role's."""

    model_config = ConfigDict(extra="forbid")
    annual_ote: Decimal | None = None
    annual_base: Decimal | None = None
    monthly_quota: Decimal | None = None
    commission_rate: Decimal | None = None
    monthly_draw: Decimal | None = None


class RepOut(Schema):
    id: int
    name: str
    email: str
    role: str = Field(description="the role's key")
    start_date: date | None
    end_date: date | None
    plan: dict[str, str] = Field(description="the rep's own plan figures (decimal strings); others are the role's")


class RepPage(Schema):
    items: list[RepOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class RepCreate(Schema):
    model_config = ConfigDict(extra="forbid")
    name: StoredText
    role: StoredText = Field(description="the role's key")
    email: StoredText = ""
    start_date: date | None = None


class RepUpdate(Schema):
    """Fields left out are kept. `end_date` ends the rep's employment; `plan` sets their own plan figures (null: the
    role's). Names, emails and roles change through PUT /config, like the configuration file."""

    model_config = ConfigDict(extra="forbid")
    end_date: date | None = None
    plan: RepPlan | None = None


# --- actuals ---------------------------------------------------------------------------------------------------------


class ActualOut(Schema):
    id: int
    month: str = Field(description="YYYY-MM")
    rep_id: int
    rep: str
    role: str
    deals: Decimal | None
    meetings: Decimal | None
    team_deals: Decimal | None
    revenue: Decimal | None
    version: int
    updated_at: datetime


class ActualPage(Schema):
    items: list[ActualOut]
    next_cursor: str | None


class ActualRow(Schema):
    """One rep's month, with the actuals CSV's columns. A column left out keeps the stored value; null clears it."""

    model_config = ConfigDict(extra="forbid")
    month: str = Field(description="YYYY-MM")
    rep: str = Field(description="the rep's name; an unknown rep is created in `role`")
    role: str | None = Field(None, description="the role's key or name; required for a new rep")
    deals: Decimal | None = None
    meetings: Decimal | None = None
    team_deals: Decimal | None = None
    revenue: Decimal | None = None
    start_date: date | None = None


class ActualsUpsert(Schema):
    model_config = ConfigDict(extra="forbid")
    rows: list[ActualRow]


class ActualsUpsertResult(Schema):
    rows: int
    reps_created: int
    actuals_created: int
    actuals_updated: int
    actuals_unchanged: int
    months: list[str]


# --- configuration ---------------------------------------------------------------------------------------------------


class ConfigDocument(Schema):
    """The version 2.0 configuration file of SPEC section 8, as GET /config gives it."""

    model_config = ConfigDict(extra="allow")
    version: str = Field(description='"2.0"')
    organization: dict[str, Any] | None = None
    roles: dict[str, Any] | None = None
    reps: list[dict[str, Any]] | None = None


class ConfigChangeOut(Schema):
    subject: str
    field: str
    old: str
    new: str


class ConfigPreviewOut(Schema):
    dry_run: Literal[True]
    changes: list[ConfigChangeOut]
    roles_to_create: list[str]
    roles_to_delete: list[str]
    reps_to_create: list[str]
    notices: list[str]
    preview: str = Field(description="pass as ?expected_preview= to apply exactly these changes")


class ConfigApplied(Schema):
    dry_run: Literal[False]
    summary: str
    settings_updated: int
    roles_created: int
    roles_updated: int
    roles_deleted: int
    reps_created: int
    reps_updated: int
    notices: list[str]


# --- statements and payroll (SPEC section 12) ----------------------------------------------------------------------


class StatementLineOut(Schema):
    model_config = ConfigDict(extra="allow")
    kind: str
    label: str
    units: Number
    pay_per_unit: Number
    multiplier: Number
    amount: Number


class StatementOut(Schema):
    """One rep's statement of the month: the statement page's figures."""

    model_config = ConfigDict(extra="allow")
    rep: str
    role: str = Field(description="the role's key")
    base: float
    commission: float
    adjustments: float
    earned: float
    draw: float
    draw_recovery: float
    payout: float
    balance_after: float = Field(description="the draw balance carried to the next month")
    ote_attainment: Number
    quota_attainment: Number
    pace: dict[str, Any] | None = Field(description="the open month's pace; null once the month is over")
    lines: list[StatementLineOut]
    rep_id: int
    ote: Number = Field(description="the ramped monthly OTE")
    ramp_note: str | None


class Statements(Schema):
    """The statements contract of SPEC section 12, as `manage.py statements --format json` prints it."""

    month: str = Field(description="YYYY-MM")
    state: Literal["open", "closed", "approved"]
    currency: str
    statements: list[StatementOut]


class PayrollRow(Schema):
    """A row of the payroll CSV (its columns and values; money as decimal strings with cents), with the rep's id."""

    rep_id: int
    period: str = Field(description="YYYY-MM")
    rep: str
    email: str
    role: str
    base: Decimal
    commission: Decimal
    adjustments: Decimal
    draw_recovery: Decimal
    payout: Decimal
    currency: str
    approved_at: datetime = Field(description="in the organization's time zone, with its offset")
    approved_by: str = Field(description="the approver's email; empty when approved on the command line")


class Payroll(Schema):
    month: str = Field(description="YYYY-MM")
    currency: str
    rows: list[PayrollRow]
