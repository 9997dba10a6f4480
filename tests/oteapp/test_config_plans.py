"""Configuration file version 2.0 and issue 17: reps' own plans (`plan`), the fiscal year start and the leaderboard
setting, a file that sets the roles (deleting unstaffed ones, refusing staffed ones as a whole), its preview, and
deleting a role from the service."""

import json
from datetime import date
from decimal import Decimal

import pytest

from accounts.tenancy import organization_context
from oteapp.files.configuration import ConfigImportError, config_import, config_import_preview
from oteapp.models import AuditEvent, OrganizationSettings, Rep, SalesRole
from oteapp.selectors import configuration_version, organization_roles, organization_settings_get
from oteapp.services.configuration import (
    ConfigurationConflict,
    ConfigurationError,
    ImportPreviewChanged,
    RoleInUse,
    configuration_import,
    role_delete,
)
from tests.factories import rep_create
from tests.oteapp.test_config_files import database_state, exported, imported, roles_of

pytestmark = pytest.mark.django_db

ALL_ROLES = {"closer": {}, "setter": {}, "manager": {}}


def document(**parts) -> str:
    return json.dumps({"version": "2.0", "roles": ALL_ROLES, **parts})


def refusal(organization, data: str) -> ConfigImportError:
    before = database_state()
    with organization_context(organization), pytest.raises(ConfigImportError) as refused:
        config_import(organization=organization, data=data)
    assert database_state() == before
    return refused.value


def version(organization) -> str:
    with organization_context(organization):
        return configuration_version(
            settings=organization_settings_get(organization=organization),
            roles=organization_roles(organization=organization),
        )


# --- reps' own plans in the file ----------------------------------------------------------------------------


def test_a_reps_plan_is_exported_with_only_the_figures_set_and_round_trips(organization):
    rep_create(organization, name="Ana", role="closer")
    rep_create(organization, name="Ben", role="closer")
    imported(
        organization,
        document(
            reps=[{"name": "Ana", "plan": {"annual_ote": "72000.50", "monthly_quota": 7.5, "monthly_draw": 1500}}]
        ),
    )
    first = exported(organization)
    reps = {rep["name"]: rep for rep in json.loads(first)["reps"]}
    assert reps["Ana"]["plan"] == {"annual_ote": 72000.5, "monthly_quota": 7.5, "monthly_draw": 1500}
    assert reps["Ben"]["plan"] == {}
    ana = Rep.unscoped.get(organization=organization, name="Ana")
    assert (ana.annual_ote, ana.monthly_quota, ana.monthly_draw) == (Decimal("72000.50"), Decimal("7.5"), 1500)
    assert (ana.annual_base, ana.commission_rate) == (None, None)

    result = imported(organization, first)
    assert result.summary() == "nothing changed" and exported(organization) == first


def test_a_plan_sets_exactly_its_figures_and_no_plan_keeps_the_reps(organization):
    rep_create(organization, name="Ana", role="closer")
    imported(organization, document(reps=[{"name": "Ana", "plan": {"annual_ote": 72000, "commission_rate": 0.12}}]))

    imported(organization, document(reps=[{"name": "Ana", "email": "ana@example.com"}]))  # no plan: kept
    ana = Rep.unscoped.get(organization=organization, name="Ana")
    assert (ana.annual_ote, ana.commission_rate) == (Decimal("72000"), Decimal("0.12"))

    result = imported(
        organization, document(reps=[{"name": "Ana", "plan": {"commission_rate": None, "monthly_quota": 6}}])
    )
    ana.refresh_from_db()
    assert (ana.annual_ote, ana.commission_rate, ana.monthly_quota) == (None, None, Decimal("6"))
    assert result.reps_updated == 1
    changes = set(
        AuditEvent.unscoped.filter(organization=organization, subject="rep Ana").values_list(
            "field", "old_value", "new_value"
        )
    )
    assert {("annual_ote", "72000", ""), ("commission_rate", "0.12", ""), ("monthly_quota", "", "6")} <= changes


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"annual_ote": -1}, "reps[0].plan.annual_ote: must be a number ≥ 0, got -1"),
        ({"monthly_quota": 0}, "reps[0].plan.monthly_quota: must be a number > 0, got 0"),
        ({"commission_rate": 1.5}, "reps[0].plan.commission_rate: must be a number between 0 and 1, got 1.5"),
        ({"monthly_draw": "abc"}, 'reps[0].plan.monthly_draw: must be a number ≥ 0, got "abc"'),
        ({"quota": 5}, "reps[0].plan.quota: unknown field; expected one of annual_ote, annual_base, monthly_quota"),
        (
            {"annual_base": 70000},
            "reps[0].plan.annual_base: the rep's annual base (70000) must not exceed their annual",
        ),
        ([1, 2], "reps[0].plan: must be an object, got a list"),
    ],
)
def test_a_bad_plan_refuses_the_whole_file_naming_the_field(organization, plan, message):
    rep_create(organization, name="Ana", role="closer")
    error = refusal(organization, document(organization={"deal_value": 1}, reps=[{"name": "Ana", "plan": plan}]))
    assert error.errors[0].startswith(message), error.errors


def test_the_fiscal_year_start_and_the_leaderboard_setting_are_in_the_organization(organization):
    imported(organization, document(organization={"fiscal_year_start": 4, "leaderboard_visible_to_reps": True}))
    settings = OrganizationSettings.unscoped.get(organization=organization)
    assert (settings.fiscal_year_start, settings.leaderboard_visible_to_reps) == (4, True)
    organization_section = json.loads(exported(organization))["organization"]
    assert (organization_section["fiscal_year_start"], organization_section["leaderboard_visible_to_reps"]) == (4, True)

    assert refusal(organization, document(organization={"fiscal_year_start": 13})).errors == [
        "organization.fiscal_year_start: must be the month the fiscal year starts in, 1 (January) to 12, got 13"
    ]
    assert refusal(organization, document(organization={"leaderboard_visible_to_reps": "yes"})).errors == [
        'organization.leaderboard_visible_to_reps: must be true or false, got "yes"'
    ]


# --- the file sets the roles ---------------------------------------------------------------------------------


def test_a_file_that_drops_an_unused_role_deletes_it(organization, owner):
    rep_create(organization, name="Ana", role="closer")
    rep_create(organization, name="Gus", role="manager")

    result = imported(organization, json.dumps({"version": "2.0", "roles": {"closer": {}, "manager": {}}}), actor=owner)

    assert set(roles_of(organization)) == {"closer", "manager"}
    assert result.roles_deleted == 1 and "1 role deleted" in result.summary()
    event = AuditEvent.unscoped.get(organization=organization, subject="role setter")
    assert (event.field, event.old_value, event.actor) == ("deleted", "Setters", owner)


def test_a_file_that_drops_a_staffed_role_is_refused_naming_the_role_and_its_reps(organization):
    rep_create(organization, name="Eli", role="setter")
    ended = rep_create(organization, name="Fay", role="setter")
    Rep.unscoped.filter(pk=ended.pk).update(end_date=date(2025, 1, 31))  # ended reps count too

    error = refusal(organization, json.dumps({"version": "2.0", "roles": {"closer": {}, "manager": {"annual_ote": 1}}}))

    assert error.errors == [
        "roles: the file leaves out the role setter (Setters), which 2 reps still belong to: Eli, Fay; "
        "keep the role in the file or move its reps to another role"
    ]


def test_a_role_left_out_can_go_when_the_file_moves_its_reps(organization):
    rep_create(organization, name="Eli", role="setter")
    imported(
        organization,
        json.dumps(
            {"version": "2.0", "roles": {"closer": {}, "manager": {}}, "reps": [{"name": "Eli", "role": "closer"}]}
        ),
    )
    assert set(roles_of(organization)) == {"closer", "manager"}
    assert Rep.unscoped.get(organization=organization, name="Eli").role.key == "closer"


def test_a_file_without_roles_keeps_them_and_an_empty_roles_object_is_refused(organization):
    imported(organization, json.dumps({"version": "2.0", "organization": {"deal_value": 9000}}))
    assert set(roles_of(organization)) == {"closer", "setter", "manager"}
    assert refusal(organization, json.dumps({"version": "2.0", "roles": {}})).errors == [
        "roles: a configuration needs at least one role"
    ]


def test_reps_can_only_be_placed_in_the_files_roles(organization):
    error = refusal(
        organization,
        json.dumps({"version": "2.0", "roles": {"closer": {}}, "reps": [{"name": "Bo", "role": "setter"}]}),
    )
    assert 'reps[0].role: unknown role "setter"; the roles are closer' in error.errors


# --- the preview and applying it ----------------------------------------------------------------------------


def test_the_preview_lists_every_change_and_writes_nothing(organization):
    rep_create(organization, name="Ana", role="closer")
    data = json.dumps(
        {
            "version": "2.0",
            "organization": {"deal_value": 12000},
            "roles": {"closer": {"annual_ote": 70000}, "manager": {}, "hunter": {"kind": "closer"}},
            "reps": [{"name": "Ana", "plan": {"monthly_quota": 4}}, {"name": "Bo", "role": "hunter"}],
        }
    )
    before = database_state()
    with organization_context(organization):
        preview = config_import_preview(organization=organization, data=data)
    assert database_state() == before

    assert [(c.subject, c.field, c.old, c.new) for c in preview.settings] == [
        ("organization", "deal_value", "0", "12000")
    ]
    assert ("role closer", "annual_ote", "60000", "70000") in [
        (c.subject, c.field, c.old, c.new) for c in preview.role_changes
    ]
    assert preview.roles_to_create == ["hunter"] and preview.roles_to_delete == [("setter", "Setters")]
    assert preview.reps_to_create == ["Bo"]
    rep_changes = [(c.subject, c.field, c.old, c.new) for c in preview.rep_changes]
    assert ("rep Ana", "monthly_quota", "", "4") in rep_changes and ("rep Bo", "role", "", "hunter") in rep_changes
    assert not any(c.subject == "rep Ana" and c.field in ("role", "annual_ote") for c in preview.rep_changes)


def test_applying_a_preview_refuses_when_the_configuration_moved_on(organization):
    shown = version(organization)
    data = document(organization={"deal_value": 12000})
    with organization_context(organization):
        fingerprint = config_import_preview(organization=organization, data=data).fingerprint()
    SalesRole.unscoped.filter(organization=organization, key="closer").update(annual_ote=Decimal(1))  # someone else

    before = database_state()
    with organization_context(organization), pytest.raises(ConfigurationConflict):
        configuration_import(
            organization=organization, actor=None, data=data, expected_version=shown, expected_preview=fingerprint
        )
    assert database_state() == before


def test_applying_a_preview_refuses_when_the_file_would_now_change_something_else(organization):
    rep_create(organization, name="Ana", role="closer")
    data = document(reps=[{"name": "Ana", "plan": {"monthly_quota": 4}}])
    with organization_context(organization):
        fingerprint = config_import_preview(organization=organization, data=data).fingerprint()
    Rep.unscoped.filter(organization=organization, name="Ana").update(monthly_quota=Decimal(4))  # the plan moved

    with organization_context(organization), pytest.raises(ImportPreviewChanged) as changed:
        configuration_import(
            organization=organization,
            actor=None,
            data=data,
            expected_version=version(organization),
            expected_preview=fingerprint,
        )
    assert changed.value.preview.rep_changes == []


# --- deleting a role -----------------------------------------------------------------------------------------


def test_a_role_without_reps_is_deleted_and_audited(organization, owner):
    with organization_context(organization):
        role = role_delete(
            organization=organization, actor=owner, role_key="setter", expected_version=version(organization)
        )
    assert role.key == "setter" and set(roles_of(organization)) == {"closer", "manager"}
    event = AuditEvent.unscoped.get(organization=organization, action="role_delete")
    assert (event.subject, event.old_value, event.actor) == ("Setters", "setter (setter)", owner)


def test_a_role_with_reps_or_the_last_role_is_not_deleted(organization):
    rep_create(organization, name="Ana", role="closer")
    with organization_context(organization), pytest.raises(RoleInUse) as in_use:
        role_delete(organization=organization, actor=None, role_key="closer")
    assert str(in_use.value) == "Closers cannot be deleted: 1 rep belongs to it (Ana). Move them to another role first."
    with organization_context(organization):
        role_delete(organization=organization, actor=None, role_key="setter")
        role_delete(organization=organization, actor=None, role_key="manager")
    SalesRole.unscoped.filter(organization=organization, key="closer").update(key="only")
    Rep.unscoped.filter(organization=organization).delete()
    with organization_context(organization), pytest.raises(ConfigurationError, match="is the only role"):
        role_delete(organization=organization, actor=None, role_key="only")
