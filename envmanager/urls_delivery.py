"""Browser pages for delivery: API tokens and exports (issue: delivery to Airflow)."""

from django.urls import path, register_converter

from envmanager import views_delivery
from envmanager.selectors.exports import EXPORT_FORMATS


class ExportFormatConverter:
    regex = "|".join(EXPORT_FORMATS)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ExportFormatConverter, "export_format")

_deployment = "workspaces/<int:workspace_id>/deployments/<int:deployment_id>"
_ide_project = "workspaces/<int:workspace_id>/ide-projects/<int:ide_project_id>"

urlpatterns = [
    path(f"{_deployment}/api-tokens/", views_delivery.deployment_tokens, name="deployment-tokens"),
    path(
        f"{_deployment}/api-tokens/<int:token_id>/revoke/",
        views_delivery.deployment_token_revoke,
        name="deployment-token-revoke",
    ),
    path(
        f"{_deployment}/export/<export_format:export_format>/",
        views_delivery.deployment_export,
        name="deployment-export",
    ),
    path(f"{_ide_project}/api-tokens/", views_delivery.ide_project_tokens, name="ide-project-tokens"),
    path(
        f"{_ide_project}/api-tokens/<int:token_id>/revoke/",
        views_delivery.ide_project_token_revoke,
        name="ide-project-token-revoke",
    ),
    path(
        f"{_ide_project}/export/<export_format:export_format>/",
        views_delivery.ide_project_export,
        name="ide-project-export",
    ),
]
