"""Admin for environment objects: one static form whose inputs come from the kind specs, saved by services."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_post_parameters

from envmanager.admin.base import ServiceModelAdmin, ServiceModelForm
from envmanager.admin.kind_fields import add_kind_fields, secret_capable_fields, values_for_service
from envmanager.admin.workspaces import InWorkspaceChoiceField
from envmanager.forms.secrets import secret_status
from envmanager.kinds import KIND_SPECS, Kind, parse_kind, value_notices
from envmanager.models import Deployment, EnvObject, Workspace
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services


def kind_choice_links(current: Kind) -> str:
    """Return links to the add form of each other type (the add form is built for one type)."""
    url = reverse("admin:envmanager_envobject_add")
    return format_html_join(
        " · ", '<a href="{}?{}">{}</a>',
        ((url, urlencode({"kind": kind.value}), kind.label) for kind in Kind if kind != current),
    )


class EnvObjectAdminForm(ServiceModelForm):
    """The add form of one type (`kind`), or the change form of an object; one input per field of its type."""

    class Meta:
        model = EnvObject
        fields = ()

    def __init__(self, *args, kind: Kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        spec = KIND_SPECS[kind]
        env_object = self.instance if self.instance.pk is not None else None
        if env_object is None:
            self.fields["kind_display"] = forms.ChoiceField(
                label="Type", choices=Kind.choices, initial=kind, disabled=True, required=False,
                help_text=format_html("Add another type instead: {}", kind_choice_links(kind)),
            )
            self.fields["workspace"] = forms.ModelChoiceField(Workspace.objects.all(), label="Workspace")
            self.fields["deployment"] = InWorkspaceChoiceField(
                Deployment.objects.select_related("workspace"), label="Deployment", required=False,
                help_text="Leave empty for a Workspace object; choose one for a Deployment-scoped object.",
            )
            self.fields["key"] = forms.CharField(label="Key", strip=False, help_text=spec.key_rule.description + ".")
        if spec.has_secret_flag:
            self.fields["is_secret"] = forms.BooleanField(
                label="Secret", required=False, initial=env_object.is_secret if env_object else False,
                help_text="The value becomes write-only and is masked everywhere.",
            )
        if env_object is None or env_object.is_workspace_scoped:
            self.fields["linked_to_all"] = forms.BooleanField(
                label="Linked to all Deployments", required=False,
                initial=env_object.linked_to_all if env_object else False,
                help_text="Workspace objects only; covers Deployments created later.",
            )
        if env_object is None:
            # The secret flag is chosen in the same form, so any field that may be secret is write-only.
            self.secret_names = add_kind_fields(
                self, kind, secret=lambda name: spec.field(name).may_be_secret, plain_values={}, secret_tokens={},
                override=False,
            )
        else:
            self.secret_names = add_kind_fields(
                self, kind, secret=env_object.is_secret_field, plain_values=env_object.data,
                secret_tokens=env_object.secrets, override=False,
            )

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
        return EnvObjectAdminForm

    def service_form_kwargs(self, request, obj):
        return {"kind": Kind(obj.kind) if obj is not None else self._add_kind(request)}

    def get_fields(self, request, obj=None):
        form_fields = self.form_field_names(request, obj)
        if obj is None:
            return form_fields
        return ["kind", "key", "workspace", "scope", "secrets_set", *form_fields, "created_at", "updated_at"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = sensitive_post_parameters(*secret_capable_fields())(super().changeform_view)
        return view(request, object_id, form_url, extra_context)

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
