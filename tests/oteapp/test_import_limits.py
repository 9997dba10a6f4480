"""Issue 14 items 2 and 6: every import is linear in its size and capped (bytes, rows, reps, roles), and text
that cannot be stored (NUL, lone surrogates) is a clear error, never a 500.

Work is asserted, not time: the hostile files below are refused by a named limit before any per-key or
per-row processing, and the refusal lists at most MAX_ERRORS_LISTED problems whatever the file holds."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import organization_context
from oteapp.files.actuals_csv import ActualsImportError, actuals_csv_preview
from oteapp.files.configuration import MAX_ERRORS_LISTED, ConfigImportError, config_import
from oteapp.models import Rep
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

HEADER = "month,rep,role,deals,meetings,team_deals,revenue,start_date\n"


def config_refusal(organization, data: bytes | str) -> ConfigImportError:
    with organization_context(organization), pytest.raises(ConfigImportError) as refused:
        config_import(organization=organization, data=data)
    return refused.value


def csv_refusal(organization, data: bytes | str) -> ActualsImportError:
    with organization_context(organization), pytest.raises(ActualsImportError) as refused:
        actuals_csv_preview(organization=organization, data=data)
    return refused.value


def hostile_json_object(keys: int) -> bytes:
    return ("{" + ",".join(f'"k{index}":1' for index in range(keys)) + "}").encode()


def test_a_megabyte_json_object_of_125000_keys_is_refused_by_the_key_limit(organization):
    data = hostile_json_object(125_000)
    assert 1_000_000 < len(data) < 1_500_000  # about 1.4 MB: under the byte limit, so parsed

    error = config_refusal(organization, data)

    assert error.errors == ["not a configuration file: an object has 125,000 fields; at most 82"]


def test_the_same_file_posted_to_the_page_is_refused_with_its_message(owner_client, organization):
    before = tenant_rows_fingerprint()
    upload = SimpleUploadedFile("hostile.json", hostile_json_object(125_000), content_type="application/json")

    response = owner_client.post(f"/o/{organization.slug}/configuration/import/", {"file": upload})

    assert response.status_code == 422
    assert "an object has 125,000 fields; at most 82" in response.content.decode()
    assert tenant_rows_fingerprint() == before


def test_duplicate_keys_are_still_found(organization):
    data = '{"version": "2.0", "reps": [], "roles": {}, "reps": []}'
    assert config_refusal(organization, data).errors == ['not a valid configuration: the key "reps" appears twice']


def test_a_file_over_the_byte_limit_is_refused_before_it_is_parsed(organization, settings):
    settings.IMPORT_MAX_BYTES = 1000
    error = config_refusal(organization, b"[" * 1001)
    assert error.errors == ["the file is too large (1,001 bytes); an import takes at most 1,000 bytes"]
    error = csv_refusal(organization, b"x" * 1001)
    assert error.errors == ["the file is too large (1,001 bytes); an import takes at most 1,000 bytes"]


def test_too_many_reps_or_roles_in_a_configuration_are_refused_by_count(organization, settings):
    settings.IMPORT_MAX_REPS, settings.IMPORT_MAX_ROLES = 3, 2
    reps = [{"name": f"Rep {index}", "role": "closer"} for index in range(4)]
    roles = {f"r{index}": {"kind": "closer"} for index in range(3)}
    error = config_refusal(organization, json.dumps({"version": "2.0", "reps": reps, "roles": roles}))
    assert error.errors == [
        "roles: the file has 3 roles; an import takes at most 2",
        "reps: the file has 4 reps; an import takes at most 3",
    ]


def test_a_csv_header_of_125000_columns_is_refused_at_once(organization):
    data = ("month," * 125_000 + "rep\n").encode()
    assert len(data) > 750_000
    error = csv_refusal(organization, data)
    assert len(error.errors) == 1
    assert error.errors[0].startswith("line 1: the header has 125,001 columns; the columns are month,rep,role")


def test_a_csv_of_125000_rows_stops_at_the_row_limit(organization):
    data = ("month,rep,role\n" + "2026-10,A,\n" * 125_000).encode()
    assert 1_000_000 < len(data) < 2 * 1024 * 1024
    error = csv_refusal(organization, data)
    assert error.errors == ["line 50002: the file has more than 50,000 rows; an import takes at most 50,000"]


def test_thousands_of_bad_rows_list_the_first_problems_and_count_the_rest(organization):
    data = HEADER + "2026-13,Ana,closer,1,,,,\n" * 5_000
    error = csv_refusal(organization, data)
    assert len(error.errors) == MAX_ERRORS_LISTED + 1
    assert error.errors[-1] == "… and 4,900 more problems not listed"
    assert str(error).endswith("(and 4,999 more problems)")


def test_too_many_reps_in_a_csv_are_refused_before_they_are_looked_up(organization, settings):
    settings.IMPORT_MAX_REPS = 10
    data = HEADER + "".join(f"2026-10,Rep {index},closer,1,,,,\n" for index in range(11))
    with CaptureQueriesContext(connection) as queries:
        error = csv_refusal(organization, data)
    assert error.errors == ["the file names 11 reps; an import takes at most 10"]
    assert not any("oteapp_rep" in query["sql"] for query in queries.captured_queries)


def test_400_reps_by_36_months_stays_accepted(organization):
    months = [f"{2024 + (index // 12)}-{index % 12 + 1:02d}" for index in range(36)]
    data = HEADER + "".join(
        f"{month},Representative Number {rep:03d} Smith,closer,12,,,123456.78,2023-01-01\n"
        for rep in range(400)
        for month in months
    )
    assert len(data.encode()) > 1_000_000
    with organization_context(organization):
        preview = actuals_csv_preview(organization=organization, data=data.encode())
    assert (preview.rows, len(preview.reps_to_create)) == (14_400, 400)


# --- item 6: NUL and lone surrogates ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "shown"), [("a\x00b", '"a\\u0000b"'), ("a\ud800b", '"a\\ud800b"')])
def test_nul_and_lone_surrogates_in_configuration_names_are_field_errors(owner_client, organization, name, shown):
    document = {"version": "2.0", "roles": {"closer": {"name": name}}, "reps": [{"name": name, "role": "closer"}]}
    data = json.dumps(document).encode()  # ASCII JSON: the surrogate travels as its \\ud800 escape
    before = tenant_rows_fingerprint()

    error = config_refusal(organization, data)
    upload = SimpleUploadedFile("c.json", data, content_type="application/json")
    response = owner_client.post(f"/o/{organization.slug}/configuration/import/", {"file": upload})

    assert error.errors[0].startswith("roles.closer.name: must not contain")
    assert error.errors[1].startswith("reps[0].name: must not contain")
    assert response.status_code == 422 and "roles.closer.name: must not contain" in response.content.decode()
    assert tenant_rows_fingerprint() == before


def test_a_lone_surrogate_in_a_key_is_echoed_printably(owner_client, organization):
    data = b'{"version": "2.0", "organization": {"\\ud800": 1}}'
    upload = SimpleUploadedFile("c.json", data, content_type="application/json")
    response = owner_client.post(f"/o/{organization.slug}/configuration/import/", {"file": upload})
    assert response.status_code == 422
    assert "organization.\\ud800: unknown field" in response.content.decode()


def test_nul_in_an_actuals_csv_name_is_a_cell_error(owner_client, organization):
    data = (HEADER + "2026-10,a\x00b,closer,3,,,,\n").encode()
    error = csv_refusal(organization, data)
    assert error.errors == ['line 2, column rep: the rep\'s name must not contain the NUL character, got "a\\u0000b"']
    upload = SimpleUploadedFile("a.csv", data, content_type="text/csv")
    response = owner_client.post(f"/o/{organization.slug}/actuals/upload/", {"csv-file": upload})
    assert response.status_code == 422
    with organization_context(organization):
        assert not Rep.objects.exists()


def test_forms_refuse_nul_with_one_clear_message(owner_client, organization):
    response = owner_client.post("/organizations/new/", {"name": "Bad\x00Co"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("must not contain the NUL character") == 1 and "Null characters" not in html


def test_a_file_of_the_largest_size_filled_with_objects_under_the_key_limit_is_refused_by_count(
    organization, settings
):
    """The worst a file under every per-object limit can do: the byte limit's worth of reps, each with as many
    fields as an object may have. It is refused by the reps limit with no more work in the database than a file one
    rep over the limit."""
    fields = settings.IMPORT_MAX_ROLES + 32
    rep = "{" + ",".join(f'"f{index}":1' for index in range(fields)) + "}"

    def file_of(count: int) -> bytes:
        return ('{"version":"2.0","reps":[' + ",".join([rep] * count) + "]}").encode()

    count = (settings.IMPORT_MAX_BYTES - 100) // (len(rep) + 1)
    assert settings.IMPORT_MAX_BYTES - 1000 < len(file_of(count)) <= settings.IMPORT_MAX_BYTES
    with CaptureQueriesContext(connection) as just_over:
        config_refusal(organization, file_of(settings.IMPORT_MAX_REPS + 1))

    with CaptureQueriesContext(connection) as largest:
        error = config_refusal(organization, file_of(count))

    assert error.errors == [f"reps: the file has {count:,} reps; an import takes at most 2,000"]
    assert len(largest) == len(just_over)


def test_a_request_body_over_the_cap_is_refused_before_it_is_read(owner_client, organization, settings):
    """Issue 14 item 2: Django's own cap on request bodies that are not files answers 400, and nothing changes."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = tenant_rows_fingerprint()

    response = owner_client.post(f"/o/{organization.slug}/configuration/save/", {"deal_value": "1" * 20_000})

    assert response.status_code == 400
    assert tenant_rows_fingerprint() == before
