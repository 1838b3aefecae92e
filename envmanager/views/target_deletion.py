"""Deleting a Deployment or an IDE project: a confirmation that lists what goes and wants the name typed."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from envmanager import permissions
from envmanager.models import IdeProject
from envmanager.permissions import (
    deployment_for_user,
    workspace_access,
    workspace_for_user,
)
from envmanager.selectors.target_deletion import (
    deployment_deletion_plan,
    ide_project_deletion_plan,
)
from envmanager.services import target_deletion
from envmanager.views.base import render_page, wants_fragment


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


def _confirm(request, *, workspace, plan, back_url: str, action_url: str, delete):
    form = TypedNameForm(request.POST or None, expected=plan.name, noun=plan.target_noun)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            delete()
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return None
    context = {
        "workspace": workspace, "access": workspace_access(request.user, workspace), "plan": plan, "form": form,
        "error": error, "back_url": back_url, "action_url": action_url, "dialog": wants_fragment(request),
    }
    status = 400 if request.method == "POST" else 200
    return render_page(request, "envmanager/target_delete.html", context, fragment="confirm", status=status)


@require_http_methods(["GET", "POST"])
@login_required
def deployment_delete(request, workspace_id, deployment_id):
    """Ask to confirm, listing what goes with the Deployment; then delete it (Owners and Operators)."""
    workspace = workspace_for_user(request.user, workspace_id)
    deployment = deployment_for_user(request.user, workspace, deployment_id, perm=permissions.DEPLOYMENT_DELETE)
    plan = deployment_deletion_plan(deployment=deployment)
    response = _confirm(
        request, workspace=workspace, plan=plan,
        back_url=reverse("envmanager:deployment-settings", args=[workspace.pk, deployment.pk]),
        action_url=reverse("envmanager:deployment-delete", args=[workspace.pk, deployment.pk]),
        delete=lambda: target_deletion.deployment_delete(deployment=deployment, actor=request.user),
    )
    if response is not None:
        return response
    return _deleted(request, f"Deleted {plan.label}.", reverse("envmanager:deployment-list", args=[workspace.pk]))


@require_http_methods(["GET", "POST"])
@login_required
def ide_project_delete(request, workspace_id, ide_project_id):
    """Ask to confirm, listing what goes with the IDE project; then delete it (Owners and Operators)."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.IDE_PROJECT_DELETE)
    ide_project = get_object_or_404(IdeProject, pk=ide_project_id, workspace=workspace)
    plan = ide_project_deletion_plan(ide_project=ide_project)
    response = _confirm(
        request, workspace=workspace, plan=plan,
        back_url=reverse("envmanager:ide-project-detail", args=[workspace.pk, ide_project.pk]),
        action_url=reverse("envmanager:ide-project-delete", args=[workspace.pk, ide_project.pk]),
        delete=lambda: target_deletion.ide_project_delete(ide_project=ide_project, actor=request.user),
    )
    if response is not None:
        return response
    return _deleted(request, f"Deleted {plan.label}.", reverse("envmanager:ide-project-list", args=[workspace.pk]))
