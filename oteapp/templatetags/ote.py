"""Display formatting of the engine's numbers. Formatting only: no formula lives here; money is
oteapp/number_format.py's (Babel, the organization's currency)."""

from decimal import Decimal

from django import template

from oteapp.number_format import DASH, currency_override, format_money
from oteapp.rounding import round_half_up

register = template.Library()

CENT = Decimal("0.01")
STATUS_ICONS = {"on_target": "✅", "at_risk": "⚠️", "off_target": "🚨"}
STATUS_LABELS = {"on_target": "On target", "at_risk": "At risk", "off_target": "Off target"}


# The quanta of the usual places, made once (the filters run for every figure of every report).
QUANTA = {places: Decimal(1).scaleb(-places) for places in range(7)}


def _grouped(value: Decimal, places: int) -> str:
    quantum = QUANTA.get(places) or Decimal(1).scaleb(-places)
    return f"{round_half_up(value, quantum):,.{places}f}"


def _decimal(value) -> Decimal:
    """`Decimal(str(value))`; a Decimal already is its own exact copy (str() round-trips every Decimal)."""
    return value if type(value) is Decimal else Decimal(str(value))


@register.filter
def money(value, places: int | None = None) -> str:
    """12345.6 → "$12,345.60" in the active currency (see `{% currency %}`); a negative amount gets a minus sign;
    None → "—". `places` defaults to the currency's own (2 for dollars and euros, 0 for yen)."""
    return format_money(value, places=places)


@register.filter
def signed_money(value, places: int | None = None) -> str:
    """A gap: "+$412.00", or the amount after a minus sign."""
    return format_money(value, places=places, signed=True)


@register.filter
def pct(value, places: int = 1) -> str:
    """A ratio as a percentage: 0.9 → "90.0%"."""
    if value is None or value == "":
        return DASH
    return f"{_grouped(_decimal(value) * 100, int(places))}%"


@register.filter
def units(value, places: int = 2) -> str:
    if value is None or value == "":
        return DASH
    return _grouped(_decimal(value), int(places))


@register.filter
def ratio(value, places: int = 2) -> str:
    """Revenue per $1 OTE: 5.7499 → "$5.75" (the active currency)."""
    return format_money(value, places=places)


@register.simple_tag
def currency_unit() -> str:
    """One unit of the active currency, for labels: "$1", "€1"."""
    return format_money(1, places=0)


class CurrencyNode(template.Node):
    def __init__(self, currency: template.base.FilterExpression, nodelist: template.NodeList) -> None:
        self.currency = currency
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        with currency_override(self.currency.resolve(context)):
            return self.nodelist.render(context)


@register.tag
def currency(parser: template.base.Parser, token: template.base.Token) -> CurrencyNode:
    """`{% currency report.currency %}…{% endcurrency %}`: money inside is shown in that currency."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% currency %} takes one argument: the currency code")
    nodelist = parser.parse(("endcurrency",))
    parser.delete_first_token()
    return CurrencyNode(parser.compile_filter(bits[1]), nodelist)


def whole(value) -> str:
    """A count: 12 → "12"."""
    return units(value, 0)


# How a figure of each kind is shown, for code that formats figures itself (the What-If's comparisons).
FORMAT_BY_KIND = {"money": money, "ratio": pct, "per_dollar": ratio, "units": units, "count": whole}


@register.filter
def bar_width(value) -> str:
    """Width of a progress bar for a ratio, capped at 100%, for inline style."""
    if value is None or value == "":
        return "0"
    return f"{min(_decimal(value), Decimal(1)) * 100:.1f}"


@register.filter
def status_icon(status) -> str:
    return STATUS_ICONS.get(status or "", "")


@register.filter
def status_label(status) -> str:
    return STATUS_LABELS.get(status or "", "No data")
