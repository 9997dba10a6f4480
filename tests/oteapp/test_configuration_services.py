"""Configuration writes: what they change, what they audit, and what they refuse."""

import json
from decimal import Decimal

import pytest

from accounts.tenancy import organization_context
from oteapp import engine
from oteapp.files.configuration import ConfigImportError
from oteapp.models import AuditEvent, SalesRole
from oteapp.services.configuration import (
    ConfigurationError,
    UnknownRole,
    configuration_import,
    configuration_update,
    role_align,
    role_create,
    scenario_apply,
)
from tests.oteapp.test_configuration_view import role_of, settings_of, worked_example_configure

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshes(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "oteapp.services.configuration.snapshots_refresh_request", lambda **kwargs: calls.append(kwargs)
    )
    return calls


@pytest.fixture
def org(organization):
    worked_example_configure(organization)
    with organization_context(organization):
        yield organization


def audit(organization) -> set[tuple[str, str, str, str, str]]:
    return {
        (e.action, e.subject, e.field, e.old_value, e.new_value)
        for e in AuditEvent.unscoped.filter(organization=organization)
    }


def test_update_writes_and_audits_only_what_changed(org, owner, refreshes):
    events = configuration_update(
        organization=org,
        actor=owner,
        settings={"deal_value": Decimal("11340.00"), "monthly_operating_expenses": Decimal("9500")},
        roles={
            "closer": {"annual_ote": Decimal("60000.00"), "monthly_quota": Decimal("6"), "name": "Closers"},
            "setter": {"ramp": (Decimal("0.5"), Decimal("0.75"))},
            "manager": {
                "accelerators": (
                    engine.AcceleratorTier(from_attainment=Decimal("0"), multiplier=Decimal("1")),
                    engine.AcceleratorTier(from_attainment=Decimal("1.0"), multiplier=Decimal("1.5")),
                )
            },
        },
    )

    assert len(events) == 4
    assert audit(org) == {
        ("config_update", "Organization settings", "monthly_operating_expenses", "9000", "9500"),
        ("config_update", "Closers", "monthly_quota", "5", "6"),
        ("config_update", "Setters", "ramp", "[]", '["0.5", "0.75"]'),
        (
            "config_update",
            "Managers",
            "accelerators",
            "[]",
            '[{"from": "0", "multiplier": "1"}, {"from": "1", "multiplier": "1.5"}]',
        ),
    }
    assert role_of(org, "closer").monthly_quota == Decimal("6")
    assert role_of(org, "setter").ramp == ["0.5", "0.75"]
    assert role_of(org, "manager").accelerators == [
        {"from": "0", "multiplier": "1"},
        {"from": "1", "multiplier": "1.5"},
    ]
    assert settings_of(org).monthly_operating_expenses == Decimal("9500")
    assert refreshes == [{"organization": org, "months": None}]


def test_an_update_that_changes_nothing_audits_and_refreshes_nothing(org, owner, refreshes):
    events = configuration_update(
        organization=org,
        actor=owner,
        settings={"deal_value": Decimal("11340")},
        roles={"closer": {"annual_ote": Decimal("60000")}},
    )

    assert events == [] and refreshes == []


def test_a_rename_is_audited_under_the_old_name(org, owner, refreshes):
    configuration_update(organization=org, actor=owner, settings={}, roles={"closer": {"name": "Account executives"}})

    assert audit(org) == {("config_update", "Closers", "name", "Closers", "Account executives")}


def test_an_unknown_role_writes_nothing(org, owner, refreshes):
    with pytest.raises(UnknownRole):
        configuration_update(
            organization=org,
            actor=owner,
            settings={"deal_value": Decimal("1")},
            roles={"nobody": {"annual_ote": Decimal("1")}},
        )

    assert settings_of(org).deal_value == Decimal("11340")
    assert audit(org) == set() and refreshes == []


def test_an_unknown_field_is_refused(org, owner):
    with pytest.raises(ConfigurationError, match="organization_id"):
        configuration_update(organization=org, actor=owner, settings={"organization_id": 1}, roles={})


@pytest.mark.parametrize(("key", "expected"), [("closer", "68040"), ("setter", "68040"), ("manager", "163296")])
def test_use_recommended_sets_the_engines_amount(org, owner, refreshes, key, expected):
    role, _, _ = role_align(organization=org, actor=owner, role_key=key, field="annual_ote")

    assert role.annual_ote == Decimal(expected) == role_of(org, key).annual_ote
    ((action, _subject, field, _old, new),) = audit(org)
    assert (action, field, new) == ("config_update", "annual_ote", expected)
    assert refreshes == [{"organization": org, "months": None}]


def test_use_recommended_includes_the_base_in_the_mixed_model(org, owner, refreshes):
    configuration_update(
        organization=org,
        actor=owner,
        settings={"comp_model": "mixed"},
        roles={"closer": {"annual_base": Decimal("20000")}},
    )

    role, old, new = role_align(organization=org, actor=owner, role_key="closer", field="annual_ote")

    assert (old, new) == (Decimal("60000"), Decimal("88040")) and role.annual_ote == Decimal("88040")


def test_use_recommended_for_an_unknown_role(org, owner):
    with pytest.raises(UnknownRole):
        role_align(organization=org, actor=owner, role_key="nobody", field="annual_ote")


def test_aligning_in_the_mixed_model_keeps_the_base_out_of_the_rate(org, owner):
    """Base pay is paid whatever the production: the rate (or quota) must pay only the target variable."""
    configuration_update(
        organization=org,
        actor=owner,
        settings={"comp_model": "mixed"},
        roles={"closer": {"annual_base": Decimal("24000")}},
    )

    _, _, rate = role_align(organization=org, actor=owner, role_key="closer", field="commission_rate")
    _, _, quota = role_align(organization=org, actor=owner, role_key="closer", field="monthly_quota")

    # ($60,000 - $24,000) / 12 = $3,000 a month: over 5 deals of $11,340, 0.0529 of each deal.
    assert rate == Decimal("0.0529")
    # At 5.29% of $11,340 ($599.89 a deal), $3,000 a month is 5.00 deals.
    assert quota == Decimal("5.00")


def test_a_write_from_a_stale_page_changes_nothing_and_names_who_changed_it(org, owner, refreshes):
    from oteapp.selectors import configuration_version
    from oteapp.services.configuration import ConfigurationConflict

    stale = configuration_version(settings=settings_of(org), roles=SalesRole.unscoped.filter(organization=org))
    configuration_update(organization=org, actor=owner, settings={"deal_value": Decimal("12000")}, roles={})

    with pytest.raises(ConfigurationConflict) as conflict:
        configuration_update(
            organization=org,
            actor=None,
            settings={"monthly_operating_expenses": Decimal("1")},
            roles={},
            expected_version=stale,
        )
    with pytest.raises(ConfigurationConflict):
        role_align(organization=org, actor=None, role_key="closer", field="annual_ote", expected_version=stale)
    with pytest.raises(ConfigurationConflict):
        scenario_apply(organization=org, actor=None, settings={}, roles={}, expected_version=stale)

    assert conflict.value.changed_by == owner.display_name and conflict.value.settings.deal_value == 12000
    assert settings_of(org).monthly_operating_expenses != Decimal("1")
    assert len(refreshes) == 1


def test_role_create(org, owner, refreshes):
    role = role_create(organization=org, actor=owner, key="senior_closer", name="Senior closers", kind="closer")

    assert (role.position, role.annual_ote, role.monthly_quota) == (3, Decimal("0"), Decimal("0"))
    assert audit(org) == {
        ("config_update", "Senior closers", "key", "", "senior_closer"),
        ("config_update", "Senior closers", "kind", "", "closer"),
    }
    with pytest.raises(ConfigurationError, match="already exists"):
        role_create(organization=org, actor=owner, key="senior_closer", name="Again", kind="closer")
    assert SalesRole.unscoped.filter(organization=org).count() == 4


def test_scenario_apply_writes_only_the_values_given(org, owner, refreshes):
    events = scenario_apply(
        organization=org,
        actor=owner,
        settings={"deal_value": Decimal("12000"), "monthly_operating_expenses": Decimal("9000")},
        roles={"closer": {"annual_ote": Decimal("50000")}, "setter": {}},
    )

    assert len(events) == 2
    assert audit(org) == {
        ("whatif_apply", "Organization settings", "deal_value", "11340", "12000"),
        ("whatif_apply", "Closers", "annual_ote", "60000", "50000"),
    }
    assert refreshes == [{"organization": org, "months": None}]


def test_configuration_import_refreshes_snapshots_and_refuses_bad_files_whole(org, owner, refreshes):
    good = {"version": "2.0", "roles": {"closer": {"annual_ote": 65000}}}
    result = configuration_import(organization=org, actor=owner, data=json.dumps(good))

    assert result.roles_updated == 1 and role_of(org, "closer").annual_ote == Decimal("65000")
    assert refreshes == [{"organization": org, "months": None}]

    bad = {"version": "2.0", "organization": {"deal_value": 1}, "roles": {"closer": {"monthly_quota": "NaN"}}}
    with pytest.raises(ConfigImportError, match=r"roles\.closer\.monthly_quota"):
        configuration_import(organization=org, actor=owner, data=json.dumps(bad))
    assert settings_of(org).deal_value == Decimal("11340")
    assert len(refreshes) == 1
