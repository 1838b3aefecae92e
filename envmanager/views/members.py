"""The Members page: everyone in the Workspace sees who belongs with which role; Owners change it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from envmanager import permissions
from envmanager.forms.secrets import add_service_error
from envmanager.forms.team import MemberAddForm, MemberInviteForm
from envmanager.models import Role
from envmanager.permissions import workspace_access, workspace_for_user
from envmanager.selectors.members import workspace_member, workspace_members
from envmanager.services import invitations as invitation_services
from envmanager.services import members as member_services
from envmanager.views.base import action_done, no_store, render_page
from envmanager.views.saving import save_form


def _members_page(request, workspace, *, add_form=None, invite_form=None, invite_link=None, invited=None, status=200):
    access = workspace_access(request.user, workspace)
    context = {
        "workspace": workspace, "access": access, "members": workspace_members(workspace=workspace),
        "roles": Role.choices, "add_form": add_form or MemberAddForm(prefix="add"),
        "invite_form": invite_form or MemberInviteForm(prefix="invite"), "invite_link": invite_link,
        "invited": invited, "valid_days": invitation_services.INVITATION_VALID_FOR.days,
    }
    return no_store(render_page(request, "envmanager/members.html", context, status=status))


@require_GET
@login_required
def member_list(request, workspace_id):
    """List the Workspace's members and their roles (every member); Owners also get the forms."""
    return _members_page(request, workspace_for_user(request.user, workspace_id))


@require_POST
@login_required
def member_add(request, workspace_id):
    """Add an existing user with a role (Owners)."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.WORKSPACE_MEMBERS_UPDATE)
    form = MemberAddForm(request.POST, prefix="add")
    response = save_form(
        request, form, lambda data: member_services.member_add(workspace=workspace, actor=request.user, **data),
        message=lambda membership: f"Added '{membership.user.get_username()}' as {membership.get_role_display()}.",
        redirect_to=lambda membership: reverse("envmanager:member-list", args=[workspace.pk]),
    )
    return response or _members_page(request, workspace, add_form=form)


@require_POST
@login_required
def member_invite(request, workspace_id):
    """Create an account for a new user and show its one-time set-password link, once (Owners)."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.WORKSPACE_MEMBERS_UPDATE)
    form = MemberInviteForm(request.POST, prefix="invite")
    if form.is_valid():
        try:
            membership, token = invitation_services.member_invite(
                workspace=workspace, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            # Shown in this answer only (no redirect, no-store): the token is stored hashed.
            link = request.build_absolute_uri(reverse("envmanager:invitation-accept", args=[token]))
            return _members_page(request, workspace, invite_link=link, invited=membership)
    return _members_page(request, workspace, invite_form=form)


@require_POST
@login_required
def member_role(request, workspace_id, user_id):
    """Change a member's role (Owners); the last Owner keeps theirs."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.WORKSPACE_MEMBERS_UPDATE)
    membership = workspace_member(workspace=workspace, user_id=user_id)
    back = reverse("envmanager:member-list", args=[workspace.pk])
    role = request.POST.get("role", "")
    username = membership.user.get_username()
    try:
        membership = member_services.membership_set(workspace=workspace, user=membership.user, role=role, actor=request.user)
    except ValidationError as exc:
        return action_done(request, " ".join(exc.messages), redirect_to=back, level=messages.ERROR)
    return action_done(request, f"'{username}' is now {membership.get_role_display()}.", redirect_to=back)


@require_http_methods(["GET", "POST"])
@login_required
def member_remove(request, workspace_id, user_id):
    """Ask to confirm, then remove a member from the Workspace (Owners); the last Owner stays."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.WORKSPACE_MEMBERS_UPDATE)
    membership = workspace_member(workspace=workspace, user_id=user_id)
    back = reverse("envmanager:member-list", args=[workspace.pk])
    error = None
    if request.method == "POST":
        try:
            member_services.membership_remove(workspace=workspace, user=membership.user, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return action_done(request, f"Removed '{membership.user.get_username()}' from the Workspace.", redirect_to=back)
    context = {
        "workspace": workspace, "access": workspace_access(request.user, workspace), "membership": membership,
        "error": error, "back_url": back,
    }
    return render_page(request, "envmanager/member_remove.html", context, status=400 if error else 200)
