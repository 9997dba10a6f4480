import pytest
from django.db import connection

from accounts.models import Membership
from accounts.tenancy import NoOrganizationInContext, organization_context
from oteapp.models import Rep, SalesRole
from tests.factories import UserFactory, organization_with_members, rep_create
from tests.routes import organization_routes

pytestmark = pytest.mark.django_db

ROUTES = organization_routes()


def tenant_rows_fingerprint() -> list:
    """Every row of every tenant table, to prove a refused request changed nothing."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE column_name = 'organization_id' AND table_schema = 'public' ORDER BY table_name"
        )
        tables = [row[0] for row in cursor.fetchall()]
        fingerprint = []
        for table in tables:
            cursor.execute(f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) FROM "{table}" t')
            fingerprint.append((table, cursor.fetchone()[0]))
    return fingerprint


def test_there_are_organization_routes_to_check():
    names = {route.name for route in ROUTES}
    assert {"oteapp:overview", "oteapp:performance", "accounts:members", "accounts:invite"} <= names


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("method", ["get", "head", "options", "post", "put", "patch", "delete"])
def test_non_member_gets_404_and_changes_nothing(client, route, method, other_organization):
    stranger = UserFactory()
    organization_with_members("Stranger Co", owner=stranger)
    client.force_login(stranger)
    before = tenant_rows_fingerprint()

    response = getattr(client, method)(route.url(org_slug=other_organization.slug))

    assert response.status_code == 404
    assert tenant_rows_fingerprint() == before


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_unknown_organization_is_404_like_a_foreign_one(client, route, owner, organization):
    client.force_login(owner)
    assert client.get(route.url(org_slug="no-such-org")).status_code == 404


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_logged_out_visitor_is_sent_to_log_in(client, route, organization):
    response = client.get(route.url(org_slug=organization.slug))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_tenant_query_without_organization_in_context_raises(organization):
    with pytest.raises(NoOrganizationInContext):
        list(SalesRole.objects.all())
    with pytest.raises(NoOrganizationInContext):
        Membership.objects.count()


def test_tenant_query_in_context_sees_only_that_organization(organization, other_organization):
    rep_create(organization, name="Ana", role="closer")
    rep_create(other_organization, name="Zed", role="closer")
    with organization_context(organization):
        assert [rep.name for rep in Rep.objects.all()] == ["Ana"]
        assert SalesRole.objects.count() == 3
    with organization_context(other_organization):
        assert [rep.name for rep in Rep.objects.all()] == ["Zed"]


def test_context_is_reset_after_the_block(organization):
    with organization_context(organization):
        SalesRole.objects.count()
    with pytest.raises(NoOrganizationInContext):
        SalesRole.objects.count()


def test_saving_another_organizations_row_inside_a_context_is_refused(organization, other_organization):
    with organization_context(organization), pytest.raises(NoOrganizationInContext):
        Rep(organization=other_organization, role=SalesRole.unscoped.filter(organization=other_organization).first(),
            name="Intruder").save()


def test_request_context_does_not_leak_into_the_next_code(client, owner, organization):
    client.force_login(owner)
    assert client.get(f"/o/{organization.slug}/").status_code == 200
    with pytest.raises(NoOrganizationInContext):
        SalesRole.objects.count()
