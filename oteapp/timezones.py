"""The time-zone choices: the zones most of our customers pick first, then every real place's zone.

Left out: the tz database's aliases kept for old systems (US/Eastern, GB, EST5EDT, Etc/GMT+5, …) and entries
that are no place at all ("Factory", "localtime", "posixrules"). "UTC" stays as the one neutral zone. A value
saved before (or imported from a file, which accepts any IANA name) stays selectable on its own form.
"""

import zoneinfo
from functools import cache

# Names the tz database installs that are no place: an import refuses them too.
PSEUDO_ZONES = frozenset({"Factory", "localtime", "posixrules"})
# tz database areas whose zones are named after a real place (Area/Location).
GEOGRAPHIC_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}
)
COMMON_ZONES = (
    ("America/New_York", "US Eastern"),
    ("America/Chicago", "US Central"),
    ("America/Denver", "US Mountain"),
    ("America/Phoenix", "Arizona"),
    ("America/Los_Angeles", "US Pacific"),
    ("America/Anchorage", "Alaska"),
    ("Pacific/Honolulu", "Hawaii"),
    ("America/Toronto", "Canada Eastern"),
    ("America/Vancouver", "Canada Pacific"),
    ("America/Mexico_City", "Mexico City"),
    ("America/Sao_Paulo", "São Paulo"),
    ("Europe/London", "UK"),
    ("Europe/Dublin", "Ireland"),
    ("Europe/Paris", "Central Europe: Paris"),
    ("Europe/Berlin", "Central Europe: Berlin"),
    ("Europe/Madrid", "Central Europe: Madrid"),
    ("Africa/Johannesburg", "South Africa"),
    ("Asia/Dubai", "Gulf"),
    ("Asia/Kolkata", "India"),
    ("Asia/Singapore", "Singapore"),
    ("Asia/Tokyo", "Japan"),
    ("Australia/Sydney", "Australia Eastern"),
    ("Pacific/Auckland", "New Zealand"),
    ("UTC", "UTC"),
)


def is_listed_zone(name: str) -> bool:
    return name == "UTC" or name.split("/", 1)[0] in GEOGRAPHIC_AREAS


def is_time_zone(name: object) -> bool:
    """Any IANA zone a month can close in, aliases included (US/Eastern), pseudo-zones not."""
    return isinstance(name, str) and name not in PSEUDO_ZONES and name in _available_zones()


@cache
def _available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _listed_zones() -> tuple[str, ...]:
    return tuple(sorted(name for name in _available_zones() if is_listed_zone(name)))


def timezone_choices(current: str | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a select: the common zones, then all zones A to Z (plus `current` if it is unlisted)."""
    common = [(name, f"{label} ({name})" if label != name else name) for name, label in COMMON_ZONES]
    everything = list(_listed_zones())
    if current and current not in everything and is_time_zone(current):
        everything = sorted([*everything, current])
    return [("Common time zones", common), ("All time zones", [(name, name) for name in everything])]
