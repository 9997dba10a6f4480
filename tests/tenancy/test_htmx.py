import pytest

pytestmark = pytest.mark.django_db


def test_a_tab_is_a_full_page_or_an_htmx_partial(owner_client, organization):
    url = f"/o/{organization.slug}/performance/"
    full = owner_client.get(url)
    partial = owner_client.get(url, headers={"HX-Request": "true"})
    restore = owner_client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assert b"<html" in full.content and b'id="tab"' in full.content
    assert b"<html" not in partial.content and b'id="tab"' in partial.content
    assert b"<html" in restore.content
    for response in (full, partial, restore):
        assert "HX-Request" in response["Vary"]


def test_htmx_requests_carry_the_csrf_token(owner_client, organization):
    page = owner_client.get(f"/o/{organization.slug}/").content.decode()
    assert "hx-headers='{\"X-CSRFToken\": \"" in page
    assert "/static/django_htmx/htmx-2.min.js" in page
