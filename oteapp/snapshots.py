"""Monthly snapshots: the engine's report of one month, stored with the configuration it used."""

from collections.abc import Iterable
from datetime import date

from accounts.models import Organization


def snapshots_refresh_request(*, organization: Organization, months: Iterable[date] | None) -> None:
    """Called by every service that changes actuals (those months) or configuration (months=None:
    all open months). Schedules a debounced recomputation after the transaction commits."""
