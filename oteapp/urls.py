from django.urls import path

from oteapp.views import tabs

app_name = "oteapp"

urlpatterns = [
    path("", tabs.overview, name="overview"),
    path("actuals/", tabs.actuals, name="actuals"),
    path("pnl/", tabs.pnl, name="pnl"),
    path("what-if/", tabs.whatif, name="whatif"),
    path("configuration/", tabs.configuration, name="configuration"),
    path("performance/", tabs.performance, name="performance"),
    path("history/", tabs.history, name="history"),
]
