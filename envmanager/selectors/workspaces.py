"""Reads of a Workspace's overview: its Deployments, IDE projects, and objects per type."""

from dataclasses import dataclass

from django.db.models import Count

from envmanager.kinds import Kind
from envmanager.models import Deployment, EnvObject, IdeProject, Workspace


@dataclass(frozen=True, slots=True)
class KindCount:
    kind: Kind
    count: int


def workspace_env_object_counts(*, workspace: Workspace) -> list[KindCount]:
    """Return the number of Workspace objects of each type, in one query."""
    counts = dict(
        EnvObject.objects.filter(workspace=workspace, deployment__isnull=True)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [KindCount(kind, counts.get(kind.value, 0)) for kind in Kind]


def workspace_deployment_list(*, workspace: Workspace):
    """Return the Workspace's Deployments, each with its number of Deployment objects."""
    return (
        Deployment.objects.filter(workspace=workspace)
        .annotate(object_count=Count("env_objects"))
        .only("id", "name", "execution_mode", "workspace_id")
        .order_by("name")
    )


def workspace_ide_project_list(*, workspace: Workspace):
    """Return the Workspace's IDE projects, each with its number of linked objects."""
    return (
        IdeProject.objects.filter(workspace=workspace)
        .annotate(link_count=Count("links"))
        .order_by("name")
    )
