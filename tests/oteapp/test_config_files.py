"""Configuration JSON export/import (SPEC section 8)."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Membership, Organization, User
from accounts.tenancy import NoOrganizationInContext, organization_context
from oteapp.files.configuration import ConfigImportError, config_export, config_export_json, config_import
from oteapp.models import AuditEvent, MonthlyActual, OrganizationSettings, Rep, SalesRole
from tests.factories import organization_with_members, rep_create

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
WORKED_EXAMPLE = FILES / "worked_example_config.json"


def database_state() -> dict[str, list]:
    """Every row of the tables an import can touch, to prove a refused file changed nothing."""
    models = {
        "organizations": Organization.objects,
        "users": User.objects,
        "memberships": Membership.unscoped,
        "settings": OrganizationSettings.unscoped,
        "roles": SalesRole.unscoped,
        "reps": Rep.unscoped,
        "actuals": MonthlyActual.unscoped,
        "audit": AuditEvent.unscoped,
    }
    return {name: list(manager.order_by("pk").values()) for name, manager in models.items()}


def imported(organization, data, **kwargs):
    with organization_context(organization):
        return config_import(organization=organization, data=data, **kwargs)


def exported(organization) -> str:
    with organization_context(organization):
        return config_export_json(organization=organization)


def roles_of(organization) -> dict[str, SalesRole]:
    return {role.key: role for role in SalesRole.unscoped.filter(organization=organization)}


def test_export_of_a_new_organization_is_version_2_with_numbers(organization):
    with organization_context(organization):
        data = config_export(organization=organization)
    assert list(data) == ["version", "organization", "roles", "reps"]
    assert data["version"] == "2.0"
    assert data["organization"]["meeting_to_deal_rate"] == 0.25
    assert data["organization"]["comp_model"] == "commission_only"
    assert list(data["roles"]) == ["closer", "setter", "manager"]
    assert data["roles"]["closer"] == {
        "name": "Closers",
        "kind": "closer",
        "annual_ote": 60000,
        "annual_base": 0,
        "monthly_quota": 5,
        "commission_rate": 0.1,
        "monthly_draw": 0,
        "draw_recoverable": False,
        "ramp": [],
        "accelerators": [],
    }
    assert data["reps"] == []


def test_worked_example_file_imports_and_exports_byte_identical(organization):
    result = imported(organization, WORKED_EXAMPLE.read_bytes())

    assert (result.settings_updated, result.roles_created, result.roles_updated) == (3, 0, 0)
    assert (result.reps_created, result.reps_updated) == (4, 0)
    assert exported(organization) == WORKED_EXAMPLE.read_text()


def test_round_trip_into_a_fresh_organization_is_identical(organization):
    rich = {
        "version": "2.0",
        "organization": {
            "currency": "EUR",
            "timezone": "Europe/Paris",
            "deal_value": "11340.50",
            "meeting_to_deal_rate": "0.3",
            "comp_model": "mixed",
            "monthly_operating_expenses": 9000.25,
            "on_target_threshold": "1.05",
            "at_risk_threshold": 0.8,
            "misalignment_tolerance": "0.15",
        },
        "roles": {
            "closer": {"annual_ote": "60000", "annual_base": "24000.00", "ramp": [0.5, "0.75"]},
            "senior_closer": {
                "name": "Senior closers",
                "kind": "closer",
                "annual_ote": 95000,
                "annual_base": 30000,
                "monthly_quota": 7.5,
                "commission_rate": "0.125",
                "accelerators": [{"from": 0, "multiplier": 1}, {"from": "1.0", "multiplier": "1.5"}],
            },
        },
        "reps": [
            {"name": "Zoë Ávila", "email": "zoe@example.com", "role": "senior_closer", "start_date": "2026-02-01"},
            {"name": "Ana", "role": "closer", "start_date": "2025-01-01", "end_date": "2026-12-31"},
        ],
    }
    imported(organization, json.dumps(rich, ensure_ascii=False))
    first = exported(organization)

    fresh = organization_with_members("Fresh Co")
    imported(fresh, first.encode())
    assert exported(fresh) == first
    # And importing it again changes nothing at all.
    audit_before = AuditEvent.unscoped.filter(organization=fresh).count()
    again = imported(fresh, first)
    assert again.summary() == "nothing changed"
    assert AuditEvent.unscoped.filter(organization=fresh).count() == audit_before

    data = json.loads(first)
    # The file is the configuration: the setter and manager roles it leaves out had no reps, so they are gone.
    assert list(data["roles"]) == ["closer", "senior_closer"]
    assert data["roles"]["closer"]["ramp"] == [0.5, 0.75]
    assert data["roles"]["senior_closer"]["accelerators"] == [
        {"from": 0, "multiplier": 1},
        {"from": 1, "multiplier": 1.5},
    ]
    assert data["organization"]["deal_value"] == 11340.5
    assert [rep["name"] for rep in data["reps"]] == ["Ana", "Zoë Ávila"]


def test_omitted_fields_keep_their_values_and_decimal_strings_are_exact(organization):
    result = imported(
        organization,
        '{"version": "2.0", "roles": {"closer": {"annual_ote": "72000.10"}, "setter": {}, "manager": {}}}',
    )

    closer = roles_of(organization)["closer"]
    assert closer.annual_ote == Decimal("72000.10")
    assert (closer.monthly_quota, closer.commission_rate, closer.name) == (Decimal("5"), Decimal("0.1"), "Closers")
    assert OrganizationSettings.unscoped.get(organization=organization).meeting_to_deal_rate == Decimal("0.25")
    assert (result.roles_updated, result.roles_created, result.settings_updated) == (1, 0, 0)
    event = AuditEvent.unscoped.get(organization=organization)
    assert (event.action, event.subject, event.field) == ("config_import", "role closer", "annual_ote")
    assert (event.old_value, event.new_value) == ("60000", "72000.1")


def test_new_roles_and_reps_are_created_and_reps_updated_by_name(organization, owner):
    with organization_context(organization):
        rep_create(organization, name="Ana", role="closer")
    data = {
        "version": "2.0",
        "roles": {
            "closer": {},
            "setter": {},
            "hunter": {"kind": "closer", "annual_ote": 80000, "monthly_quota": 6, "commission_rate": 0.1},
        },
        "reps": [{"name": "Ana", "role": "hunter", "email": "ana@example.com"}, {"name": "Bo", "role": "setter"}],
    }
    result = imported(organization, json.dumps(data), actor=owner)

    assert (result.roles_created, result.roles_deleted, result.reps_created, result.reps_updated) == (1, 1, 1, 1)
    hunter = roles_of(organization)["hunter"]
    assert (hunter.name, hunter.kind, hunter.annual_ote) == ("Hunter", "closer", Decimal("80000"))
    ana = Rep.unscoped.get(organization=organization, name="Ana")
    assert (ana.role_id, ana.email) == (hunter.pk, "ana@example.com")
    assert Rep.unscoped.get(organization=organization, name="Bo").role.key == "setter"
    role_change = AuditEvent.unscoped.get(organization=organization, subject="rep Ana", field="role")
    assert (role_change.old_value, role_change.new_value, role_change.actor) == ("closer", "hunter", owner)


def test_v1_1_updates_the_six_values_and_ignores_other_keys_with_a_notice(organization):
    before = {key: (role.name, role.commission_rate, role.annual_base) for key, role in roles_of(organization).items()}
    settings_before = OrganizationSettings.unscoped.filter(organization=organization).values().get()

    result = imported(organization, (FILES / "config_v1_1.json").read_bytes())

    roles = roles_of(organization)
    assert (roles["closer"].annual_ote, roles["closer"].monthly_quota) == (Decimal("68040"), Decimal("5"))
    assert (roles["setter"].annual_ote, roles["setter"].monthly_quota) == (Decimal("68040"), Decimal("40"))
    assert (roles["manager"].annual_ote, roles["manager"].monthly_quota) == (Decimal("81600"), Decimal("40"))
    assert {key: (r.name, r.commission_rate, r.annual_base) for key, r in roles.items()} == before
    settings_after = OrganizationSettings.unscoped.filter(organization=organization).values().get()
    assert settings_after == settings_before
    assert result.notices == ["Ignored settings of the old dashboard: avg_deal_value, num_closers."]
    assert result.roles_updated == 3
    changed = set(AuditEvent.unscoped.filter(organization=organization).values_list("subject", "field"))
    assert changed == {("role closer", "annual_ote"), ("role setter", "annual_ote"), ("role manager", "annual_ote")}


def test_v1_1_falls_back_to_the_only_role_of_a_kind(organization):
    with organization_context(organization):
        SalesRole.objects.filter(key="closer").update(key="hunters")
    imported(organization, (FILES / "config_v1_1.json").read_text())
    assert roles_of(organization)["hunters"].annual_ote == Decimal("68040")


def test_v1_1_refuses_when_the_closer_role_is_ambiguous(organization):
    with organization_context(organization):
        SalesRole.objects.filter(key="closer").update(key="hunters")
        SalesRole.objects.create(organization=organization, key="farmers", name="Farmers", kind="closer")
    before = database_state()
    with pytest.raises(ConfigImportError) as error:
        imported(organization, (FILES / "config_v1_1.json").read_text())
    assert str(error.value).startswith("ote_quotas.closer_ote: the organization has no single closer role")
    assert database_state() == before


def closer(fields: str) -> str:
    return '{"version": "2.0", "roles": {"closer": ' + fields + "}}"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("", "not a JSON file: Expecting value at line 1, column 1"),
        (b"\xff\xfe{", "not a JSON file: it is not UTF-8 text"),
        ("[1, 2]", "not a configuration file: expected a JSON object, got a list"),
        ('{"roles": {}}', "version: must be '2.0' (or the old dashboard's '1.1'), got null"),
        ('{"version": 3}', "version: must be '2.0' (or the old dashboard's '1.1'), got 3"),
        ('{"version": "2.0", "version": "1.1"}', 'not a valid configuration: the key "version" appears twice'),
        ('{"version": "2.0", "rolez": {}}', "rolez: unknown field; expected version, organization, roles, reps"),
        (
            closer('{"monthly_quota": "abc"}'),
            'roles.closer.monthly_quota: must be a number ≥ 0, got "abc"',
        ),
        (
            closer('{"annual_ote": -1}'),
            "roles.closer.annual_ote: must be a number ≥ 0, got -1",
        ),
        (
            closer('{"annual_ote": NaN}'),
            "roles.closer.annual_ote: must be a number ≥ 0, got NaN",
        ),
        (
            closer('{"annual_ote": "Infinity"}'),
            'roles.closer.annual_ote: must be a number ≥ 0, got "Infinity"',
        ),
        (
            closer('{"annual_ote": true}'),
            "roles.closer.annual_ote: must be a number ≥ 0, got true",
        ),
        (closer('{"annual_ote": {"usd": 1}}'), "roles.closer.annual_ote: must be a number ≥ 0, got an object"),
        (closer('{"annual_ote": 1e999999999}'), "roles.closer.annual_ote: must be less than 1,000,000,000,000"),
        (
            closer('{"annual_ote": ' + "9" * 5000 + "}"),
            "roles.closer.annual_ote: must be less than 1,000,000,000,000, got " + "9" * 57 + "...",
        ),
        (
            closer('{"annual_ote": 1.234}'),
            "roles.closer.annual_ote: use at most 2 decimal places, got 1.234",
        ),
        (
            closer('{"annual_ote": 1e13}'),
            "roles.closer.annual_ote: must be less than 1,000,000,000,000, got 1E+13",
        ),
        (
            closer('{"commission_rate": 1.5}'),
            "roles.closer.commission_rate: must be a number between 0 and 1, got 1.5",
        ),
        (
            closer('{"kind": "hunter"}'),
            'roles.closer.kind: must be one of closer, setter, manager, got "hunter"',
        ),
        (
            closer('{"anual_ote": 1}'),
            "roles.closer.anual_ote: unknown field; expected one of",
        ),
        (
            closer('{"annual_base": 70000}'),
            "roles.closer.annual_base: annual_base (70000) must not exceed annual_ote (60000)",
        ),
        (
            closer('{"ramp": [0.5, 1.2]}'),
            "roles.closer.ramp[1]: must be a number between 0 and 1, got 1.2",
        ),
        (closer('{"ramp": [0]}'), "roles.closer.ramp[0]: must be more than 0"),
        (
            closer('{"accelerators": [{"from": 1, "multiplier": 1.5}, {"from": 0.5, "multiplier": 2}]}'),
            "roles.closer.accelerators[1].from: tiers must be in increasing order of from, got 0.5",
        ),
        (
            closer('{"accelerators": [{"from": 1}]}'),
            "roles.closer.accelerators[0]: needs both from and multiplier",
        ),
        ('{"version": "2.0", "roles": {"new": {"annual_ote": 1}}}', "roles.new.kind: a new role needs a kind"),
        ('{"version": "2.0", "roles": {"bad key": {"kind": "closer"}}}', "roles.bad key: a role key uses only"),
        ('{"version": "2.0", "roles": []}', "roles: must be an object keyed by role key, got a list"),
        (
            '{"version": "2.0", "organization": {"comp_model": "salary"}}',
            'organization.comp_model: must be one of commission_only, mixed, got "salary"',
        ),
        (
            '{"version": "2.0", "organization": {"timezone": "Mars/Olympus"}}',
            'organization.timezone: must be a time zone like Europe/Paris, got "Mars/Olympus"',
        ),
        (
            '{"version": "2.0", "organization": {"currency": "dollars"}}',
            'organization.currency: must be a three-letter code like USD, got "dollars"',
        ),
        (
            '{"version": "2.0", "organization": {"meeting_to_deal_rate": 2}}',
            "organization.meeting_to_deal_rate: must be a number between 0 and 1, got 2",
        ),
        (
            '{"version": "2.0", "organization": {"on_target_threshold": 0}}',
            "organization.on_target_threshold: must be a number > 0, got 0",
        ),
        (
            '{"version": "2.0", "organization": {"at_risk_threshold": 1.2}}',
            "organization.at_risk_threshold: must not exceed on_target_threshold (1), got 1.2",
        ),
        (
            '{"version": "2.0", "reps": [{"name": "Zed", "role": "hunter"}]}',
            'reps[0].role: unknown role "hunter"; the roles are closer, manager, setter',
        ),
        ('{"version": "2.0", "reps": [{"name": "Zed"}]}', "reps[0].role: a new rep needs a role"),
        ('{"version": "2.0", "reps": [{"name": " ", "role": "closer"}]}', "reps[0].name: must be non-empty text"),
        (
            '{"version": "2.0", "reps": [{"name": "Zed", "role": "closer", "start_date": "2026-02-30"}]}',
            'reps[0].start_date: "2026-02-30" is not a date; use YYYY-MM-DD',
        ),
        (
            '{"version": "2.0", "reps": [{"name": "Zed", "role": "closer", "start_date": "2026-03-01", '
            '"end_date": "2026-01-31"}]}',
            "reps[0].end_date: 2026-01-31 is before the start date 2026-03-01",
        ),
        (
            '{"version": "2.0", "reps": [{"name": "Zed", "role": "closer", "email": "zed@"}]}',
            'reps[0].email: is not an email address, got "zed@"',
        ),
        (
            '{"version": "2.0", "reps": [{"name": "Zed", "role": "closer"}, {"name": "Zed", "role": "setter"}]}',
            'reps[1].name: "Zed" is already listed at reps[0]',
        ),
        ('{"version": "1.1", "ote_quotas": {"closer_ote": 1}}', "ote_quotas.closer_quota_deals: missing"),
        (
            '{"version": "1.1", "ote_quotas": {"closer_ote": "abc", "closer_quota_deals": 5, "setter_ote": 1, '
            '"setter_quota_meetings": 1, "manager_ote": 1, "manager_quota_team_deals": 1}}',
            'ote_quotas.closer_ote: must be a number ≥ 0, got "abc"',
        ),
    ],
)
def test_invalid_files_are_refused_whole_with_the_field_named(organization, document, message):
    before = database_state()

    with pytest.raises(ConfigImportError) as error:
        imported(organization, document)

    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
    assert database_state() == before


def test_every_problem_is_listed_and_the_message_counts_them(organization):
    document = '{"version": "2.0", "roles": {"closer": {"annual_ote": -1, "monthly_quota": "abc", "kind": "x"}}}'
    with pytest.raises(ConfigImportError) as error:
        imported(organization, document)
    assert len(error.value.errors) == 3
    assert str(error.value).endswith("(and 2 more problems)")


def test_import_needs_the_organizations_own_context(organization, other_organization):
    with organization_context(other_organization), pytest.raises(NoOrganizationInContext):
        config_import(organization=organization, data=WORKED_EXAMPLE.read_bytes())
