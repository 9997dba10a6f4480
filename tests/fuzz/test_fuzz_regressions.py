"""The bugs the property tests and the load test found, pinned as plain examples (the fuzz draws anew on each
run, so it may not meet them again)."""

import logging

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase

from accounts.models import Invitation, Organization
from oteapp.jobs import snapshots
from tests.fuzz.conftest import World
from tests.fuzz.harness import HTMX, fingerprint

pytestmark = pytest.mark.django_db


def test_a_month_whose_next_month_does_not_exist_is_not_a_month(world: World):
    rep = world.reps["Ana"]
    response = world.client.post(f"/o/{world.slug}/actuals/rows/{rep.pk}/9999-12/", {"version": "0", "deals": "1"})
    assert response.status_code == 404
    page = world.client.get(f"/o/{world.slug}/actuals/?month=9999-12")
    assert page.status_code == 200 and "is not a month; showing" in page.content.decode()


def test_a_deeply_nested_configuration_file_is_refused(world: World):
    before = fingerprint()
    file = SimpleUploadedFile("configuration.json", b"[" * 100_000, "application/json")
    response = world.client.post(f"/o/{world.slug}/configuration/import/", {"file": file})
    assert response.status_code == 422 and "nested too deeply" in response.content.decode()
    assert fingerprint() == before


def test_a_signaling_nan_is_an_invalid_number(world: World):
    from tests.fuzz.cases import configuration_form

    valid, _ = configuration_form(world)
    before = fingerprint()
    response = world.client.post(f"/o/{world.slug}/configuration/save/", valid | {"org-at_risk_threshold": "sNaN"})
    assert response.status_code == 422 and "Enter a number" in response.content.decode()
    assert fingerprint() == before


@pytest.mark.parametrize("email", ["someone@example.com\ufffd", "someone@exa\ufffdmple.com"])
def test_an_address_the_mail_layer_cannot_encode_is_refused_before_anything_is_saved(world: World, email: str):
    response = world.client.post(f"/o/{world.slug}/members/invite/", {"email": email, "role": "manager"})
    assert response.status_code == 302
    assert not Invitation.unscoped.filter(email=email.lower()).exists()
    signup = Client().post(
        "/accounts/signup/",
        {"email": email, "password1": "x-Secret-9876", "password2": "x-Secret-9876", "organization_name": "New Co"},
    )
    assert signup.status_code == 200 and "Enter an email address we can send to." in signup.content.decode()
    assert not Organization.objects.filter(name="New Co").exists()


@pytest.mark.parametrize("path", ["/organizations/new/", "invitation"])
def test_a_post_without_form_fields_says_what_is_missing(world: World, path: str):
    if path == "invitation":
        path, client = f"/invitations/{world.invitation_token}/", Client()
    else:
        client = world.client
    response = client.post(path, b"{}", content_type="application/json")
    assert response.status_code == 200 and "This field is required." in response.content.decode()


def test_a_download_repeats_a_bad_month_as_plain_text(world: World):
    response = world.client.get(f"/o/{world.slug}/report.csv", {"month": "<script>alert(1)</script>"})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")


def test_a_refused_end_of_a_rep_shows_its_error_in_a_month_without_reps(world: World):
    rep = world.reps["Ben"]
    data = {"end-rep": str(rep.pk), "end-end_date": "not a date"}
    response = world.client.post(f"/o/{world.slug}/actuals/reps/end/?month=1900-01", data, headers=HTMX)
    assert 'class="errorlist' in response.content.decode()


def test_a_broker_outage_after_commit_is_logged_and_the_request_still_succeeds(world: World, monkeypatch, caplog):
    """Under load, Redis down: each edit's snapshot refresh failed after commit, and Django's error log of the
    robust callback raised (it reads __qualname__, which functools.partial lacks), so saved edits got a 500."""

    def broker_down(**kwargs: object) -> None:
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(snapshots, "_refresh_schedule", broker_down)
    rep = world.reps["Ben"]
    with caplog.at_level(logging.ERROR), TestCase.captureOnCommitCallbacks(execute=True):
        response = world.client.post(
            f"/o/{world.slug}/actuals/rows/{rep.pk}/2026-10/", {"version": "0", "deals": "3"}, headers=HTMX
        )
    assert response.status_code == 200 and "is-saved" in response.content.decode()
    assert "Connection refused" in caplog.text
