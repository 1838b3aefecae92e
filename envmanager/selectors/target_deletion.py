"""What goes when a Deployment or an IDE project is deleted: the plan its confirmation shows.

The service deletes exactly these rows (and checks the counts), so what the dialog and the command list
is what goes. Workspace objects always stay; only their links to the target (with overrides) go.
"""

from dataclasses import dataclass, field

from envmanager.models import (
    ApiToken,
    Deployment,
    EnvObject,
    IdeProject,
    Link,
    MigrationRun,
)
from envmanager.targets import DEPLOYMENTS, IDE_PROJECTS, Target, TargetKind


@dataclass(frozen=True, slots=True)
class PlannedObject:
    kind: str
    kind_label: str
    key: str


@dataclass(frozen=True, slots=True)
class PlannedLink(PlannedObject):
    """A link from a Workspace object (the kind and key) to the target: an inclusion, an exclusion, maybe
    with an override."""

    excluded: bool
    has_override: bool


@dataclass(frozen=True, slots=True)
class PlannedToken:
    name: str
    prefix: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class DeletionPlan:
    target_kind: TargetKind
    target_id: int
    name: str
    env_objects: list[PlannedObject] = field(default_factory=list)
    links: list[PlannedLink] = field(default_factory=list)
    api_tokens: list[PlannedToken] = field(default_factory=list)
    migration_runs: int = 0

    @property
    def label(self) -> str:
        return self.target_kind.label(self.name)

    @property
    def overrides(self) -> int:
        return sum(link.has_override for link in self.links)

    def env_object_counts(self) -> dict[str, int]:
        """Return {type label: count} of the Deployment's own objects, in type order."""
        counts: dict[str, int] = {}
        for item in self.env_objects:
            counts[item.kind_label] = counts.get(item.kind_label, 0) + 1
        return counts

    def row_counts(self) -> dict[str, int]:
        """Return the rows that go per model (links of the target's own objects go with them, not counted)."""
        counts = {
            "envmanager.Link": len(self.links),
            "envmanager.ApiToken": len(self.api_tokens),
        }
        if self.target_kind.is_deployment:
            counts["envmanager.EnvObject"] = len(self.env_objects)
            counts["envmanager.MigrationRun"] = self.migration_runs
        return counts

    def summary(self) -> dict:
        """Return the plan for the audit log: keys, names and counts, never a value."""
        return {
            "env_objects": [{"kind": o.kind, "key": o.key} for o in self.env_objects],
            "links": [
                {"kind": link.kind, "key": link.key, "excluded": link.excluded, "override": link.has_override}
                for link in self.links
            ],
            "api_tokens": [{"name": t.name, "prefix": t.prefix, "active": t.is_active} for t in self.api_tokens],
            "migration_runs": self.migration_runs,
        }


def _planned_links(links) -> list[PlannedLink]:
    rows = links.select_related("env_object").order_by("env_object__kind", "env_object__key", "id")
    return [
        PlannedLink(
            kind=link.env_object.kind, kind_label=link.env_object.get_kind_display(), key=link.env_object.key,
            excluded=link.excluded, has_override=link.has_override,
        )
        for link in rows
    ]


def _planned_tokens(tokens) -> list[PlannedToken]:
    return [
        PlannedToken(name=t.name, prefix=t.prefix, is_active=t.is_active) for t in tokens.order_by("name", "id")
    ]


def deployment_deletion_plan(*, deployment: Deployment) -> DeletionPlan:
    """Return what deleting `deployment` removes (four queries)."""
    objects = EnvObject.objects.filter(deployment=deployment).order_by("kind", "key")
    return DeletionPlan(
        target_kind=DEPLOYMENTS, target_id=deployment.pk, name=deployment.name,
        env_objects=[PlannedObject(kind=o.kind, kind_label=o.get_kind_display(), key=o.key) for o in objects],
        # Links *to* the Deployment; its own objects are never linked elsewhere (promotion moves them).
        links=_planned_links(Link.objects.filter(deployment=deployment)),
        api_tokens=_planned_tokens(ApiToken.objects.filter(deployment=deployment)),
        migration_runs=MigrationRun.objects.filter(deployment=deployment).count(),
    )


def ide_project_deletion_plan(*, ide_project: IdeProject) -> DeletionPlan:
    """Return what deleting `ide_project` removes (two queries)."""
    return DeletionPlan(
        target_kind=IDE_PROJECTS, target_id=ide_project.pk, name=ide_project.name,
        links=_planned_links(Link.objects.filter(ide_project=ide_project)),
        api_tokens=_planned_tokens(ApiToken.objects.filter(ide_project=ide_project)),
    )


def target_deletion_plan(*, target) -> DeletionPlan:
    """Return what deleting `target` (a Target, a Deployment or an IDE project) removes."""
    target = Target.of(target)
    if target.is_deployment:
        return deployment_deletion_plan(deployment=target.deployment)
    return ide_project_deletion_plan(ide_project=target.ide_project)
