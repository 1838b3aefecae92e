"""Bulk import pages: paste or upload a file, see a preview row by row, then import (Owners and Operators).

The file's text goes from the preview to the confirmation sealed (a Fernet token under envmanager's key,
bound to the user, the scope and the format, valid for an hour): the page never holds its secret values.
"""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from envmanager import crypto, permissions
from envmanager.import_formats import IMPORT_KINDS, MAX_IMPORT_BYTES, ImportFileError, decode_import, parse_import
from envmanager.management.utils import plural
from envmanager.permissions import deployment_for_user, workspace_access, workspace_for_user
from envmanager.selectors.imports import import_preview
from envmanager.services.imports import env_import
from envmanager.views.base import no_store, render_page

SEAL_TTL_SECONDS = 3600
FORMAT_CHOICES = [
    ("dotenv", ".env file: environment variables"),
    ("connections", "Airflow connections export (JSON or YAML)"),
    ("variables", "Airflow variables export (JSON)"),
]


class ImportForm(forms.Form):
    format = forms.ChoiceField(label="File format", choices=FORMAT_CHOICES)
    content = forms.CharField(label="Paste the file", required=False, strip=False, widget=forms.Textarea(
        attrs={"rows": 10, "spellcheck": "false", "autocomplete": "off", "class": "mono"}
    ))
    file = forms.FileField(label="or upload it", required=False)

    def text(self) -> str:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            if upload.size > MAX_IMPORT_BYTES:
                raise ImportFileError(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it.")
            return decode_import(upload.read())
        return self.cleaned_data["content"]


def _seal(request, workspace, deployment, import_format: str, text: str) -> str:
    scope = {"user": request.user.pk, "workspace": workspace.pk, "deployment": deployment.pk if deployment else None}
    return crypto.encrypt(json.dumps({**scope, "format": import_format, "text": text}))


def _unseal(request, workspace, deployment, token: str) -> tuple[str, str]:
    try:
        sealed = json.loads(crypto.decrypt(token, ttl=SEAL_TTL_SECONDS))
    except (crypto.SecretDecryptionError, ValueError):
        raise ImportFileError("This preview has expired (an hour) or was not made here; preview the file again.") from None
    scope = {"user": request.user.pk, "workspace": workspace.pk, "deployment": deployment.pk if deployment else None}
    if any(sealed.get(name) != value for name, value in scope.items()):
        raise ImportFileError("This preview was made for another user or place; preview the file again.")
    return sealed["format"], sealed["text"]


def _list_url(workspace, deployment, import_format: str) -> str:
    kind = IMPORT_KINDS[import_format]
    if deployment is not None:
        return reverse("envmanager:deployment-environment", args=[workspace.pk, deployment.pk, kind])
    return reverse("envmanager:workspace-environment", args=[workspace.pk, kind])


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@login_required
def env_import_page(request, workspace_id, deployment_id=None):
    """Import a .env, an Airflow connections export or a variables export into a Workspace or a Deployment."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_CREATE)
    permissions.require(request.user, permissions.ENVOBJECTS_UPDATE, workspace)
    deployment = None
    if deployment_id is not None:
        deployment = deployment_for_user(request.user, workspace, deployment_id, perm=permissions.DEPLOYMENT_UPDATE)
    form = ImportForm(request.POST or None, request.FILES or None)
    preview = sealed = error = None
    try:
        if request.method == "POST" and "sealed" in request.POST:
            import_format, text = _unseal(request, workspace, deployment, request.POST["sealed"])
            done = env_import(workspace=workspace, deployment=deployment, rows=parse_import(text, import_format),
                              actor=request.user)
            counts = done.counts
            left_out = f", {plural(counts['invalid'], 'invalid row')} left out" if counts["invalid"] else ""
            messages.success(request, (
                f"Imported into {done.scope_label}: {plural(counts['new'], 'new object')}, "
                f"{counts['exists']} updated{left_out}."
            ))
            return redirect(_list_url(workspace, deployment, import_format))
        if request.method == "POST" and form.is_valid():
            text = form.text()
            rows = parse_import(text, form.cleaned_data["format"])
            preview = import_preview(workspace=workspace, deployment=deployment, rows=rows)
            if preview.changes:
                sealed = _seal(request, workspace, deployment, form.cleaned_data["format"], text)
    except (ImportFileError, ValidationError) as exc:
        error = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        error += " Nothing was imported."
    # What was pasted holds secrets: the page shows a fresh form (the format kept), never the text.
    chosen = form.data.get("format") if form.data.get("format") in IMPORT_KINDS else "dotenv"
    context = {
        "workspace": workspace, "deployment": deployment, "access": workspace_access(request.user, workspace),
        "form": ImportForm(initial={"format": chosen}), "preview": preview, "sealed": sealed, "error": error,
        "action_url": request.path,
        "back_url": _list_url(workspace, deployment, chosen),
    }
    status = 400 if error else 200
    return no_store(render_page(request, "envmanager/env_import.html", context, status=status))
