"""Issue 14 item 17: the time-zone list leads with common zones and leaves out zones that are no place."""

import json
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


@pytest.mark.parametrize("zone", ["Factory", "localtime", "posixrules"])
def test_an_import_refuses_pseudo_zones_but_keeps_aliases(organization, zone):
    from oteapp.files.configuration import ConfigImportError, config_import

    def document(name: str) -> str:
        return json.dumps({"version": "2.0", "organization": {"timezone": name}})

    with organization_context(organization):
        with pytest.raises(ConfigImportError, match="must be a time zone like Europe/Paris"):
            config_import(organization=organization, data=document(zone))
        config_import(organization=organization, data=document("US/Eastern"))
        assert OrganizationSettings.objects.get().timezone == "US/Eastern"
