"""Admin for Workspaces, Deployments and IDE projects."""

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from envmanager.admin.base import CreateOnlyModelAdmin, ServiceModelAdmin, ServiceModelForm, secret_form_field
from envmanager.forms.secrets import clear_field, secret_status
from envmanager.models import Deployment, EnvObject, ExecutionMode, IdeProject, Membership, Workspace
from envmanager.services import workspaces as workspace_services

DEPLOYMENT_SECRETS = ("metadata_db_url", "fernet_keys")


def _count_per_workspace(model) -> Coalesce:
    """Return a subquery counting `model` rows of each Workspace (one query for the whole list)."""
    counts = (
        model.objects.filter(workspace=OuterRef("pk"))
        .order_by()
        .values("workspace")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


class InWorkspaceChoiceField(forms.ModelChoiceField):
    """Choose a Deployment or IDE project, labelled with its Workspace (names repeat across them)."""

    def label_from_instance(self, obj):
        return f"{obj.workspace.name} / {obj.name}"


class WorkspaceAddForm(ServiceModelForm):
    name = forms.CharField(label="Name")
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    service = staticmethod(workspace_services.workspace_create)

    class Meta:
        model = Workspace
        fields = ()


@admin.register(Workspace)
class WorkspaceAdmin(CreateOnlyModelAdmin):
    """Created through `workspace_create` (role groups included); read-only afterwards.

    There is no Workspace update or delete service yet, and the admin writes only through services.
    """

    add_form = WorkspaceAddForm

    list_display = ["name", "deployment_count", "ide_project_count", "env_object_count", "member_count", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            deployment_count=_count_per_workspace(Deployment),
            ide_project_count=_count_per_workspace(IdeProject),
            env_object_count=_count_per_workspace(EnvObject),
            member_count=_count_per_workspace(Membership),
        )

    @admin.display(description="Deployments", ordering="deployment_count")
    def deployment_count(self, obj):
        return obj.deployment_count

    @admin.display(description="IDE projects", ordering="ide_project_count")
    def ide_project_count(self, obj):
        return obj.ide_project_count

    @admin.display(description="Environment objects", ordering="env_object_count")
    def env_object_count(self, obj):
        return obj.env_object_count

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


class DeploymentAdminForm(ServiceModelForm):
    """The add form of a Deployment, or the change form of one; both secrets write-only."""

    secret_names = DEPLOYMENT_SECRETS

    class Meta:
        model = Deployment
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        deployment = self.instance if self.instance.pk is not None else None
        if deployment is None:
            self.fields["workspace"] = forms.ModelChoiceField(Workspace.objects.all(), label="Workspace")
        self.fields["name"] = forms.CharField(label="Name", initial=deployment.name if deployment else None)
        self.fields["execution_mode"] = forms.ChoiceField(
            label="Execution mode",
            choices=ExecutionMode.choices,
            initial=deployment.execution_mode if deployment else ExecutionMode.STANDARD,
            help_text="Migrate from Airflow needs a standard Deployment with its metadata database and Fernet keys.",
        )
        url_set = bool(deployment and deployment.has_metadata_db_url)
        keys_set = bool(deployment and deployment.has_fernet_keys)
        self.fields["metadata_db_url"] = secret_form_field(
            "Airflow metadata database URL", is_set=url_set, help_text="postgresql://… or sqlite:///…"
        )
        if url_set:
            self.fields["clear_metadata_db_url"] = clear_field("Metadata database URL")
        self.fields["fernet_keys"] = secret_form_field(
            "Airflow Fernet keys", is_set=keys_set,
            help_text="Airflow's [core] fernet_key: comma-separated, newest first.",
        )
        if keys_set:
            self.fields["clear_fernet_keys"] = clear_field("Fernet keys")

    def save_through_service(self):
        data = self.cleaned_data
        if self.instance.pk is None:
            return workspace_services.deployment_create(
                workspace=data["workspace"], name=data["name"], actor=self.actor,
                execution_mode=data["execution_mode"], metadata_db_url=data["metadata_db_url"],
                fernet_keys=data["fernet_keys"],
            )
        if not self.has_changed():
            return None
        return workspace_services.deployment_update(
            deployment=self.instance, actor=self.actor, name=data["name"], execution_mode=data["execution_mode"],
            metadata_db_url=data["metadata_db_url"] or None, fernet_keys=data["fernet_keys"] or None,
            clear_metadata_db_url=data.get("clear_metadata_db_url", False),
            clear_fernet_keys=data.get("clear_fernet_keys", False),
        )


@admin.register(Deployment)
class DeploymentAdmin(ServiceModelAdmin):
    """Created with `deployment_create`, changed with `deployment_update`; both secrets write-only."""

    list_display = ["name", "workspace", "execution_mode", "metadata_db_url_status", "fernet_keys_status", "created_at"]
    list_filter = ["execution_mode", "workspace"]
    list_select_related = ["workspace"]
    search_fields = ["name", "workspace__name"]
    readonly_fields = ["workspace", "created_at"]

    def get_fields(self, request, obj=None):
        return [*([] if obj is None else ["workspace", "created_at"]), *self.form_field_names(request, obj)]

    def service_form(self, request, obj):
        return DeploymentAdminForm

    def has_delete_permission(self, request, obj=None):
        return False  # no Deployment delete service yet

    @method_decorator(sensitive_post_parameters(*DEPLOYMENT_SECRETS))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description="Metadata DB URL")
    def metadata_db_url_status(self, obj):
        return secret_status(obj.has_metadata_db_url)

    @admin.display(description="Fernet keys")
    def fernet_keys_status(self, obj):
        return secret_status(obj.has_fernet_keys)


class IdeProjectAddForm(ServiceModelForm):
    workspace = forms.ModelChoiceField(Workspace.objects.all(), label="Workspace")
    name = forms.CharField(label="Name")

    service = staticmethod(workspace_services.ide_project_create)

    class Meta:
        model = IdeProject
        fields = ()


@admin.register(IdeProject)
class IdeProjectAdmin(CreateOnlyModelAdmin):
    """Created with `ide_project_create`; read-only afterwards (no update or delete service yet)."""

    add_form = IdeProjectAddForm

    list_display = ["name", "workspace", "created_at"]
    list_filter = ["workspace"]
    list_select_related = ["workspace"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
