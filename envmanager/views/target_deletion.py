"""Deleting a Deployment or an IDE project: a confirmation that lists what goes and wants the name typed."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from envmanager import permissions
from envmanager.permissions import workspace_access
from envmanager.selectors.target_deletion import target_deletion_plan
from envmanager.services import target_deletion
from envmanager.views.base import page_target, render_page, wants_fragment


class TypedNameForm(forms.Form):
    """The target's name, typed exactly (compared as given: names are not trimmed here either)."""

    confirm_name = forms.CharField(label="Type the name to confirm", strip=False, required=False)

    def __init__(self, *args, expected: str, noun: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected, self.noun = expected, noun

    def clean_confirm_name(self):
        typed = self.cleaned_data["confirm_name"]
        if typed != self.expected:
            raise ValidationError(f"Type the {self.noun}'s name, {self.expected}, exactly; nothing was deleted.")
        return typed


def _deleted(request, message: str, list_url: str):
    """Go to the list: the page the request came from no longer exists."""
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRedirect(list_url)
    return redirect(list_url)


@require_http_methods(["GET", "POST"])
@login_required
def target_delete(request, workspace_id, deployment_id=None, ide_project_id=None):
    """Ask to confirm, listing what goes with the Deployment or IDE project; then delete it (Owners and Operators)."""
    workspace, target = page_target(
        request, workspace_id, deployment_id, ide_project_id,
        deployment_perm=permissions.DEPLOYMENT_DELETE, ide_project_perm=permissions.IDE_PROJECT_DELETE,
    )
    plan = target_deletion_plan(target=target)
    # A Deployment's delete button is on its settings page, an IDE project's on its overview.
    back_url = target.url("settings" if target.is_deployment else "detail")
    form = TypedNameForm(request.POST or None, expected=plan.name, noun=plan.target_kind.noun)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            target_deletion.target_delete(target=target, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return _deleted(request, f"Deleted {plan.label}.", reverse(target.kind.list_url_name, args=[workspace.pk]))
    context = {
        "workspace": workspace, "access": workspace_access(request.user, workspace), "plan": plan, "form": form,
        "error": error, "back_url": back_url, "action_url": target.url("delete"), "dialog": wants_fragment(request),
    }
    status = 400 if request.method == "POST" else 200
    return render_page(request, "envmanager/target_delete.html", context, fragment="confirm", status=status)
