"""Every tab owns its routes (oteapp/views/<tab>.py); this module only gathers them."""

from oteapp.views import (
    actuals,
    audit,
    configuration,
    digests,
    history,
    integrations,
    leaderboard,
    organization_data,
    overview,
    performance,
    pnl,
    rep_plans,
    whatif,
)

app_name = "oteapp"

urlpatterns = [
    *overview.urlpatterns,
    *performance.urlpatterns,
    *leaderboard.urlpatterns,
    *actuals.urlpatterns,
    *pnl.urlpatterns,
    *whatif.urlpatterns,
    *configuration.urlpatterns,
    *rep_plans.urlpatterns,
    *history.urlpatterns,
    *audit.urlpatterns,
    *digests.urlpatterns,
    *organization_data.urlpatterns,
    *integrations.urlpatterns,
]
