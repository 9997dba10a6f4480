"""Issue 14 item 17: the time-zone list leads with common zones and leaves out zones that are no place."""

import re

import pytest

from accounts.tenancy import organization_context
from oteapp.models import OrganizationSettings

pytestmark = pytest.mark.django_db


def zone_select(html: str) -> str:
    return re.search(r'<select name="org-timezone".*?</select>', html, re.S).group(0)


def test_the_zone_select_leads_with_common_zones_and_omits_pseudo_zones(owner_client, organization):
    select = zone_select(owner_client.get(f"/o/{organization.slug}/configuration/").content.decode())

    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert groups == ["Common time zones", "All time zones"]
    common = re.search(r'<optgroup label="Common time zones">(.*?)</optgroup>', select, re.S).group(1)
    first = re.findall(r'<option value="([^"]+)"', common)[:5]
    assert first == ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles"]
    assert "US Eastern (America/New_York)" in common
    values = set(re.findall(r'<option value="([^"]+)"', select))
    for pseudo in ("Factory", "localtime", "posixrules", "Etc/GMT+5", "Etc/UTC", "US/Eastern", "EST5EDT", "GMT"):
        assert pseudo not in values
    assert {"UTC", "Europe/Paris", "Asia/Kolkata", "America/Argentina/Buenos_Aires"} <= values


def test_a_saved_alias_stays_selectable_and_saves(owner_client, organization):
    with organization_context(organization):
        OrganizationSettings.objects.update(timezone="US/Eastern")
    select = zone_select(owner_client.get(f"/o/{organization.slug}/configuration/").content.decode())
    assert '<option value="US/Eastern" selected>' in select
