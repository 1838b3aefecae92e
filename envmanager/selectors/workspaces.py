"""Reads of Workspaces: finding one (and its Deployments and IDE projects) by name; the overview lists."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count

from envmanager.kinds import Kind
from envmanager.models import Deployment, EnvObject, IdeProject, Workspace
from envmanager.selectors.env_objects import kind_counts
from envmanager.targets import TargetKind


@dataclass(frozen=True, slots=True)
class KindCount:
    kind: Kind
    count: int


def workspace_kind_counts(*, workspace: Workspace, all_scopes: bool = False) -> dict[str, int]:
    """Return the number of Workspace objects (with Deployment objects too if `all_scopes`) of each type."""
    objects = EnvObject.objects.filter(workspace=workspace)
    return kind_counts(objects if all_scopes else objects.filter(deployment__isnull=True))


def workspace_env_object_counts(*, workspace: Workspace) -> list[KindCount]:
    """Return the number of Workspace objects of each type, in one query."""
    counts = workspace_kind_counts(workspace=workspace)
    return [KindCount(kind, counts.get(kind.value, 0)) for kind in Kind]


def workspace_target_names(*, workspace: Workspace) -> dict[str, list]:
    """The Workspace's Deployments and IDE projects (pk and name, by name): a picker's choices, two queries."""
    return {
        "deployments": list(workspace.deployments.order_by("name").values("pk", "name")),
        "ide_projects": list(workspace.ide_projects.order_by("name").values("pk", "name")),
    }


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


def workspace_target_list(*, workspace: Workspace, target_kind: TargetKind):
    """Return the Workspace's Deployments or IDE projects (as `target_kind` says), with their counts."""
    if target_kind.is_deployment:
        return workspace_deployment_list(workspace=workspace)
    return workspace_ide_project_list(workspace=workspace)


# --- By name (the commands' --workspace, --deployment, --ide-project) ---------------------------------


def _known(names) -> str:
    names = list(names)
    return ", ".join(f"'{name}'" for name in names) if names else "none yet"


def workspace_by_name(name: str | None) -> Workspace:
    """Return the Workspace called `name`, or the only Workspace when `name` is None; ValidationError if none."""
    if name is not None:
        workspace = Workspace.objects.filter(name=name).first()
        if workspace is None:
            raise ValidationError(f"No Workspace named '{name}'. Known Workspaces: {_known(_workspace_names())}.")
        return workspace
    first_two = list(Workspace.objects.order_by("name")[:2])
    if len(first_two) == 1:
        return first_two[0]
    if not first_two:
        raise ValidationError("No Workspace exists yet; create one with `manage.py workspace_create --name NAME`.")
    raise ValidationError(f"There are several Workspaces; name one with --workspace: {_known(_workspace_names())}.")


def _workspace_names() -> list[str]:
    return list(Workspace.objects.order_by("name").values_list("name", flat=True)[:20])


def _in_workspace_by_name(model, noun: str, workspace: Workspace, name: str):
    found = model.objects.filter(workspace=workspace, name=name).first()
    if found is None:
        known = model.objects.filter(workspace=workspace).order_by("name").values_list("name", flat=True)[:20]
        raise ValidationError(
            f"No {noun} named '{name}' in Workspace '{workspace.name}'. Known {noun}s: {_known(known)}."
        )
    return found


def deployment_by_name(workspace: Workspace, name: str) -> Deployment:
    """Return the Deployment called `name` in `workspace`; ValidationError naming the known ones if none."""
    return _in_workspace_by_name(Deployment, "Deployment", workspace, name)


def ide_project_by_name(workspace: Workspace, name: str) -> IdeProject:
    """Return the IDE project called `name` in `workspace`; ValidationError naming the known ones if none."""
    return _in_workspace_by_name(IdeProject, "IDE project", workspace, name)
