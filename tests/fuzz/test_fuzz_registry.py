"""Every route that accepts POST has a fuzz case, and every case still names a route."""

from tests.fuzz.cases import CASES
from tests.fuzz.endpoints import endpoints


def test_every_route_that_accepts_post_has_a_fuzz_case():
    accepting_post = {endpoint.name for endpoint in endpoints() if "POST" in endpoint.methods}
    missing = sorted(accepting_post - set(CASES))
    stale = sorted(set(CASES) - accepting_post)
    assert not missing, (
        f"These routes accept POST but have no fuzz case: {', '.join(missing)}. Add one to CASES in "
        "tests/fuzz/cases.py: how to draw its path and fields, and how to check a success."
    )
    assert not stale, f"CASES names routes that no longer accept POST: {', '.join(stale)}."


def test_the_registry_sees_the_known_routes():
    names = {endpoint.name: endpoint for endpoint in endpoints()}
    assert names["oteapp:actuals_row"].methods == {"POST"}
    assert "POST" not in names["oteapp:performance"].methods
    assert "POST" in names["organization_create"].methods  # undecorated: every method
    assert "account_login" not in names  # allauth's own views are not ours to fuzz
