"""The command line (SPEC section 7): a bad file or argument exits non-zero with one line on stderr and
changes nothing."""

import io
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import MemberRole, Membership, Organization, User
from accounts.tenancy import organization_context
from oteapp.files.actuals_csv import ActualsImportError, actuals_csv_import
from oteapp.files.configuration import ConfigImportError, config_export_json, config_import
from oteapp.models import SalesRole
from tests.factories import UserFactory
from tests.oteapp.test_config_files import database_state
from tests.servers import database_url

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def example(organization) -> Organization:
    """The worked example loaded, so a half-applied bad file would show."""
    run("importconfig", organization.slug, str(FILES / "worked_example_config.json"))
    run("importactuals", organization.slug, str(FILES / "worked_example_actuals.csv"))
    return organization


def test_createorg_creates_the_owner_without_a_password():
    out = run("createorg", "acme", "--name", "Acme Solar", "--owner", "Boss@Acme.example")

    organization = Organization.objects.get(slug="acme")
    user = User.objects.get(email="boss@acme.example")
    assert organization.name == "Acme Solar"
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    with organization_context(organization):
        assert Membership.objects.get(user=user).role == MemberRole.OWNER
        assert list(SalesRole.objects.values_list("key", flat=True)) == ["closer", "setter", "manager"]
    assert "boss@acme.example has no password yet; they set one at http" in out
    assert "/accounts/password/reset/" in out


def test_createorg_reuses_an_existing_user_and_works_without_owner():
    user = UserFactory(email="boss@acme.example")
    out = run("createorg", "acme", "--name", "Acme", "--owner", "boss@acme.example")
    assert "no password" not in out
    assert User.objects.filter(email="boss@acme.example").count() == 1
    assert user.check_password("correct-horse-battery-9")

    run("createorg", "solo", "--name", "Solo")
    with organization_context(Organization.objects.get(slug="solo")):
        assert not Membership.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("createorg", "Acme Co", "--name", "Acme"), "'Acme Co' is not a valid slug; use lowercase letters"),
        (
            ("createorg", "acme-insurance", "--name", "Acme"),
            "an organization with slug 'acme-insurance' already exists",
        ),
        (("createorg", "new", "--name", "  "), "--name must be 1 to 200 characters"),
        (("createorg", "new", "--name", "New", "--owner", "not-an-email"), "--owner 'not-an-email' is not an email"),
        (("importconfig", "nope", str(FILES / "worked_example_config.json")), "no organization with slug 'nope'"),
        (("importconfig", "acme-insurance", "/no/such/file.json"), "cannot read /no/such/file.json: No such file"),
        (("importactuals", "acme-insurance", str(FILES)), f"cannot read {FILES}: Is a directory"),
        (("importactuals", "nope", str(FILES / "worked_example_actuals.csv")), "no organization with slug 'nope'"),
        (("exportconfig", "nope"), "no organization with slug 'nope'"),
        (("exportconfig", "acme-insurance", "-o", "/no/such/dir/out.json"), "cannot write /no/such/dir/out.json"),
        (("report", "nope", "--month", "2026-10"), "no organization with slug 'nope'"),
        (("report", "acme-insurance", "--month", "2026-13"), "--month '2026-13' is not a month; use YYYY-MM"),
        (("report", "acme-insurance", "--month", "October"), "--month 'October' is not a month; use YYYY-MM"),
        (("report", "acme-insurance"), "Error: one of the arguments --month --period is required"),
        (("report", "acme-insurance", "--month", "2026-10", "--format", "pdf"), "Error: argument --format"),
    ],
)
def test_bad_arguments_are_one_line_errors_that_change_nothing(example, args, message):
    before = database_state()
    with pytest.raises(CommandError) as error:
        run(*args)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
    assert database_state() == before


BAD_FILES = [
    ("bad_not_json.json", "not a JSON file: Expecting value at line 1, column 1"),
    ("bad_wrong_version.json", "version: must be '2.0' (or the old dashboard's '1.1'), got \"3.0\""),
    ("bad_negative_quota.json", "roles.closer.monthly_quota: must be a number ≥ 0, got -5"),
    ("bad_abc_ote.json", 'roles.setter.annual_ote: must be a number ≥ 0, got "abc"'),
    ("bad_unknown_kind.json", 'roles.senior_closer.kind: must be one of closer, setter, manager, got "hunter"'),
    ("bad_month.csv", 'line 4, column month: "2026-13" is not a month; use YYYY-MM'),
    ("bad_missing_column.csv", "line 1, column month: missing; the header must include month,rep,role"),
]


@pytest.mark.parametrize(("name", "message"), BAD_FILES)
def test_bad_files_are_refused_by_the_service(example, name, message):
    data = (FILES / name).read_bytes()
    before = database_state()
    with organization_context(example), pytest.raises((ConfigImportError, ActualsImportError)) as error:
        if name.endswith(".csv"):
            actuals_csv_import(organization=example, data=data)
        else:
            config_import(organization=example, data=data)
    assert str(error.value) == message
    assert database_state() == before


@pytest.mark.parametrize(("name", "message"), BAD_FILES)
def test_bad_files_are_refused_by_the_command(example, name, message):
    path = str(FILES / name)
    command = "importactuals" if name.endswith(".csv") else "importconfig"
    before = database_state()
    with pytest.raises(CommandError) as error:
        run(command, example.slug, path)
    assert str(error.value) == f"{path}: {message}"
    assert database_state() == before


def test_import_commands_report_what_changed(organization):
    out = run("importconfig", organization.slug, str(FILES / "config_v1_1.json"))
    assert out.splitlines() == [
        "Ignored settings of the old dashboard: avg_deal_value, num_closers.",
        f"Imported {FILES / 'config_v1_1.json'} into {organization.slug}: 3 roles updated.",
    ]
    out = run("importactuals", organization.slug, str(FILES / "worked_example_actuals.csv"))
    assert out.endswith(": 7 reps created, 7 actuals rows created.\n")


def test_exportconfig_writes_stdout_or_a_file(example, tmp_path):
    with organization_context(example):
        expected = config_export_json(organization=example)
    assert run("exportconfig", example.slug) == expected

    target = tmp_path / "config.json"
    out = run("exportconfig", example.slug, "-o", str(target))
    assert target.read_text() == expected
    assert out == f"Exported the configuration of {example.slug} to {target}.\n"


def test_report_of_a_month_without_actuals_is_all_nulls_not_an_error(example):
    report = json.loads(run("report", example.slug, "--month", "2027-01"))
    assert report["summary"]["team_avg_attainment"] is None
    assert {role["headcount"] for role in report["roles"]} == {0}
    assert len(report["missing_actuals"]) == 7


@pytest.mark.django_db(transaction=True)
def test_a_real_run_exits_non_zero_with_one_line_on_stderr(organization):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": database_url()}

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    bad_file = str(FILES / "bad_abc_ote.json")
    before = database_state()

    refused = manage("importconfig", organization.slug, bad_file)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f'CommandError: {bad_file}: roles.setter.annual_ote: must be a number ≥ 0, got "abc"'
    ]
    assert refused.stdout == ""
    missing_month = manage("report", organization.slug)
    assert missing_month.returncode == 2
    assert missing_month.stderr.splitlines() == [
        "manage.py report: error: one of the arguments --month --period is required"
    ]
    assert database_state() == before

    imported = manage("importactuals", organization.slug, str(FILES / "worked_example_actuals.csv"))
    assert (imported.returncode, imported.stderr) == (0, "")
    report = manage("report", organization.slug, "--month", "2026-10")
    assert report.returncode == 0
    assert json.loads(report.stdout)["summary"]["total_ote"] == 35500.0


@pytest.mark.django_db(transaction=True)
def test_import_commands_with_redis_down_never_print_a_traceback(organization, tmp_path):
    """Issue 14 item 6: Redis on a closed port and a real broker (not eager tasks). A bad file is one line and
    exit 1; a good file is imported, and the snapshots that wait for Redis are one warning line."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": "redis://127.0.0.1:9/0",  # discard port: nothing listens
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
            timeout=120,
        )

    nul_name = tmp_path / "nul.csv"
    nul_name.write_bytes(b"month,rep,role,deals\n2026-10,a\x00b,closer,3\n")
    refused = {
        "importconfig": manage("importconfig", organization.slug, str(FILES / "bad_abc_ote.json")),
        "importactuals": manage("importactuals", organization.slug, str(nul_name)),
        "missing file": manage("importactuals", organization.slug, str(tmp_path / "absent.csv")),
    }
    for name, run_ in refused.items():
        assert run_.returncode == 1, name
        assert len(run_.stderr.splitlines()) == 1 and "Traceback" not in run_.stderr, (name, run_.stderr)
    assert "line 2, column rep: the rep's name must not contain the NUL character" in refused["importactuals"].stderr

    imported = manage("importactuals", organization.slug, str(FILES / "worked_example_actuals.csv"))
    assert imported.returncode == 0, imported.stderr
    assert "Traceback" not in imported.stderr
    (warning,) = imported.stderr.splitlines()
    assert warning.startswith(f"Snapshots of organization {organization.pk} not scheduled (Redis unavailable: ")
    assert warning.endswith("; the nightly run recomputes them.")
    assert "Imported" in imported.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("createorg", "acme", "--name", "Bad\udcffName"),  # a non-UTF-8 byte in argv arrives as a lone surrogate
        ("exportconfig", "acme\udcff"),
        ("report", "acme", "--month", "2026-10\udcff"),
    ],
)
def test_arguments_that_cannot_be_stored_are_one_line_errors(organization, args):
    before = database_state()
    with pytest.raises(CommandError, match="must not contain invalid Unicode"):
        call_command(*args, stdout=StringIO())
    assert database_state() == before
def test_the_demo_login_hint_and_email_links_use_the_servers_address(db, settings):
    """make run serves on PORT and sets SITE_URL from it; the printed hint (and every link in an email) uses it."""
    settings.SITE_URL = "http://127.0.0.1:8123"
    out = io.StringIO()
    call_command("loaddemo", stdout=out)
    assert "log in at http://127.0.0.1:8123/accounts/login/ as demo@example.com" in out.getvalue()
    dry_run = subprocess.run(["make", "-n", "run", "PORT=8123"], cwd=settings.BASE_DIR, capture_output=True, text=True)
    assert "SITE_URL=http://127.0.0.1:8123 " in dry_run.stdout and "--port 8123" in dry_run.stdout
