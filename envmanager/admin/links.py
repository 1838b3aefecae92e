"""Admin for links, exclusions and overrides per Deployment or IDE project; saved by services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_post_parameters

from envmanager.admin.base import ServiceModelAdmin, ServiceModelForm
from envmanager.admin.kind_fields import add_kind_fields, secret_capable_fields, values_for_service
from envmanager.admin.workspaces import InWorkspaceChoiceField
from envmanager.forms.secrets import SECRET_SET
from envmanager.kinds import Kind, value_notices
from envmanager.models import Deployment, EnvObject, IdeProject, Link
from envmanager.services import links as link_services
from envmanager.targets import Target


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
    """The change form of a link: one override input per field of its object's type (none for an exclusion)."""

    class Meta:
        model = Link
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        link = self.instance
        if not link.excluded:
            env_object = link.env_object
            self.secret_names = add_kind_fields(
                self, Kind(env_object.kind), secret=env_object.is_secret_field, plain_values=link.override_data,
                secret_tokens=link.override_secrets, override=True, base_values=env_object.data,
            )

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
        return LinkAddForm if obj is None else LinkOverrideForm

    def get_fields(self, request, obj=None):
        form_fields = self.form_field_names(request, obj)
        if obj is None:
            return form_fields
        return ["env_object", "workspace", "target", "excluded", "overridden_fields", *form_fields,
                "created_at", "updated_at"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = sensitive_post_parameters(*secret_capable_fields())(super().changeform_view)
        return view(request, object_id, form_url, extra_context)

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
        secret = [f"{name} (secret: {SECRET_SET})" for name in sorted(obj.override_secrets)]
        return ", ".join(plain + secret) or "—"
