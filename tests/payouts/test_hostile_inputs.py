"""Hostile and careless inputs on the Payouts tab, its files and its state machine (SPEC section 12): each is a clear
error naming what is wrong, and changes nothing."""

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from accounts.models import Invitation, MemberRole, Membership
from accounts.services import invitation_accept, invitation_from_token
from accounts.tenancy import organization_context
from oteapp.models import Adjustment, Rep
from oteapp.payouts.services import PayoutError, adjustment_add, month_approve
from tests.factories import UserFactory, actual_create, rep_create
from tests.payouts.conftest import OCT, SEP
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

HEADER = "month,rep,kind,amount,reason,reverses_month\n"


def upload(client, organization, text: str, month: str = "2026-10"):
    file = io.BytesIO(text.encode())
    file.name = "adjustments.csv"
    return client.post(f"/o/{organization.slug}/payouts/adjustments/upload/?month={month}", {"adjustments-file": file})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-10,Ana,bonus,5,o\x00k,", "line 3, column reason: the reason must not contain the NUL character"),
        ("2026-10,A\x00na,bonus,5,ok,", "line 3, column rep: the rep's name must not contain the NUL character"),
    ],
)
def test_an_adjustments_file_with_a_nul_character_is_refused_naming_line_and_column(
    owner_client, organization, example_b, line, message
):
    before = tenant_rows_fingerprint()

    response = upload(owner_client, organization, HEADER + "2026-10,Ana,bonus,1,fine,\n" + line + "\n")

    assert response.status_code == 422
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert tenant_rows_fingerprint() == before


def test_the_service_refuses_a_reason_the_database_cannot_store(owner, organization, example_b):
    before = tenant_rows_fingerprint()
    with organization_context(organization), pytest.raises(PayoutError, match="must not contain the NUL character"):
        adjustment_add(organization=organization, actor=owner, rep=example_b, month=OCT, kind="bonus",
                       amount=Decimal(5), reason="o\x00k")
    assert tenant_rows_fingerprint() == before


def test_a_workbook_with_a_negative_amount_and_a_dash_reason_typed_as_text_reads_as_typed(
    owner_client, organization, example_b
):
    workbook = openpyxl.Workbook()
    workbook.active.append(["month", "rep", "kind", "amount", "reason", "reverses_month"])
    workbook.active.append(["2026-10", "Ana", "clawback", "-50", "-lapsed policy", "2026-09"])
    file = io.BytesIO()
    workbook.save(file)
    file.seek(0)
    file.name = "adjustments.xlsx"

    response = owner_client.post(
        f"/o/{organization.slug}/payouts/adjustments/upload/?month=2026-10", {"adjustments-file": file}
    )

    assert response.status_code == 302
    with organization_context(organization):
        assert Adjustment.objects.filter(kind="clawback", amount=Decimal("-50"), reason="-lapsed policy").exists()


def test_the_not_found_page_leads_a_member_back_and_tells_anyone_else_nothing(client, organization, example_b):
    outsider = UserFactory()
    client.force_login(outsider)
    stranger = client.get(f"/o/{organization.slug}/statements/{example_b.pk}/?month=2026-10")

    assert stranger.status_code == 404
    assert organization.name not in stranger.content.decode() and "Ana" not in stranger.content.decode()

    with organization_context(organization):
        Membership.objects.create(organization=organization, user=outsider, role=MemberRole.MANAGER)
    member = client.get(f"/o/{organization.slug}/statements/{example_b.pk + 1000}/?month=2026-10")

    html = member.content.decode()
    assert member.status_code == 404
    assert "No such rep." in html and f'href="/o/{organization.slug}/"' in html


def test_approving_an_approved_month_again_leads_back_to_it_with_who_approved(owner_client, organization, example_b):
    """A double click on Approve, or a second tab: the month is approved, which is what was asked."""
    approve = f"/o/{organization.slug}/payouts/2026-09/approve/"
    assert owner_client.post(approve).status_code == 302
    before = tenant_rows_fingerprint()

    for response in (owner_client.post(approve, follow=True), owner_client.get(approve, follow=True)):
        html = response.content.decode()
        assert response.redirect_chain[-1][0] == f"/o/{organization.slug}/payouts/?month=2026-09"
        assert "September 2026 is already approved" in html and "Approve $" not in html
    assert tenant_rows_fingerprint() == before


def test_a_line_repeated_in_an_adjustments_file_is_refused_naming_both_lines(owner_client, organization, example_b):
    """Pasted twice, a bonus would be paid twice: the file says each adjustment once (two bonuses say why each)."""
    before = tenant_rows_fingerprint()
    lines = ["2026-10,Ana,bonus,$250,contest,", "2026-10,Ana,bonus,1,other,", "2026-10, Ana ,BONUS,250.00,contest ,"]
    text = HEADER + "\n".join(lines) + "\n"

    response = upload(owner_client, organization, text)

    assert response.status_code == 422
    assert "line 4: repeats line 2 (the same month, rep, kind, amount and reason)" in response.content.decode()
    assert tenant_rows_fingerprint() == before


def test_an_adjustment_typed_for_an_approved_month_says_why_it_was_refused(
    owner_client, owner, organization, example_b
):
    with organization_context(organization):
        month_approve(organization=organization, actor=owner, month=SEP)
    before = tenant_rows_fingerprint()

    response = owner_client.post(
        f"/o/{organization.slug}/payouts/adjustments/?month=2026-10",
        {"month": "2026-09", "rep": example_b.pk, "kind": "bonus", "amount": "5", "reason": "late SPIFF"},
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "2026-09 is approved, so adding adjustments is locked; reopen the month first." in html
    assert 'value="late SPIFF"' in html  # what was typed is still there
    assert tenant_rows_fingerprint() == before


def _invitation_in(message) -> Invitation:
    token = re.search(r"/invitations/([^/\s]+)/", message.body).group(1)
    return invitation_from_token(token=token)


def test_a_rep_invited_twice_is_linked_whichever_email_they_follow(owner_client, organization, example_b, mailoutbox):
    """"Invite again" on the statement page: the first email's link must still make the account the rep's."""
    invite = f"/o/{organization.slug}/reps/{example_b.pk}/invite/"
    owner_client.post(invite)
    owner_client.post(invite)
    first, second = (_invitation_in(message) for message in mailoutbox[-2:])
    assert first.pk == second.pk  # one invitation, mailed twice

    membership = invitation_accept(invitation=first, user=UserFactory(email="ana@acme.example"))

    with organization_context(organization):
        assert Rep.objects.get(pk=example_b.pk).membership_id == membership.pk
        assert Invitation.objects.filter(email="ana@acme.example").count() == 1


def test_inviting_a_rep_again_at_a_corrected_address_withdraws_the_first_invitation(
    owner_client, organization, example_b, mailoutbox
):
    invite = f"/o/{organization.slug}/reps/{example_b.pk}/invite/"
    owner_client.post(invite)
    with organization_context(organization):
        Rep.objects.filter(pk=example_b.pk).update(email="ana.new@acme.example")
    owner_client.post(invite)

    with organization_context(organization):
        assert list(Invitation.objects.values_list("email", flat=True)) == ["ana.new@acme.example"]
        assert Rep.objects.get(pk=example_b.pk).invitation.email == "ana.new@acme.example"


def test_a_clawback_for_a_rep_who_has_left_is_entered_on_the_form(owner_client, organization, example_b):
    """The classic clawback: a policy lapses after the rep has gone. The form offers every rep, not only the month's."""
    bo = rep_create(organization, name="Bo", role="closer", start_date=date(2026, 1, 1))
    actual_create(organization, rep=bo, month=SEP, deals=3)
    Rep.unscoped.filter(pk=bo.pk).update(end_date=date(2026, 9, 30))

    page = owner_client.get(f"/o/{organization.slug}/payouts/?month=2026-10").content.decode()
    response = owner_client.post(
        f"/o/{organization.slug}/payouts/adjustments/?month=2026-10",
        {"month": "2026-10", "rep": bo.pk, "kind": "clawback", "amount": "-1134", "reason": "policy lapsed",
         "reverses_month": "2026-09"},
    )

    assert f'<option value="{bo.pk}">Bo</option>' in page
    assert response.status_code == 302
    october = owner_client.get(f"/o/{organization.slug}/payouts/?month=2026-10").content.decode()
    assert "Bo" in october.split("payouts-table")[1].split("</table>")[0]
