"""Every tab owns its routes (oteapp/views/<tab>.py); this module only gathers them."""

from oteapp.views import (
    actuals,
    advisor,
    audit,
    configuration,
    digests,
    history,
    integrations,
    leaderboard,
    organization_data,
    overview,
    payouts,
    performance,
    plan_lab,
    pnl,
    rep_plans,
    statements,
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
    *plan_lab.urlpatterns,
    *advisor.urlpatterns,
    *configuration.urlpatterns,
    *rep_plans.urlpatterns,
    *history.urlpatterns,
    *payouts.urlpatterns,
    *statements.urlpatterns,
    *audit.urlpatterns,
    *digests.urlpatterns,
    *organization_data.urlpatterns,
    *integrations.urlpatterns,
]
