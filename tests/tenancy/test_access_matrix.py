"""Access levels of SPEC section 1 against every unsafe endpoint, and CSRF on all of them.

The routes come from the URL configuration: a new route that accepts POST without an entry in
MINIMUM_LEVEL fails the suite until someone decides who may use it.
"""

from datetime import date

import pytest
from django.test import Client

from accounts.models import Invitation, MemberRole, Membership
from accounts.tenancy import organization_context
from oteapp.api.keys import api_key_create
from oteapp.models import PlanDraft, Rep, WebhookEndpoint
from tests.factories import UserFactory, actual_create, organization_with_members, rep_create
from tests.routes import Route, organization_routes
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

OWNER, ADMIN, MANAGER, VIEWER, REP = (
    MemberRole.OWNER, MemberRole.ADMIN, MemberRole.MANAGER, MemberRole.VIEWER, MemberRole.REP
)
RANK = {VIEWER: 0, MANAGER: 1, ADMIN: 2, OWNER: 3}

# Who may POST to each unsafe endpoint (this level and above).
MINIMUM_LEVEL = {
    "oteapp:actuals_row": MANAGER,
    "oteapp:actuals_row_remove": MANAGER,
    "oteapp:actuals_rep_create": MANAGER,
    "oteapp:actuals_rep_end": MANAGER,
    "oteapp:actuals_upload": MANAGER,
    "oteapp:actuals_upload_apply": MANAGER,
    "oteapp:configuration_preview": ADMIN,
    "oteapp:configuration_save": ADMIN,
    "oteapp:configuration_align": ADMIN,
    "oteapp:configuration_role_add": ADMIN,
    "oteapp:configuration_import": ADMIN,
    "oteapp:configuration_import_apply": ADMIN,
    "oteapp:configuration_role_delete": ADMIN,
    "oteapp:rep_plan": ADMIN,
    "oteapp:rep_plan_preview": ADMIN,
    "oteapp:whatif_apply": ADMIN,
    "oteapp:snapshot_reopen": ADMIN,
    "oteapp:plans_optimize": MANAGER,  # modeling pays no one: managers and above
    "oteapp:plans_draft_save": MANAGER,
    "oteapp:plans_draft_upload": MANAGER,
    "oteapp:plans_draft_edited": MANAGER,
    "oteapp:plans_draft_rename": MANAGER,
    "oteapp:plans_draft_delete": MANAGER,
    "oteapp:plans_draft_apply": ADMIN,  # it changes the configuration
    "oteapp:advisor_summary": MANAGER,
    "oteapp:digest_preferences": MANAGER,  # one's own digest switch; viewers get no digests
    "oteapp:digest_preview": OWNER,
    "oteapp:api_key_create": ADMIN,
    "oteapp:api_key_revoke": ADMIN,
    "oteapp:webhook_create": ADMIN,
    "oteapp:webhook_test": ADMIN,
    "oteapp:webhook_enable": ADMIN,
    "oteapp:webhook_delete": ADMIN,
    "accounts:invite": ADMIN,
    "accounts:member_role": ADMIN,
    "accounts:member_remove": ADMIN,
    "accounts:invitation_resend": ADMIN,
    "accounts:invitation_revoke": ADMIN,
    "accounts:organization_delete": OWNER,
    "oteapp:adjustment_create": MANAGER,
    "oteapp:adjustments_upload": MANAGER,
    "oteapp:payouts_approve": ADMIN,
    "oteapp:payouts_reopen": ADMIN,
    "oteapp:rep_invite": MANAGER,
}

# Who may GET a page that is not for every member (this level and above); all other pages are for any member.
READ_LEVEL = {
    "oteapp:actuals_upload": MANAGER,
    "oteapp:audit": ADMIN,
    "oteapp:configuration_align": ADMIN,  # the confirmation of "Use this"
    "oteapp:configuration_role_delete": ADMIN,  # the confirmation of deleting a role
    "oteapp:rep_plan": ADMIN,  # a rep's plan editor
    "oteapp:actuals_template": MANAGER,  # the template to fill in for an upload
    "oteapp:leaderboard": MANAGER,  # it shows earnings (issue 17 item 4)
    "oteapp:whatif_apply": ADMIN,  # the confirmation of applying a scenario
    "oteapp:configuration_export": ADMIN,  # it lists the reps' emails (issue 14 item 21)
    "oteapp:snapshot_reopen": ADMIN,
    "oteapp:plans": MANAGER,  # the Plan lab models pay (issue 19)
    "oteapp:advisor": MANAGER,  # its recommendations show pay and gaps
    "oteapp:plans_draft_apply": ADMIN,  # the confirmation of applying a draft
    "accounts:organization_settings": OWNER,
    "oteapp:organization_export": OWNER,
    "oteapp:payouts": MANAGER,  # everyone's pay
    "oteapp:payouts_approve": ADMIN,  # the confirmation showing the total
    "oteapp:payouts_reopen": ADMIN,
    "oteapp:payroll_csv": MANAGER,
    "oteapp:statement": MANAGER,  # any rep's statement; a rep opens only their own (REP_PAGES)
    "oteapp:statement_print": MANAGER,
    "oteapp:statement_pdf": MANAGER,
    "oteapp:integrations": ADMIN,  # API keys and webhook secrets
    "oteapp:webhook_endpoint": ADMIN,
}

# The rep access level (SPEC section 12) reaches only these pages, with what it gets on the rep's own statement
# (the world's rep is theirs); every other page answers a rep 403, whatever it is. Pages only for reps answer
# every other level 403.
REP_PAGES = {
    "oteapp:overview": 302,  # the organization's home: their statement
    "oteapp:my_statement": 200,
    "oteapp:my_history": 200,
    "oteapp:my_plan": 200,
    "oteapp:my_leaderboard": 403,  # this organization does not show reps the leaderboard (the default)
    "oteapp:statement": 302,  # their own: My statement
    "oteapp:statement_print": 200,
    "oteapp:statement_pdf": 200,
}
REP_ONLY_PAGES = {"oteapp:my_statement", "oteapp:my_history", "oteapp:my_plan", "oteapp:my_leaderboard"}
# Another rep's statement is 404 for a rep: it does not exist for them.
OTHER_REPS_STATEMENT = {"oteapp:statement", "oteapp:statement_print", "oteapp:statement_pdf"}

NEEDED = {MANAGER: "owner, admin or manager", ADMIN: "owner or admin", OWNER: "owner"}  # as the 403 says it

ROUTES = organization_routes()
UNSAFE = [route for route in ROUTES if route.name in MINIMUM_LEVEL]
MONTH = date(2026, 10, 1)


@pytest.fixture
def world():
    """One organization with a member of each level (the rep level linked to the rep Ana, who has actuals),
    another rep (Bo) with an account of their own, and a target member."""
    users = {level: UserFactory() for level in (OWNER, ADMIN, MANAGER, VIEWER, REP)}
    other_rep_user = UserFactory()
    organization = organization_with_members("Matrix Co", **users)
    rep = rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    actual_create(organization, rep=rep, month=MONTH, deals=5)
    other_rep = rep_create(organization, name="Bo", role="closer", start_date=date(2025, 1, 1))
    actual_create(organization, rep=other_rep, month=MONTH, deals=3)
    target = UserFactory()
    with organization_context(organization):
        target_membership = Membership.objects.create(organization=organization, user=target, role=VIEWER)
        invitation = Invitation.objects.create(organization=organization, email="invited@matrix.example", role=VIEWER)
        Rep.objects.filter(pk=rep.pk).update(membership=Membership.objects.get(user=users[REP]))
        bo_membership = Membership.objects.create(organization=organization, user=other_rep_user, role=REP)
        Rep.objects.filter(pk=other_rep.pk).update(membership=bo_membership)
        draft = PlanDraft.objects.create(
            organization=organization, name="Draft", configuration={"version": "2.0", "roles": {}}
        )
        api_key, _ = api_key_create(organization=organization, actor=None, name="CRM", scope="read")
        endpoint = WebhookEndpoint.objects.create(
            organization=organization, url="https://hooks.example.com/ote", event_types=["month.closed"],
            secret="whsec_x",
        )
    return {
        "api_key": api_key,
        "endpoint": endpoint,
        "organization": organization,
        "users": users,
        "other_rep_user": other_rep_user,
        "rep": rep,
        "target": target_membership,
        "invitation": invitation,
        "draft": draft,
    }


# The least a request needs to reach the permission check rather than a 404 for a missing object.
BODIES = {"oteapp:configuration_align": {"role": "closer", "field": "annual_ote"}}


def url_for(route: Route, world: dict) -> str:
    return "/" + (
        route.pattern.replace("<slug:org_slug>", world["organization"].slug)
        .replace("<int:rep_id>", str(world["rep"].pk))
        .replace("<int:membership_id>", str(world["target"].pk))
        .replace("<int:invitation_id>", str(world["invitation"].pk))
        .replace("<int:draft_id>", str(world["draft"].pk))
        .replace("<str:month>", "2026-10")
        .replace("<slug:role_key>", "closer")
        .replace("<int:api_key_id>", str(world["api_key"].pk))
        .replace("<int:endpoint_id>", str(world["endpoint"].pk))
    )


def test_every_route_accepting_post_has_an_access_rule(world):
    client = Client()
    client.force_login(world["users"][OWNER])
    unknown = []
    for route in ROUTES:
        if route.name in MINIMUM_LEVEL:
            continue
        status = client.post(url_for(route, world)).status_code
        if status != 405:
            unknown.append(f"{route.name} answers POST with {status}: add it to MINIMUM_LEVEL")
    assert unknown == []


@pytest.mark.parametrize("route", UNSAFE, ids=lambda r: r.name)
@pytest.mark.parametrize("level", [OWNER, ADMIN, MANAGER, VIEWER, REP, "anonymous"])
def test_access_level_matrix(world, route, level):
    client = Client()
    if level != "anonymous":
        client.force_login(world["users"][level])
    before = tenant_rows_fingerprint()

    response = client.post(url_for(route, world), BODIES.get(route.name, {}))

    if level == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert tenant_rows_fingerprint() == before
    elif level == REP:
        assert response.status_code == 403
        assert tenant_rows_fingerprint() == before
    elif RANK[level] >= RANK[MINIMUM_LEVEL[route.name]]:
        assert response.status_code not in (403, 404, 405), response.status_code
    else:
        assert response.status_code == 403
        assert tenant_rows_fingerprint() == before


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("level", [OWNER, ADMIN, MANAGER, VIEWER])
def test_read_access_matrix(world, route, level):
    """Every page and download that answers GET, at every level: a refusal is the styled 403 naming the levels
    that may open it."""
    client = Client()
    client.force_login(world["users"][level])
    before = tenant_rows_fingerprint()

    response = client.get(url_for(route, world))

    if response.status_code == 405:
        assert route.name in MINIMUM_LEVEL, f"{route.name} answers neither GET nor POST"
        return
    if route.name in REP_ONLY_PAGES:
        assert response.status_code == 403
        assert "This needs rep access." in response.content.decode()
        return
    minimum = READ_LEVEL.get(route.name, VIEWER)
    if RANK[level] >= RANK[minimum]:
        assert response.status_code not in (403, 404), response.status_code
    else:
        assert response.status_code == 403
        html = response.content.decode()
        assert '<main id="main">' in html, "the 403 page is inside the app's layout"
        needed = NEEDED[minimum] + (" or rep" if route.name in REP_PAGES else "")
        needed = needed.replace(" or manager or rep", ", manager or rep")
        assert f"This needs {needed} access." in html and f"Your access level here is {level}." in html
        assert tenant_rows_fingerprint() == before


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_rep_level_reaches_only_their_own_pages(world, route):
    """A rep (SPEC section 12) fails closed: every page not marked open to reps is refused, whatever it is; the
    pages of their own pay answer."""
    client = Client()
    client.force_login(world["users"][REP])
    before = tenant_rows_fingerprint()

    response = client.get(url_for(route, world))

    if response.status_code == 405:
        assert route.name in MINIMUM_LEVEL
    elif route.name in REP_PAGES:
        assert response.status_code == REP_PAGES[route.name], route.name
    else:
        assert response.status_code == 403, route.name
        assert "Your access level here is rep." in response.content.decode()
    assert tenant_rows_fingerprint() == before


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name in OTHER_REPS_STATEMENT], ids=lambda r: r.name)
def test_another_rep_of_the_same_organization_gets_404_for_a_statement_not_theirs(world, route):
    client = Client()
    client.force_login(world["other_rep_user"])

    response = client.get(url_for(route, world) + "?month=2026-10")

    assert response.status_code == 404
    assert "Ana" not in response.content.decode()


def test_a_rep_sees_their_own_statement_and_nobody_elses_figures(world):
    client = Client()
    client.force_login(world["other_rep_user"])

    body = client.get(f"/o/{world['organization'].slug}/me/statement/?month=2026-10").content.decode()

    assert "Your statement" in body and "Statement of Bo for October 2026" in body
    assert "Ana" not in body

def test_read_levels_are_the_views_own_rules():
    """READ_LEVEL is not a second opinion: it must equal what role_required on each view allows."""
    from django.urls import resolve

    for route in ROUTES:
        allowed = _allowed_roles(resolve(route.url(org_slug="x")).func)
        if route.name in READ_LEVEL:
            assert allowed - {REP} == {lvl for lvl in RANK if RANK[lvl] >= RANK[READ_LEVEL[route.name]]}, route.name
        if route.name in REP_ONLY_PAGES:
            assert allowed == {REP}, route.name


def _allowed_roles(view) -> set[str] | None:
    while view is not None:
        if hasattr(view, "allowed_roles"):
            return set(view.allowed_roles)
        view = getattr(view, "__wrapped__", None)
    return None


@pytest.mark.parametrize("route", UNSAFE, ids=lambda r: r.name)
def test_csrf_is_enforced_on_every_unsafe_endpoint(world, route):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"][OWNER])
    client.get(f"/o/{world['organization'].slug}/")  # sets the csrftoken cookie, as a browser would get it
    token = client.cookies["csrftoken"].value
    before = tenant_rows_fingerprint()

    body = BODIES.get(route.name, {})
    refused = client.post(url_for(route, world), body, headers={"HX-Request": "true"})
    assert refused.status_code == 403
    assert tenant_rows_fingerprint() == before

    accepted = client.post(url_for(route, world), body, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert accepted.status_code != 403


def test_the_matrix_size_is_reported(capsys):
    levels = 6
    with capsys.disabled():
        print(
            f"\naccess matrix: {len(UNSAFE)} unsafe routes x {levels} access levels x POST = "
            f"{len(UNSAFE) * levels} cases; CSRF: {len(UNSAFE)} routes x 2; "
            f"isolation: {len(ROUTES)} organization routes x 7 methods = {len(ROUTES) * 7} cases"
        )
    assert len(UNSAFE) == len(MINIMUM_LEVEL)


OBJECT_ROUTES = [route for route in ROUTES if "<int:" in route.pattern]


def test_routes_with_object_ids_are_covered():
    assert {
        "oteapp:actuals_row",
        "accounts:member_role",
        "accounts:member_remove",
        "accounts:invitation_resend",
        "accounts:invitation_revoke",
        "oteapp:plans_draft_rename",
        "oteapp:plans_draft_delete",
        "oteapp:plans_draft_apply",
    } <= {r.name for r in OBJECT_ROUTES}


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_object_ids_are_404_under_ones_own_slug(world, route, method):
    rival_owner = UserFactory()
    rival = organization_with_members("Rival Co", owner=rival_owner)
    rival_rep = rep_create(rival, name="Zed", role="closer", start_date=date(2025, 1, 1))
    actual_create(rival, rep=rival_rep, month=MONTH, deals=3)
    with organization_context(rival):
        rival_member = Membership.objects.get(user=rival_owner)
        rival_invitation = Invitation.objects.create(organization=rival, email="theirs@rival.example", role=VIEWER)
        rival_draft = PlanDraft.objects.create(organization=rival, name="Theirs", configuration={"version": "2.0"})
        rival_key, _ = api_key_create(organization=rival, actor=None, name="Theirs", scope="write")
        rival_endpoint = WebhookEndpoint.objects.create(
            organization=rival, url="https://hooks.rival.example/ote", event_types=["month.closed"], secret="whsec_y"
        )
    foreign = {
        "api_key": rival_key,
        "endpoint": rival_endpoint,
        "organization": world["organization"],
        "rep": rival_rep,
        "target": rival_member,
        "invitation": rival_invitation,
        "draft": rival_draft,
    }
    client = Client()
    client.force_login(world["users"][OWNER])
    before = tenant_rows_fingerprint()

    response = getattr(client, method)(url_for(route, foreign), {"deals": "9", "role": "viewer"})

    assert response.status_code in (404, 405)
    assert tenant_rows_fingerprint() == before
