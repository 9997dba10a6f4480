"""Display helpers of the read-only tabs (Performance, Overview, P&L, History). Formatting only."""

from decimal import Decimal

from django import template

from oteapp.engine import UNIT_NOUNS
from oteapp.templatetags.ote import DASH, pct, units

register = template.Library()

SEVERITY_ICONS = {"critical": "🚨", "warning": "⚠️", "positive": "✅"}
SEVERITY_LABELS = {"critical": "Critical", "warning": "Warning", "positive": "Good"}
MINUS = "\u2212"  # typographic minus, as the money filters use
SEPARATOR = " · "  # the engine joins an insight's headline and its actions with it


@register.filter
def message_parts(message: str) -> dict:
    """An insight message → {"headline": first part, "actions": the rest} (engine order kept)."""
    headline, *actions = (message or "").split(SEPARATOR)
    return {"headline": headline, "actions": actions}


@register.filter
def severity_icon(severity: str) -> str:
    return SEVERITY_ICONS.get(severity or "", "")


@register.filter
def severity_label(severity: str) -> str:
    return SEVERITY_LABELS.get(severity or "", "")


@register.filter
def unit_label(kind: str) -> str:
    """A role kind's unit: "deals", "meetings", "team deals"."""
    return UNIT_NOUNS.get(kind or "", "units")


@register.filter
def pct_points(value, places: int = 1) -> str:
    """A change of a ratio in percentage points: 0.034 → "+3.4 pts" (a minus sign, not a hyphen, when negative)."""
    if value is None or value == "":
        return DASH
    value = Decimal(str(value))
    sign = "+" if value >= 0 else MINUS
    return f"{sign}{pct(abs(value), places).removesuffix('%')} pts"


@register.filter
def change_class(value) -> str:
    """CSS class for a change: up, down or flat."""
    if value is None or value == "":
        return ""
    value = Decimal(str(value))
    return "up" if value > 0 else "down" if value < 0 else "flat"


@register.filter
def qty(value, places: int = 2) -> str:
    """A count of units without needless zeros: 18 → "18", 4.5 → "4.5", 4.4118 → "4.41"."""
    if value is None or value == "":
        return DASH
    text = units(value, places)
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def rep_pace(pace, rep_id):
    """A rep's projection in the month's pace (engine.MonthPace), or None (no pace, or not a rep of it)."""
    return pace.reps.get(rep_id) if pace else None


@register.filter
def role_pace(pace, role_key):
    """A role's projection in the month's pace (engine.MonthPace), or None."""
    return pace.roles.get(role_key) if pace else None
