"""Admin for environment objects and their links: forms built from the kind specs, saved by services."""

import json
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_post_parameters

from envmanager.admin.base import (
    ServiceModelAdmin,
    ServiceModelForm,
    clear_form_field,
    secret_form_field,
    secret_status,
)
from envmanager.admin.workspaces import InWorkspaceChoiceField
from envmanager.kinds import KIND_SPECS, FieldSpec, Kind, parse_kind, value_notices
from envmanager.models import Deployment, EnvObject, IdeProject, Link, Workspace
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.targets import Target

# Every field that is, or can become, secret: kept out of error reports whatever the object's kind.
SECRET_CAPABLE_FIELDS = tuple(
    sorted({f.name for spec in KIND_SPECS.values() for f in spec.fields if f.secret or f.secret_when_flagged})
)
MULTILINE_TYPES = ("json_object", "json_text", "json_or_text")
JSON_TYPES = ("json_object", "json_text")
JSON_HELP = 'A JSON object, like {"key": "value"}.'


def _display_value(spec: FieldSpec, value) -> str | None:
    """Return a stored plain value as the text a user edits."""
    if value is None:
        return None
    if isinstance(value, dict):
        return json.dumps(value, indent=2, sort_keys=True)
    return str(value)


def _plain_form_field(spec: FieldSpec, *, required: bool, initial, help_text: str = "") -> forms.Field:
    """Return the input for a plain field; its value is validated by the service, through `kinds`."""
    if spec.type in JSON_TYPES:
        help_text = f"{JSON_HELP} {help_text}".strip()
    if spec.choices:
        choices = [("", "---------")] if not required else []
        choices += [(choice, choice) for choice in spec.choices]
        return forms.ChoiceField(
            label=spec.label, choices=choices, required=required, initial=initial, help_text=help_text
        )
    widget = {
        "json_object": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        "json_text": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        "json_or_text": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        "url": forms.URLInput(),
        "int": forms.TextInput(attrs={"inputmode": "numeric"}),
    }.get(spec.type, forms.TextInput())
    return forms.CharField(
        label=spec.label, required=required, widget=widget, initial=_display_value(spec, initial),
        help_text=help_text, strip=False,  # values are stored exactly as typed
    )


def _spec_form_fields(kind: Kind, *, secret, plain_values: dict, secret_tokens: dict, override: bool,
                      base_values: dict | None = None) -> tuple[dict, tuple[str, ...]]:
    """Return (form fields, secret field names) for every field of `kind`, in spec order.

    `secret(name)` says whether a field is write-only. `override` builds a Link's override inputs:
    nothing is required there, and an empty plain input means "use the Workspace value".
    """
    fields, secret_names = {}, []
    for spec in KIND_SPECS[kind].fields:
        if secret(spec.name):
            extra = JSON_HELP if spec.type in JSON_TYPES else ""
            if override:
                extra = f"{extra} Empty and not set: the Workspace value applies.".strip()
            is_set = spec.name in secret_tokens
            fields[spec.name] = secret_form_field(
                spec.label, is_set=is_set, multiline=spec.type in MULTILINE_TYPES, help_text=extra
            )
            if is_set:
                fields[f"clear_{spec.name}"] = clear_form_field(spec.label)
            secret_names.append(spec.name)
            continue
        help_text = ""
        if override:
            base = (base_values or {}).get(spec.name)
            if base is None:
                help_text = "Empty: the Workspace value applies (it has none)."
            else:
                help_text = format_html(
                    "Empty: the Workspace value applies (<code>{}</code>).", _display_value(spec, base)
                )
        fields[spec.name] = _plain_form_field(
            spec, required=spec.required and not override, initial=plain_values.get(spec.name), help_text=help_text
        )
    return fields, tuple(secret_names)


def values_for_service(form, names, *, only_changed: bool = True, empty_clears: bool = False):
    """Return (fields, clear) for a service call from a form built by `_spec_form_fields`.

    A secret is given only when typed (empty keeps it) and cleared only when its box is ticked. A
    plain field is given as entered (changed ones only, with `only_changed`); with `empty_clears`
    an emptied one is cleared instead.
    """
    fields, clear = {}, []
    for name in names:
        value = form.cleaned_data.get(name)
        if name in form.secret_names:
            if value:
                fields[name] = value
            if form.cleaned_data.get(f"clear_{name}"):
                clear.append(name)
        elif only_changed and name not in form.changed_data:
            continue
        elif empty_clears and value in (None, ""):
            clear.append(name)
        else:
            fields[name] = value
    return fields, tuple(clear)


def kind_choice_links(current: Kind) -> str:
    """Return links to the add form of each other type (the add form is built for one type)."""
    url = reverse("admin:envmanager_envobject_add")
    return format_html_join(
        " · ", '<a href="{}?{}">{}</a>',
        ((url, urlencode({"kind": kind.value}), kind.label) for kind in Kind if kind != current),
    )


class EnvObjectAdminForm(ServiceModelForm):
    kind: Kind  # set by env_object_form

    class Meta:
        model = EnvObject
        fields = ()

    def notices(self) -> list[str]:
        fields, _ = values_for_service(self, KIND_SPECS[self.kind].field_names, only_changed=False)
        return value_notices(self.kind, fields)

    def save_through_service(self):
        data = self.cleaned_data
        if self.instance.pk is None:
            fields, _ = values_for_service(self, KIND_SPECS[self.kind].field_names, only_changed=False)
            return env_object_services.env_object_create(
                workspace=data["workspace"], deployment=data["deployment"], actor=self.actor, kind=self.kind,
                key=data["key"], fields=fields, is_secret=data.get("is_secret", False),
                linked_to_all=data.get("linked_to_all", False),
            )
        env_object = self.instance
        fields, clear = values_for_service(self, KIND_SPECS[self.kind].field_names)
        is_secret = data["is_secret"] if "is_secret" in self.changed_data else None
        if fields or clear or is_secret is not None:
            env_object = env_object_services.env_object_update(
                env_object=env_object, actor=self.actor, fields=fields, clear=clear, is_secret=is_secret
            )
        if "linked_to_all" in self.changed_data:
            env_object = link_services.env_object_set_linked_to_all(
                env_object=env_object, actor=self.actor, linked_to_all=data["linked_to_all"]
            )
        return env_object if env_object is not self.instance else None


def env_object_form(*, kind: Kind, env_object: EnvObject | None) -> type[EnvObjectAdminForm]:
    """Return the add form for `kind` (env_object None) or the change form of `env_object`."""
    spec = KIND_SPECS[kind]
    attrs = {"kind": kind}
    if env_object is None:
        attrs["kind_display"] = forms.ChoiceField(
            label="Type", choices=Kind.choices, initial=kind, disabled=True, required=False,
            help_text=format_html("Add another type instead: {}", kind_choice_links(kind)),
        )
        attrs["workspace"] = forms.ModelChoiceField(Workspace.objects.all(), label="Workspace")
        attrs["deployment"] = InWorkspaceChoiceField(
            Deployment.objects.select_related("workspace"), label="Deployment", required=False,
            help_text="Leave empty for a Workspace object; choose one for a Deployment-scoped object.",
        )
        attrs["key"] = forms.CharField(label="Key", strip=False, help_text=spec.key_rule.description + ".")
    if spec.has_secret_flag:
        attrs["is_secret"] = forms.BooleanField(
            label="Secret", required=False, initial=env_object.is_secret if env_object else False,
            help_text="The value becomes write-only and is masked everywhere.",
        )
    if env_object is None or env_object.is_workspace_scoped:
        attrs["linked_to_all"] = forms.BooleanField(
            label="Linked to all Deployments", required=False,
            initial=env_object.linked_to_all if env_object else False,
            help_text="Workspace objects only; covers Deployments created later.",
        )
    if env_object is None:
        # The secret flag is chosen in the same form, so any field that may be secret is write-only.
        def secret(name):
            field_spec = spec.field(name)
            return field_spec.secret or field_spec.secret_when_flagged

        plain_values, secret_tokens = {}, {}
    else:
        secret = env_object.is_secret_field
        plain_values, secret_tokens = env_object.data, env_object.secrets
    fields, secret_names = _spec_form_fields(
        kind, secret=secret, plain_values=plain_values, secret_tokens=secret_tokens, override=False
    )
    attrs.update(fields)
    attrs["secret_names"] = secret_names
    return type(f"{kind.name.title()}AdminForm", (EnvObjectAdminForm,), attrs)


class ScopeFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("workspace", "Workspace"), ("deployment", "Deployment")]

    def queryset(self, request, queryset):
        if self.value() == "workspace":
            return queryset.filter(deployment__isnull=True)
        if self.value() == "deployment":
            return queryset.filter(deployment__isnull=False)
        return queryset


def _secret_summary(env_object: EnvObject, tokens: dict) -> str:
    """Return "name: set" / "name: not set" for each secret field; never a value."""
    names = env_object.spec.secret_field_names(is_secret_flag=env_object.is_secret)
    if not names:
        return "—"
    return ", ".join(f"{name}: {secret_status(name in tokens)}" for name in names)


@admin.register(EnvObject)
class EnvObjectAdmin(ServiceModelAdmin):
    """Environment objects of every type; the add form is for one type, chosen with `?kind=`."""

    list_display = ["key", "kind", "scope", "workspace", "linked_to_all", "is_secret", "secrets_set"]
    list_display_links = ["key"]
    list_filter = ["kind", "workspace", ScopeFilter]
    list_select_related = ["workspace", "deployment"]
    search_fields = ["key"]
    readonly_fields = ["kind", "key", "workspace", "scope", "secrets_set", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("workspace", "deployment")

    def _add_kind(self, request) -> Kind:
        return parse_kind(request.GET.get("kind") or Kind.CONNECTION.value)

    def service_form(self, request, obj):
        kind = Kind(obj.kind) if obj is not None else self._add_kind(request)
        return env_object_form(kind=kind, env_object=obj)

    def get_fields(self, request, obj=None):
        form_fields = list(self.get_form(request, obj).base_fields)
        if obj is None:
            return form_fields
        return ["kind", "key", "workspace", "scope", "secrets_set", *form_fields, "created_at", "updated_at"]

    @method_decorator(sensitive_post_parameters(*SECRET_CAPABLE_FIELDS))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        try:
            self._add_kind(request)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(f"{request.path}?{urlencode({'kind': Kind.CONNECTION.value})}")
        return super().add_view(request, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        if "_addanother" in request.POST:  # the next form is for the same type
            separator = "&" if "?" in response["Location"] else "?"
            response["Location"] += f"{separator}{urlencode({'kind': obj.kind})}"
        return response

    def delete_through_service(self, obj, actor):
        env_object_services.env_object_delete(env_object=obj, actor=actor)

    @admin.display(description="Scope", ordering="deployment__name")
    def scope(self, obj):
        return f"Deployment {obj.deployment.name}" if obj.deployment_id else "Workspace"

    @admin.display(description="Secret fields")
    def secrets_set(self, obj):
        return _secret_summary(obj, obj.secrets)


class EnvObjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.workspace.name} / {obj.get_kind_display()} / {obj.key}"


class LinkAddForm(ServiceModelForm):
    env_object = EnvObjectChoiceField(
        EnvObject.objects.filter(deployment__isnull=True).select_related("workspace"),
        label="Workspace object",
    )
    deployment = InWorkspaceChoiceField(Deployment.objects.select_related("workspace"), required=False)
    ide_project = InWorkspaceChoiceField(
        IdeProject.objects.select_related("workspace"), label="IDE project", required=False
    )
    exclude = forms.BooleanField(
        label="Exclude this Deployment", required=False,
        help_text="For an object linked to all Deployments: keep this Deployment from receiving it.",
    )

    class Meta:
        model = Link
        fields = ()

    def save_through_service(self):
        data = self.cleaned_data
        if data["exclude"]:
            if data["deployment"] is None or data["ide_project"] is not None:
                raise ValidationError({"deployment": "An exclusion names one Deployment (and no IDE project)."})
            return link_services.link_exclude(
                env_object=data["env_object"], actor=self.actor, target=data["deployment"]
            )
        return link_services.link_create(
            env_object=data["env_object"], actor=self.actor,
            target=Target.of_pair(deployment=data["deployment"], ide_project=data["ide_project"]),
        )


class LinkOverrideForm(ServiceModelForm):
    class Meta:
        model = Link
        fields = ()

    def notices(self) -> list[str]:
        if self.instance.excluded:
            return []
        fields, _ = values_for_service(self, self.instance.env_object.spec.field_names, empty_clears=True)
        return value_notices(Kind(self.instance.env_object.kind), fields)

    def save_through_service(self):
        link = self.instance
        if link.excluded or not self.has_changed():
            return None
        # An emptied plain input ends that override: the Workspace value applies again.
        fields, clear = values_for_service(self, link.env_object.spec.field_names, empty_clears=True)
        return link_services.link_set_override(
            env_object=link.env_object, actor=self.actor, target=Target.of_row(link),
            fields=fields, clear=tuple(clear),
        )


def link_override_form(link: Link) -> type[LinkOverrideForm]:
    """Return the change form of a link: one override input per field of its object's type."""
    attrs = {}
    if not link.excluded:
        env_object = link.env_object
        fields, secret_names = _spec_form_fields(
            Kind(env_object.kind), secret=env_object.is_secret_field, plain_values=link.override_data,
            secret_tokens=link.override_secrets, override=True, base_values=env_object.data,
        )
        attrs.update(fields)
        attrs["secret_names"] = secret_names
    return type("LinkOverrideForm", (LinkOverrideForm,), attrs)


@admin.register(Link)
class LinkAdmin(ServiceModelAdmin):
    """Links, exclusions and per-target overrides; deleting an exclusion includes the Deployment again."""

    list_display = ["env_object_label", "workspace", "target", "excluded", "overridden_fields"]
    list_filter = ["excluded", "env_object__kind", "env_object__workspace"]
    list_select_related = ["env_object__workspace", "deployment", "ide_project"]
    search_fields = ["env_object__key", "deployment__name", "ide_project__name"]
    readonly_fields = ["env_object", "workspace", "target", "excluded", "overridden_fields", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("env_object__workspace", "deployment", "ide_project")

    def service_form(self, request, obj):
        return LinkAddForm if obj is None else link_override_form(obj)

    def get_fields(self, request, obj=None):
        form_fields = list(self.get_form(request, obj).base_fields)
        if obj is None:
            return form_fields
        return ["env_object", "workspace", "target", "excluded", "overridden_fields", *form_fields,
                "created_at", "updated_at"]

    @method_decorator(sensitive_post_parameters(*SECRET_CAPABLE_FIELDS))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_through_service(self, obj, actor):
        if obj.excluded:
            link_services.link_include(env_object=obj.env_object, actor=actor, target=obj.deployment)
        else:
            link_services.link_delete(env_object=obj.env_object, actor=actor, target=Target.of_row(obj))

    @admin.display(description="Object", ordering="env_object__key")
    def env_object_label(self, obj):
        return f"{obj.env_object.get_kind_display()} {obj.env_object.key}"

    @admin.display(description="Workspace")
    def workspace(self, obj):
        return obj.env_object.workspace.name

    @admin.display(description="Target")
    def target(self, obj):
        if obj.deployment_id:
            return f"Deployment {obj.deployment.name}"
        return f"IDE project {obj.ide_project.name}"

    @admin.display(description="Overrides")
    def overridden_fields(self, obj):
        plain = sorted(obj.override_data)
        secret = [f"{name} (secret: set)" for name in sorted(obj.override_secrets)]
        return ", ".join(plain + secret) or "—"
