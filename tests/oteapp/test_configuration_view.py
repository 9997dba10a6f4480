"""The Configuration tab: settings and roles, live calculations, the recommended OTE, roles, files."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import MemberRole, Membership, User
from oteapp.models import AuditEvent, MonthlyActual, OrganizationSettings, SalesRole
from tests.factories import UserFactory, actual_create, rep_create, team_bulk_create
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

MONTH = date(2026, 10, 1)
# SPEC section 11: (key, name, annual OTE, monthly quota, commission rate)
WORKED_ROLES = (
    ("closer", "Closers", "60000", "5", "0.10"),
    ("setter", "Setters", "48000", "40", "0.05"),
    ("manager", "Managers", "90000", "40", "0.03"),
)


def url(organization, name: str = "") -> str:
    return f"/o/{organization.slug}/configuration/{name}"


def config_post(**overrides: str) -> dict[str, str]:
    """The whole configuration form with SPEC section 11's values; `overrides` by input name."""
    data = {
        "org-currency": "USD",
        "org-timezone": "America/New_York",
        "org-deal_value": "11340",
        "org-meeting_to_deal_rate": "0.25",
        "org-comp_model": "commission_only",
        "org-monthly_operating_expenses": "9000",
        "org-on_target_threshold": "1.00",
        "org-at_risk_threshold": "0.85",
        "org-misalignment_tolerance": "0.10",
        "org-fiscal_year_start": "1",
    }
    for key, name, ote, quota, rate in WORKED_ROLES:
        data |= {
            f"role-{key}-name": name,
            f"role-{key}-annual_ote": ote,
            f"role-{key}-annual_base": "0",
            f"role-{key}-monthly_quota": quota,
            f"role-{key}-commission_rate": rate,
            f"role-{key}-ramp": "",
            f"role-{key}-accelerators-from": "",
            f"role-{key}-accelerators-multiplier": "",
            f"role-{key}-monthly_draw": "0",
        }
    return data | overrides


def worked_example_configure(organization) -> None:
    """SPEC section 11's settings (the default roles already have its OTE, quotas and rates)."""
    OrganizationSettings.unscoped.filter(organization=organization).update(
        deal_value=Decimal("11340"),
        meeting_to_deal_rate=Decimal("0.25"),
        monthly_operating_expenses=Decimal("9000"),
        timezone="America/New_York",
    )


def worked_example_actuals(organization) -> None:
    for name, role, units in (
        ("Ana", "closer", {"deals": 6}),
        ("Ben", "closer", {"deals": 4}),
        ("Cy", "closer", {"deals": 3}),
        ("Dee", "closer", {"deals": 5}),
        ("Eli", "setter", {"meetings": 42, "deals": 10}),
        ("Fay", "setter", {"meetings": 30}),
        ("Gus", "manager", {"team_deals": 18}),
    ):
        actual_create(organization, rep=rep_create(organization, name=name, role=role), month=MONTH, **units)


def settings_of(organization) -> OrganizationSettings:
    return OrganizationSettings.unscoped.get(organization=organization)


def role_of(organization, key: str) -> SalesRole:
    return SalesRole.unscoped.get(organization=organization, key=key)


def team_create(organization, *, reps: int, months: int) -> None:
    """`reps` reps spread over the three roles, each with actuals in the `months` months up to MONTH."""
    team_bulk_create(organization, reps=reps, months=months, last_month=MONTH, start_date=None, missing_every=0)


def member_client(client, organization, role: str):
    user = UserFactory()
    Membership.unscoped.create(organization=organization, user=user, role=role)
    client.force_login(user)
    return client


# --- the page ------------------------------------------------------------------------------------


def test_page_is_a_full_page_and_an_htmx_partial(owner_client, organization):
    full = owner_client.get(url(organization))
    partial = owner_client.get(url(organization), headers={"HX-Request": "true"})

    assert full.status_code == partial.status_code == 200
    assert b"<html" in full.content and b'id="tab"' in full.content
    assert b"<html" not in partial.content and b'id="tab"' in partial.content
    assert "HX-Request" in full["Vary"] and "HX-Request" in partial["Vary"]
    assert full.context["active_tab"] == "configuration" and full.context["month_choice"] is not None


def test_page_shows_the_engine_numbers_and_the_recommended_table(owner_client, organization):
    worked_example_configure(organization)

    page = owner_client.get(url(organization)).content.decode()

    assert page.count("$1,134.00") >= 2  # the closer's and the manager's configured commission per deal
    assert "$1,000.00" in page and "$100.00" in page and "$187.50" in page  # required per unit, SPEC 11
    assert "4.41 deals" in page and "28.22 meetings" in page and "22.05 team deals" in page
    # The recommended OTE table of the brief: annual, monthly, quota, commission per unit.
    assert page.count("$68,040.00") >= 2 and "$163,296.00" in page and "$5,670.00" in page
    assert "Closers: OTE is reached at 4.4 deals but quota is 5.0" in page
    recommended = page[page.index('class="recommended-table"') : page.index('class="align-table"')]
    assert recommended.count(">Use this</a>") == 3


# --- saving --------------------------------------------------------------------------------------


def test_saving_the_worked_example_configuration(owner_client, owner, organization, monkeypatch):
    refreshes = []
    monkeypatch.setattr(
        "oteapp.services.configuration.snapshots_refresh_request",
        lambda **kwargs: refreshes.append(kwargs),
    )
    data = config_post(
        **{
            "role-closer-ramp": "0.5, 0.75",
            "role-closer-accelerators-from": ["0", "1.0", "1.5"],
            "role-closer-accelerators-multiplier": ["1.0", "1.5", "2"],
        }
    )

    response = owner_client.post(url(organization, "save/") + "?month=2026-10", data)

    assert response.status_code == 302
    assert response["Location"] == url(organization) + "?month=2026-10"
    settings = settings_of(organization)
    assert (settings.deal_value, settings.meeting_to_deal_rate, settings.monthly_operating_expenses) == (
        Decimal("11340"),
        Decimal("0.25"),
        Decimal("9000"),
    )
    assert settings.timezone == "America/New_York"
    closer = role_of(organization, "closer")
    assert (closer.annual_ote, closer.monthly_quota, closer.commission_rate) == (
        Decimal("60000"),
        Decimal("5"),
        Decimal("0.10"),
    )
    assert closer.ramp == ["0.5", "0.75"]
    assert closer.accelerators == [
        {"from": "0", "multiplier": "1"},
        {"from": "1", "multiplier": "1.5"},
        {"from": "1.5", "multiplier": "2"},
    ]
    events = {(e.subject, e.field): e for e in AuditEvent.unscoped.filter(organization=organization)}
    assert {e.action for e in events.values()} == {"config_update"}
    assert events[("Organization settings", "deal_value")].old_value == "0"
    assert events[("Organization settings", "deal_value")].new_value == "11340"
    assert events[("Organization settings", "deal_value")].actor == owner
    assert events[("Closers", "ramp")].new_value == '["0.5", "0.75"]'
    assert ("Closers", "annual_ote") not in events  # unchanged values are not audited
    assert refreshes == [{"organization": organization, "months": None}]

    follow = owner_client.get(response["Location"])
    assert "Configuration saved: 5 values changed." in follow.content.decode()


def test_saving_with_htmx_returns_the_tab_with_the_notice(owner_client, organization):
    response = owner_client.post(url(organization, "save/"), config_post(), headers={"HX-Request": "true"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="tab"' in body
    assert "Configuration saved: 3 values changed." in body
    assert "configuration-changed" in json.loads(response["HX-Trigger"])


def _version(html: str) -> str:
    return re.search(r'name="version" value="([^"]+)"', html)[1]


def test_a_save_over_someone_elses_save_writes_nothing_and_shows_their_values(owner_client, organization):
    """Issue 14, item 20: the same version check as the actuals grid."""
    worked_example_configure(organization)
    loaded = _version(owner_client.get(url(organization)).content.decode())
    ana = Client()
    ana.force_login(UserFactory(email="ana@acme.example", first_name="Ana", last_name="Admin"))
    Membership.unscoped.create(organization=organization, user=User.objects.get(email="ana@acme.example"), role="admin")
    ana_page = ana.get(url(organization)).content.decode()
    assert ana.post(
        url(organization, "save/"), config_post(**{"role-closer-annual_ote": "65000", "version": _version(ana_page)})
    ).status_code == 302
    before = tenant_rows_fingerprint()

    response = owner_client.post(
        url(organization, "save/"), config_post(**{"role-closer-monthly_quota": "6", "version": loaded})
    )

    assert response.status_code == 409
    body = response.content.decode()
    assert "The configuration was changed by Ana Admin at " in body
    assert "while you were editing, so nothing was saved. The saved values are shown under yours" in body
    closer_ote = body[body.index('name="role-closer-annual_ote"') :]
    assert 'value="60000"' in closer_ote[:80] and "now saved: 65000" in closer_ote[: closer_ote.index("</div>")]
    quota = body[body.index('name="role-closer-monthly_quota"') :]
    assert "now saved: 5" in quota[: quota.index("</div>")]  # typed 6, saved 5
    assert "now saved" not in body[body.index('name="org-deal_value"') :][:400]  # unchanged by either
    assert tenant_rows_fingerprint() == before

    # Saving again, from the version the conflict showed, replaces Ana's values knowingly.
    again = owner_client.post(
        url(organization, "save/"), config_post(**{"role-closer-monthly_quota": "6", "version": _version(body)})
    )
    assert again.status_code == 302
    assert (role_of(organization, "closer").annual_ote, role_of(organization, "closer").monthly_quota) == (60000, 6)


def test_an_htmx_save_over_someone_elses_is_swapped_in_with_the_conflict(owner_client, organization):
    loaded = _version(owner_client.get(url(organization)).content.decode())
    SalesRole.unscoped.filter(organization=organization, key="setter").update(name="SDRs")

    response = owner_client.post(
        url(organization, "save/"), config_post(version=loaded), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200  # htmx swaps only 2xx answers
    body = response.content.decode()
    assert "while you were editing, so nothing was saved" in body and "now saved: SDRs" in body
    assert role_of(organization, "setter").name == "SDRs"


def test_saving_unchanged_values_writes_no_audit(owner_client, organization):
    worked_example_configure(organization)
    OrganizationSettings.unscoped.filter(organization=organization).update(timezone="America/New_York")

    response = owner_client.post(url(organization, "save/"), config_post(), headers={"HX-Request": "true"})

    assert "No changes." in response.content.decode()
    assert not AuditEvent.unscoped.filter(organization=organization).exists()


def test_a_negative_quota_rerenders_with_the_error_and_saves_nothing(owner_client, organization):
    before = tenant_rows_fingerprint()
    data = config_post(**{"role-closer-monthly_quota": "-5", "org-deal_value": "20000"})

    response = owner_client.post(url(organization, "save/"), data)

    assert response.status_code == 422
    body = response.content.decode()
    assert "Nothing was saved" in body
    assert '<ul class="errorlist" id="id_role-closer-monthly_quota_error"><li>Must not be negative.</li></ul>' in body
    assert 'value="-5"' in body and 'value="20000"' in body  # what was typed is kept
    assert settings_of(organization).deal_value == Decimal("0")
    assert role_of(organization, "closer").monthly_quota == Decimal("5")
    assert tenant_rows_fingerprint() == before


def test_an_htmx_save_with_errors_is_swapped_in_with_status_200(owner_client, organization):
    data = config_post(**{"role-closer-monthly_quota": "-5"})

    response = owner_client.post(url(organization, "save/"), data, headers={"HX-Request": "true"})

    # htmx 2 does not swap 4xx responses (base.html keeps its defaults): errors come back as 200.
    assert response.status_code == 200
    assert "Must not be negative." in response.content.decode()
    assert role_of(organization, "closer").monthly_quota == Decimal("5")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("role-closer-annual_ote", "abc", "Enter a number"),
        ("role-closer-annual_ote", "NaN", "Enter a number"),
        ("role-closer-annual_ote", "Infinity", "Enter a number"),
        ("role-closer-annual_ote", "-1", "Must not be negative."),
        ("role-closer-annual_ote", "", "Required."),
        ("role-closer-annual_ote", "60000.123", "Use at most 2 decimal places."),
        ("role-closer-commission_rate", "1.5", "Must be at most 1."),
        ("role-closer-annual_base", "70000", "Must not exceed the annual OTE."),
        ("org-meeting_to_deal_rate", "2", "Must be at most 1."),
        ("org-at_risk_threshold", "1.2", "Must not exceed the on-target threshold (1)."),
        ("org-on_target_threshold", "0", "Must be more than 0."),
        ("org-currency", "dollars", "Ensure this value has at most 3 characters"),
        ("org-currency", "U1D", "Use a three-letter code like USD."),
        ("org-timezone", "Mars/Olympus", "Select a valid choice"),
        ("role-closer-ramp", "0, 0.5", "Month 1: 0 must be more than 0 and at most 1."),
        ("role-closer-ramp", "0.5, 1.5", "Month 2: 1.5 must be more than 0 and at most 1."),
        ("role-closer-ramp", "half", "“half” is not a number"),
        ("role-closer-ramp", "NaN", "“NaN” is not a number"),
    ],
)
def test_invalid_values_are_refused_with_their_field_named(owner_client, organization, field, value, message):
    before = tenant_rows_fingerprint()

    response = owner_client.post(url(organization, "save/"), config_post(**{field: value}))

    assert response.status_code == 422
    assert message in response.content.decode()
    assert tenant_rows_fingerprint() == before


@pytest.mark.parametrize(
    ("starts", "multipliers", "message"),
    [
        (["0", "1.5", "1.0"], ["1", "2", "1.5"], "Tier 3: “from” must be above the previous tier&#x27;s (1.5)"),
        (["0", "1"], ["1", "0"], "Tier 2: the multiplier must be a number &gt; 0"),
        (["0", "1"], ["1", ""], "Tier 2: give both “from” and the multiplier."),
        (["-1"], ["1"], "Tier 1: “from” must be a number ≥ 0"),
        (["0"], ["Infinity"], "Tier 1: the multiplier must be a number &gt; 0"),
    ],
)
def test_accelerator_tiers_must_ascend_with_positive_multipliers(
    owner_client, organization, starts, multipliers, message
):
    data = config_post(**{"role-closer-accelerators-from": starts, "role-closer-accelerators-multiplier": multipliers})

    response = owner_client.post(url(organization, "save/"), data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert role_of(organization, "closer").accelerators == []


def test_a_save_checks_the_csrf_token(client, owner, organization):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)

    response = csrf_client.post(url(organization, "save/"), config_post())

    assert response.status_code == 403
    assert settings_of(organization).deal_value == Decimal("0")


# --- live calculations ---------------------------------------------------------------------------


def test_the_live_preview_shows_the_engine_numbers_of_the_unsaved_values(owner_client, organization):
    response = owner_client.post(url(organization, "preview/"), config_post(), headers={"HX-Request": "true"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="tab"' not in body
    assert 'id="calc-closer" class="calcs" hx-swap-oob="true"' in body
    closer = body[body.index('id="calc-closer"') : body.index('id="calc-setter"')]
    assert '<dd data-calc="required">$1,000.00</dd>' in closer
    assert '<dd data-calc="configured">$1,134.00</dd>' in closer
    assert '<dd data-calc="break-even">4.41 deals</dd>' in closer
    assert "Closers: OTE is reached at 4.4 deals but quota is 5.0" in closer
    assert 'id="recommended"' in body and "$68,040.00" in body
    # Nothing is saved by a preview.
    assert settings_of(organization).deal_value == Decimal("0")
    assert not AuditEvent.unscoped.exists()


def test_the_preview_follows_what_is_typed(owner_client, organization):
    data = config_post(**{"role-closer-annual_ote": "84000"})

    body = owner_client.post(url(organization, "preview/"), data, headers={"HX-Request": "true"}).content.decode()

    closer = body[body.index('id="calc-closer"') : body.index('id="calc-setter"')]
    assert '<dd data-calc="required">$1,400.00</dd>' in closer
    assert "Closers: OTE requires 6.2 deals but quota is 5.0" in closer
    # Unsaved values: the recommendations cannot be used until they are saved.
    assert "save them first to use one" in body
    assert "Use this" not in body and body.count("Save first") >= 3


def test_the_preview_of_the_saved_values_keeps_the_recommendations_usable(owner_client, organization):
    worked_example_configure(organization)

    body = owner_client.post(
        url(organization, "preview/"), config_post(), headers={"HX-Request": "true"}
    ).content.decode()

    assert "save them first" not in body and "Save first" not in body
    recommended = body[body.index('class="recommended-table"') : body.index('class="align-table"')]
    assert recommended.count(">Use this</a>") == 3


def test_the_preview_lists_errors_next_to_the_calculations(owner_client, organization):
    data = config_post(**{"role-closer-monthly_quota": "-5", "org-deal_value": "x"})

    body = owner_client.post(url(organization, "preview/"), data, headers={"HX-Request": "true"}).content.decode()

    assert "Average deal value: Enter a number" in body
    assert "Monthly quota (deals): Must not be negative." in body


def test_the_preview_without_htmx_is_the_full_page_with_the_typed_values(owner_client, organization):
    response = owner_client.post(url(organization, "preview/"), config_post(**{"role-closer-annual_ote": "84000"}))

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and 'value="84000"' in body and "$1,400.00" in body
    assert role_of(organization, "closer").annual_ote == Decimal("60000")


# --- the recommended OTE -------------------------------------------------------------------------


def align(client, organization, role: str, field: str = "annual_ote", **headers):
    """The confirmation of "Use this", then its button's POST, as a person would: returns both answers."""
    confirm = client.get(url(organization, "align/"), {"role": role, "field": field}, headers=headers)
    body = confirm.content.decode()
    version = re.search(r'name="version" value="([^"]+)"', body)
    posted = client.post(
        url(organization, "align/"),
        {"role": role, "field": field, "version": version[1] if version else ""},
        headers=headers,
    )
    return confirm, posted


def test_use_this_asks_first_showing_now_and_after_and_changes_nothing(owner_client, organization):
    worked_example_configure(organization)
    before = tenant_rows_fingerprint()

    response = owner_client.get(url(organization, "align/"), {"role": "closer", "field": "annual_ote"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Change the Closers annual OTE?" in body
    assert "<td class=\"num\" data-now>$60,000.00</td>" in body
    assert "<td class=\"num\" data-after><strong>$68,040.00</strong></td>" in body
    assert "Set the annual OTE to $68,040.00" in body
    assert tenant_rows_fingerprint() == before


def test_use_this_sets_the_recommended_ote_and_audits_it(owner_client, owner, organization):
    worked_example_configure(organization)

    _, response = align(owner_client, organization, "closer", **{"HX-Request": "true"})

    assert response.status_code == 200
    assert "Closers: annual OTE set from $60,000.00 to $68,040.00." in response.content.decode()
    assert role_of(organization, "closer").annual_ote == Decimal("68040")
    event = AuditEvent.unscoped.get(organization=organization)
    assert (event.action, event.subject, event.field, event.old_value, event.new_value, event.actor) == (
        "config_update",
        "Closers",
        "annual_ote",
        "60000",
        "68040",
        owner,
    )
    assert role_of(organization, "manager").annual_ote == Decimal("90000")


def test_use_this_for_the_manager_gives_the_spec_amount_not_the_briefs(owner_client, organization):
    worked_example_configure(organization)

    align(owner_client, organization, "manager")

    assert role_of(organization, "manager").annual_ote == Decimal("163296")


@pytest.mark.parametrize(
    ("role", "field", "now", "after", "stored"),
    [
        # $60,000 / 12 = $5,000 a month over 5 deals of $11,340: 0.0882 of each deal (the OTE at 4.41 deals).
        ("closer", "commission_rate", "0.1 (10.00%)", "0.0882 (8.82%)", Decimal("0.0882")),
        # $48,000 / 12 over 40 meetings, a meeting worth $11,340 x 0.25: 0.0353.
        ("setter", "commission_rate", "0.05 (5.00%)", "0.0353 (3.53%)", Decimal("0.0353")),
        # At 10% of $11,340 a deal pays $1,134: $5,000 a month is 4.41 deals.
        ("closer", "monthly_quota", "5 deals", "4.41 deals", Decimal("4.41")),
        ("manager", "monthly_quota", "40 team deals", "22.05 team deals", Decimal("22.05")),
    ],
)
def test_the_rate_or_the_quota_that_pays_the_current_ote_at_quota(
    owner_client, organization, role, field, now, after, stored
):
    worked_example_configure(organization)

    confirm, posted = align(owner_client, organization, role, field)

    body = confirm.content.decode()
    assert f"data-now>{now}</td>" in body and f"data-after><strong>{after}</strong>" in body
    assert posted.status_code == 302
    assert getattr(role_of(organization, role), field) == stored
    assert role_of(organization, role).annual_ote == {"closer": 60000, "setter": 48000, "manager": 90000}[role]


def test_an_aligned_role_pays_its_ote_at_quota(owner_client, organization):
    """What "Use this" promises: after setting the rate, the role's pay at quota is its OTE (to the rate's
    4 places), which the engine's live calculation shows as a break-even at the quota."""
    worked_example_configure(organization)

    align(owner_client, organization, "closer", "commission_rate")

    page = owner_client.get(url(organization)).content.decode()
    closer = page[page.index('id="calc-closer"') : page.index('id="calc-setter"')]
    assert "5.00 deals" in closer and "Quota and OTE are aligned." in closer


def test_use_this_needs_deal_economics_that_pay_something(owner_client, organization):
    page = owner_client.get(url(organization)).content.decode()  # a new organization: deal value 0
    assert "Use this" not in page

    confirm = owner_client.get(url(organization, "align/"), {"role": "closer", "field": "annual_ote"})
    response = owner_client.post(url(organization, "align/"), {"role": "closer", "field": "commission_rate"})

    assert confirm.status_code == 422 and response.status_code == 422
    assert "set the deal value, the commission rate and the quota first" in confirm.content.decode()
    assert "No commission rate of at most 100% pays this OTE" in response.content.decode()
    assert role_of(organization, "closer").annual_ote == Decimal("60000")


def test_use_this_for_an_unknown_role_or_value_is_404(owner_client, organization):
    assert owner_client.post(url(organization, "align/"), {"role": "nobody"}).status_code == 404
    assert owner_client.get(url(organization, "align/"), {"role": "closer", "field": "name"}).status_code == 404


def test_use_this_after_someone_else_changed_the_configuration_asks_again(owner_client, organization):
    worked_example_configure(organization)
    confirm = owner_client.get(url(organization, "align/"), {"role": "closer", "field": "annual_ote"})
    version = re.search(r'name="version" value="([^"]+)"', confirm.content.decode())[1]
    SalesRole.unscoped.filter(organization=organization, key="closer").update(monthly_quota=Decimal("6"))

    response = owner_client.post(
        url(organization, "align/"), {"role": "closer", "field": "annual_ote", "version": version}
    )

    assert response.status_code == 409
    body = response.content.decode()
    assert "while you were deciding, so nothing was saved" in body
    assert "data-after><strong>$81,648.00</strong>" in body  # the new proposal: 6 deals x $1,134 x 12
    assert role_of(organization, "closer").annual_ote == Decimal("60000")


# --- roles ---------------------------------------------------------------------------------------


def test_adding_a_role(owner_client, organization):
    data = {"new-role-key": "senior_closer", "new-role-name": "Senior closers", "new-role-kind": "closer"}

    response = owner_client.post(url(organization, "roles/add/"), data, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Role Senior closers added" in response.content.decode()
    role = role_of(organization, "senior_closer")
    assert (role.name, role.kind, role.position) == ("Senior closers", "closer", 3)
    assert 'name="role-senior_closer-annual_ote"' in response.content.decode()
    assert AuditEvent.unscoped.filter(action="config_update", subject="Senior closers").count() == 2


def test_adding_a_role_with_a_taken_key_is_refused(owner_client, organization):
    data = {"new-role-key": "closer", "new-role-name": "Again", "new-role-kind": "closer"}

    response = owner_client.post(url(organization, "roles/add/"), data)

    assert response.status_code == 422
    assert "A role with this key already exists." in response.content.decode()
    assert SalesRole.unscoped.filter(organization=organization).count() == 3


# --- export and import ---------------------------------------------------------------------------


def test_export_then_import_round_trips(owner_client, organization):
    worked_example_configure(organization)
    rep_create(organization, name="Ana", role="closer", start_date=date(2024, 3, 1))
    exported = owner_client.get(url(organization, "export/"))
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/json")
    assert exported["Content-Disposition"] == f'attachment; filename="{organization.slug}-configuration.json"'
    document = json.loads(exported.content)
    assert document["version"] == "2.0" and document["roles"]["closer"]["annual_ote"] == 60000

    SalesRole.unscoped.filter(organization=organization, key="closer").update(annual_ote=Decimal("1"))
    OrganizationSettings.unscoped.filter(organization=organization).update(deal_value=Decimal("5"))
    upload = SimpleUploadedFile("config.json", exported.content, content_type="application/json")
    response = import_through_the_preview(owner_client, organization, upload)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Configuration imported: " in body and "1 role updated" in body
    assert role_of(organization, "closer").annual_ote == Decimal("60000")
    assert settings_of(organization).deal_value == Decimal("11340")
    assert owner_client.get(url(organization, "export/")).content == exported.content


def import_through_the_preview(client, organization, upload):
    """Upload the file (its preview), then apply it as the preview's button does (htmx)."""
    htmx = {"HX-Request": "true"}
    preview = client.post(url(organization, "import/"), {"file": upload}, headers=htmx)
    assert preview.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', preview.content.decode())[1]
    return client.post(url(organization, "import/apply/"), {"token": token}, headers=htmx)


def test_importing_the_old_dashboards_file_shows_its_notices(owner_client, organization):
    legacy = {
        "ote_quotas": {
            "closer_ote": 50000,
            "closer_quota_deals": 6,
            "setter_ote": 48000,
            "setter_quota_meetings": 40,
            "manager_ote": 90000,
            "manager_quota_team_deals": 40,
        },
        "version": "1.1",
        "theme": "dark",
    }
    upload = SimpleUploadedFile("old.json", json.dumps(legacy).encode())

    response = import_through_the_preview(owner_client, organization, upload)

    body = response.content.decode()
    assert "Configuration imported: " in body and "1 role updated" in body
    assert "Ignored settings of the old dashboard: theme." in body
    assert role_of(organization, "closer").annual_ote == Decimal("50000")


def test_a_bad_import_file_names_the_field_and_changes_nothing(owner_client, organization):
    document = {
        "version": "2.0",
        "organization": {"deal_value": 20000},
        "roles": {"closer": {"annual_ote": 70000, "monthly_quota": -5}},
    }
    upload = SimpleUploadedFile("bad.json", json.dumps(document).encode())
    before = tenant_rows_fingerprint()

    response = owner_client.post(url(organization, "import/"), {"file": upload})

    assert response.status_code == 422
    body = response.content.decode()
    assert "Nothing was imported." in body
    assert "roles.closer.monthly_quota: must be a number ≥ 0, got -5" in body
    assert tenant_rows_fingerprint() == before


@pytest.mark.parametrize("content", [b"not json", b"\xff\xfe", b"[1, 2]", b'{"version": "3.0"}'])
def test_files_that_are_not_configurations_are_refused(owner_client, organization, content):
    before = tenant_rows_fingerprint()

    response = owner_client.post(
        url(organization, "import/"), {"file": SimpleUploadedFile("x.json", content)}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "Nothing was imported." in response.content.decode()
    assert tenant_rows_fingerprint() == before


def test_an_import_needs_a_file(owner_client, organization):
    response = owner_client.post(url(organization, "import/"), {})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


# --- access levels -------------------------------------------------------------------------------

WRITES = ["preview/", "save/", "align/", "roles/add/", "import/"]


@pytest.mark.parametrize("role", [MemberRole.MANAGER, MemberRole.VIEWER])
def test_managers_and_viewers_see_the_values_read_only(client, organization, role):
    worked_example_configure(organization)
    member_client(client, organization, role)

    body = client.get(url(organization)).content.decode()

    assert "Read-only: only owners and admins can change the configuration." in body
    assert 'name="role-closer-annual_ote" value="60000"' in body
    form_tag = body[body.index('<form id="config-form"') :].split(">", 1)[0]
    assert "hx-post" not in form_tag  # no live preview for those who cannot save
    assert "Save configuration" not in body and "Use this" not in body and "Add a role" not in body
    assert 'type="file"' not in body
    assert "$1,134.00" in body and "$68,040.00" in body  # the numbers are still there
    for name in (
        "org-deal_value",
        "org-timezone",
        "role-closer-annual_ote",
        "role-manager-commission_rate",
        "role-closer-accelerators-from",
    ):
        start = body.rindex("<", 0, body.index(f'name="{name}"'))
        assert "disabled" in body[start : body.index(">", start)], name
    assert "Export configuration" not in body  # the file lists the reps' emails (issue 14 item 21)


@pytest.mark.parametrize("role", [MemberRole.MANAGER, MemberRole.VIEWER])
@pytest.mark.parametrize("endpoint", WRITES)
def test_managers_and_viewers_get_403_on_every_write(client, organization, role, endpoint):
    member_client(client, organization, role)
    before = tenant_rows_fingerprint()
    data = config_post(**{"role": "closer", "new-role-key": "x", "new-role-name": "X", "new-role-kind": "closer"})

    response = client.post(url(organization, endpoint), data, headers={"HX-Request": "true"})

    assert response.status_code == 403
    assert tenant_rows_fingerprint() == before


def test_an_admin_can_configure(client, organization):
    member_client(client, organization, MemberRole.ADMIN)

    response = client.post(url(organization, "save/"), config_post())

    assert response.status_code == 302
    assert settings_of(organization).deal_value == Decimal("11340")


@pytest.mark.parametrize(
    ("role", "status"), [(MemberRole.VIEWER, 403), (MemberRole.MANAGER, 403), (MemberRole.ADMIN, 200)]
)
def test_only_admins_and_owners_may_export_reps_emails(client, organization, role, status):
    rep_create(organization, name="Ana", role="closer")
    member_client(client, organization, role)

    response = client.get(url(organization, "export/"))

    assert response.status_code == status
    if status == 403:
        assert "This needs owner or admin access." in response.content.decode()
        assert client.get(f"/o/{organization.slug}/report.csv").status_code == 200  # the reports stay theirs


@pytest.mark.parametrize("endpoint", ["", "export/"])
def test_reads_refuse_posts_and_writes_refuse_gets(owner_client, organization, endpoint):
    assert owner_client.post(url(organization, endpoint)).status_code == 405
    assert owner_client.get(url(organization, "save/")).status_code == 405


# --- query budgets -------------------------------------------------------------------------------


def _queries(client, method: str, path: str, **kwargs) -> tuple[int, int]:
    """(all queries, queries of the domain tables) of one request."""
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 200, response.status_code
    return len(captured), sum('"oteapp_' in query["sql"] for query in captured)


def _counts(client, organization) -> dict[str, tuple[int, int]]:
    htmx = {"HX-Request": "true"}
    client.get(url(organization))  # the first request of a session does more (e.g. the org switcher's memory)
    return {
        "page": _queries(client, "get", url(organization) + "?month=2026-10"),
        "tab": _queries(client, "get", url(organization) + "?month=2026-10", headers=htmx),
        "preview": _queries(client, "post", url(organization, "preview/"), data=config_post(), headers=htmx),
        "export": _queries(client, "get", url(organization, "export/")),
    }


def test_query_counts_do_not_grow_with_reps_or_months(client, owner, organization):
    from accounts.services import organization_create

    small, large = organization, organization_create(name="Large Co", owner=owner)
    team_create(small, reps=5, months=1)
    team_create(large, reps=500, months=36)
    assert MonthlyActual.unscoped.filter(organization=large).count() == 500 * 36
    client.force_login(owner)

    small_counts, large_counts = _counts(client, small), _counts(client, large)

    assert small_counts == large_counts
    # Domain queries: the settings and the roles (export: settings, roles, reps); the months with actuals
    # come from the per-data-version cache after the first request. The whole tab also lists the reps' own plans
    # (selectors.rep_plans_get: seven); the live preview of the role inputs does not.
    assert {name: domain for name, (_total, domain) in small_counts.items()} == {
        "page": 9,
        "tab": 9,
        "preview": 2,
        "export": 3,
    }
