"""The public set-password page an invitation link opens: the token in the URL is the only credential."""

from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from envmanager.services import invitations as invitation_services
from envmanager.views.base import no_store


@sensitive_variables("token")
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """Let the invited user set their first password, once; every unusable link gets the same answer."""
    try:
        invitation = invitation_services.invitation_for_token(token)
    except ValidationError as exc:
        return no_store(render(request, "envmanager/invitation_accept.html", {"invalid": exc.messages[0]}, status=404))
    form = SetPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_services.invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Your password is set, {user.get_username()}. Sign in with it now.")
            return redirect("accounts:login")
    context = {"form": form, "username": invitation.user.get_username(), "workspace_name": invitation.workspace.name}
    return no_store(render(request, "envmanager/invitation_accept.html", context))
