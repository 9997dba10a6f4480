"""`manage.py optimize SLUG [--share 0.5] [--cap 0.20] [--months 12] [--target ROLE=ANNUAL_OTE ...]
[--format json|text]`: the plan the organization's own history supports (SPEC section 15), beside the plan in
force, over its last months with actuals. Nothing is written: the result is a proposal (the Plan lab saves it as a
draft)."""

from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError, CommandParser

from accounts.tenancy import organization_context
from oteapp import engine
from oteapp.engine.numbers import HUNDRED, MONEY, RATIO, UNITS, quantize
from oteapp.management.base import OrganizationCommand
from oteapp.number_format import format_money
from oteapp.selectors import organization_settings_get, plan_optimization_get

OPTIONS = {"share": "--share", "cap": "--cap", "months": "--months"}


class Command(OrganizationCommand):
    help = "Propose quotas and commission rates from the organization's history, within a cap on comp % of revenue."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--share",
            default=str(engine.DEFAULT_SHARE),
            help="the share of rep-months that should reach quota, strictly between 0 and 1 (default 0.5)",
        )
        parser.add_argument(
            "--cap",
            default=str(engine.DEFAULT_CAP),
            help="the most comp (base + commission) may be of revenue, strictly between 0 and 1 (default 0.20)",
        )
        parser.add_argument(
            "--months",
            default=str(engine.DEFAULT_MONTHS),
            help=f"how many of the last months with actuals to use (default {engine.DEFAULT_MONTHS}, "
            f"at least {engine.MIN_HISTORY_MONTHS})",
        )
        parser.add_argument(
            "--target",
            action="append",
            default=[],
            metavar="ROLE=ANNUAL_OTE",
            help="a role's target annual OTE (default: its current OTE); repeat for several roles",
        )
        parser.add_argument("--format", dest="output_format", choices=("json", "text"), default="json")

    def handle(
        self, *args, slug: str, share: str, cap: str, months: str, target: list[str], output_format: str, **options
    ) -> None:
        organization = self.organization_get(slug)
        month_count = _months(months)
        targets = _targets(target)
        with organization_context(organization):
            currency = organization_settings_get(organization=organization).currency
            try:
                result = plan_optimization_get(
                    organization=organization, share=share, cap=cap, months=month_count, targets=targets
                )
            except engine.InsufficientHistoryError as exc:
                raise CommandError(f"{exc.message}; enter more months of actuals or lower --months") from None
            except engine.OptimizerInputError as exc:
                raise CommandError(f"{_option(exc.field)} {exc.message}") from None
            except engine.PlanError as exc:
                raise CommandError(f"the plan in force cannot be backtested: {exc}") from None
        if output_format == "json":
            self.stdout.write(engine.optimization_to_json(result))
        else:
            self.stdout.write(optimization_text(result, currency=currency), ending="")


def _option(field: str) -> str:
    if field.startswith("targets."):
        return f"--target {field.removeprefix('targets.')}:"
    return OPTIONS.get(field, f"{field}:")


def _months(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < engine.MIN_HISTORY_MONTHS:
        raise CommandError(f"--months must be a whole number of at least {engine.MIN_HISTORY_MONTHS}, got {text!r}")
    return value


def _targets(pairs: list[str]) -> dict[str, Decimal]:
    targets = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            number = None
        if not sep or not key.strip() or number is None or not number.is_finite():
            raise CommandError(f"--target must be ROLE=ANNUAL_OTE, such as closer=84000, got {pair!r}")
        targets[key.strip()] = number
    return targets


def _money(value: Decimal | None, currency: str) -> str:
    rounded = quantize(value, MONEY)
    return "n/a" if rounded is None else format_money(rounded, currency=currency)


def _pct(value: Decimal | None) -> str:
    rounded = quantize(value, RATIO)
    return "n/a" if rounded is None else f"{rounded * HUNDRED:.1f}%"


def optimization_text(result: engine.Optimization, *, currency: str) -> str:
    """The result for a person at a terminal: the sentence on what binds, each role's proposal, the two backtests."""
    first, last = result.months[0], result.months[-1]
    lines = [
        f"Optimizer over {len(result.months)} months ({first:%Y-%m} to {last:%Y-%m}), "
        f"share {_pct(result.share)}, cap {_pct(result.cap)}",
        result.message,
        "",
    ]
    for key, role in result.roles.items():
        kept = "" if role.changed else " (no history: kept as it is)"
        lines.append(
            f"  {key}: quota {quantize(role.monthly_quota, UNITS):,} · rate {quantize(role.commission_rate, RATIO)} · "
            f"annual OTE {_money(role.annual_ote, currency)} · base {_money(role.annual_base, currency)}{kept}"
        )
    rows = [("current", result.current)] + ([("candidate", result.proposed)] if result.proposed else [])
    lines.append("")
    for label, backtest in rows:
        total = backtest.total
        lines.append(
            f"  {label}: comp {_money(total.comp, currency)} · revenue {_money(total.revenue, currency)} · "
            f"comp {_pct(total.comp_pct_of_revenue)} of revenue · EBITDA {_money(total.ebitda, currency)} · "
            f"{total.rep_months_at_or_above_ote} rep-months at or above OTE · "
            f"median OTE attainment {_pct(total.median_rep_ote_attainment)}"
        )
    return "\n".join(lines) + "\n"
