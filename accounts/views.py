from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe

from accounts.forms import InvitationForm, InvitedSignupForm, MembershipRoleForm, OrganizationCreateForm
from accounts.models import Invitation, Membership, User
from accounts.permissions import CAN_MANAGE_MEMBERS, OWNER_ONLY, role_required
from accounts.selectors import organization_members, organization_pending_invitations, user_memberships
from accounts.services import (
    InvitationInvalid,
    MembershipError,
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_is_for,
    invitation_resend,
    invitation_revoke,
    invited_user_create,
    membership_remove,
    membership_role_change,
    organization_create,
    organization_delete,
)


def home(request: HttpRequest) -> HttpResponse:
    """The landing page; a signed-in user goes to their last (or first) organization."""
    if not request.user.is_authenticated:
        return render(request, "accounts/landing.html")
    memberships = user_memberships(user=request.user)
    if not memberships:
        return redirect("organization_create")
    slugs = [m.organization.slug for m in memberships]
    slug = request.session.get("organization_slug")
    return redirect("oteapp:overview", org_slug=slug if slug in slugs else slugs[0])


@require_safe
@login_required
def organization_list_view(request: HttpRequest) -> HttpResponse:
    """The organizations one belongs to: the switcher's list (htmx, when opened) or a page of its own."""
    context = {
        "memberships": user_memberships(user=request.user),
        "current_slug": request.session.get("organization_slug"),
    }
    template = "accounts/organization_list.html"
    response = render(request, f"{template}#switcher" if request.htmx else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def organization_create_view(request: HttpRequest) -> HttpResponse:
    # Bound on every POST, even an empty one (a JSON body leaves request.POST empty): it then says what is missing.
    form = OrganizationCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        organization = organization_create(name=form.cleaned_data["name"], owner=request.user)
        messages.success(request, f"{organization.name} is ready. Set your OTE and quotas first.")
        return redirect("oteapp:configuration", org_slug=organization.slug)
    return render(request, "accounts/organization_create.html", {"form": form})


@require_safe
def members(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    return render(
        request,
        "accounts/members.html",
        {
            "members": organization_members(organization=organization),
            "invitations": organization_pending_invitations(organization=organization),
            "invitation_form": InvitationForm(),
            "role_choices": MembershipRoleForm.base_fields["role"].choices,
            "active_tab": "members",
        },
    )


@require_POST
@role_required(CAN_MANAGE_MEMBERS)
def invitation_create_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitation_create(
                organization=request.organization,
                invited_by=request.membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except MembershipError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
    else:
        messages.error(request, "Enter a valid email address and access level.")
    return redirect("accounts:members", org_slug=org_slug)


@require_POST
@role_required(CAN_MANAGE_MEMBERS)
def membership_role_view(request: HttpRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    form = MembershipRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid access level.")
    else:
        try:
            membership_role_change(
                organization=request.organization,
                actor=request.membership,
                membership=membership,
                role=form.cleaned_data["role"],
            )
        except MembershipError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{membership.user.email} is now {membership.get_role_display().lower()}.")
    return redirect("accounts:members", org_slug=org_slug)


@require_POST
@role_required(CAN_MANAGE_MEMBERS)
def membership_remove_view(request: HttpRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    try:
        membership_remove(organization=request.organization, actor=request.membership, membership=membership)
    except MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{membership.user.email} was removed.")
    return redirect("accounts:members", org_slug=org_slug)


@require_POST
@role_required(CAN_MANAGE_MEMBERS)
def invitation_resend_view(request: HttpRequest, org_slug: str, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    try:
        invitation_resend(organization=request.organization, actor=request.membership, invitation_id=invitation.pk)
    except MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Invitation sent again to {invitation.email}, with a new link.")
    return redirect("accounts:members", org_slug=org_slug)


@require_POST
@role_required(CAN_MANAGE_MEMBERS)
def invitation_revoke_view(request: HttpRequest, org_slug: str, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    try:
        invitation_revoke(organization=request.organization, actor=request.membership, invitation_id=invitation.pk)
    except MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The invitation of {invitation.email} was withdrawn; its link no longer works.")
    return redirect("accounts:members", org_slug=org_slug)


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Works for the invited person signed in, an existing user (log in first) and a new one (sign up here).
    Anyone else signed in is told whom the invitation is for and offered to sign out."""
    try:
        invitation = invitation_from_token(token=token)
    except InvitationInvalid as error:
        return render(request, "accounts/invitation_invalid.html", {"error": str(error)}, status=400)

    context = {"invitation": invitation, "organization": invitation.organization}
    if request.user.is_authenticated:
        if not invitation_is_for(invitation=invitation, user=request.user):
            unverified = request.user.email.lower() == invitation.email.lower()
            context = {**context, "unverified": unverified}
            return render(request, "accounts/invitation_wrong_user.html", context, status=403)
        if request.method == "POST":
            try:
                invitation_accept(invitation=invitation, user=request.user)
            except InvitationInvalid as error:
                return render(request, "accounts/invitation_invalid.html", {"error": str(error)}, status=400)
            messages.success(request, f"Welcome to {invitation.organization.name}.")
            return redirect("oteapp:overview", org_slug=invitation.organization.slug)
        return render(request, "accounts/invitation_accept.html", context)

    if User.objects.filter(email__iexact=invitation.email).exists():
        return render(request, "accounts/invitation_login.html", context)

    form = InvitedSignupForm(request.POST if request.method == "POST" else None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = invited_user_create(
            invitation=invitation, password=form.cleaned_data["password1"], first_name=form.cleaned_data["first_name"]
        )
        invitation_accept(invitation=invitation, user=user)
        login(request, user, backend="accounts.backends.ModelBackend")
        messages.success(request, f"Welcome to {invitation.organization.name}.")
        return redirect("oteapp:overview", org_slug=invitation.organization.slug)
    return render(request, "accounts/invitation_signup.html", {**context, "form": form})


@require_safe
@role_required(OWNER_ONLY)
def organization_settings_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render(request, "accounts/organization_settings.html", {"active_tab": "members"})


@require_safe
@role_required(OWNER_ONLY)
def organization_export_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    from oteapp.files.organization_export import organization_data_export

    data = organization_data_export(organization=request.organization)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{org_slug}-export.json"'
    return response


@require_POST
@role_required(OWNER_ONLY)
def organization_delete_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    name = request.organization.name
    try:
        organization_delete(
            organization=request.organization, actor=request.membership, confirmation=request.POST.get("confirm", "")
        )
    except MembershipError as error:
        messages.error(request, str(error))
        return redirect("accounts:organization_settings", org_slug=org_slug)
    request.session.pop("organization_slug", None)
    messages.success(request, f"{name} and all of its data were deleted.")
    return redirect("home")
