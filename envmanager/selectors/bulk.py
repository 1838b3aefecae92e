"""Which of the rows ticked on a Deployment's or IDE project's Environment tab a bulk action applies to.

The confirmation lists what applies and names every other row with why it is skipped; the service
(`services/bulk.target_bulk_apply`) asks again under the objects' locks and refuses if the answer changed.
"""

from dataclasses import dataclass

from envmanager.models import EnvObject, Link
from envmanager.selectors.env_objects import KIND_ORDER
from envmanager.targets import Target


class BulkAction:
    LINK = "link"
    UNLINK = "unlink"
    DELETE = "delete"
    REMOVE_OVERRIDE = "remove_override"
    # The Workspace Environment page: link to / unlink from a chosen target, delete.
    WORKSPACE_CHOICES = (LINK, UNLINK, DELETE)
    NEEDS_TARGET = (LINK, UNLINK)
    # A target's Environment tab: unlink from it, drop its overrides, delete its own objects.
    DEPLOYMENT_CHOICES = (UNLINK, REMOVE_OVERRIDE, DELETE)
    IDE_PROJECT_CHOICES = (UNLINK, REMOVE_OVERRIDE)  # an IDE project has no objects of its own

    @classmethod
    def target_choices(cls, target: Target) -> tuple[str, ...]:
        return cls.DEPLOYMENT_CHOICES if target.is_deployment else cls.IDE_PROJECT_CHOICES


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """A row the action applies to, with the target's link row (None for a Deployment object, or an object
    linked to all Deployments with no row of its own)."""

    env_object: EnvObject
    link: Link | None
    excludes: bool = False  # Unlink of an object linked to all Deployments: the Deployment is excluded

    @property
    def has_override(self) -> bool:
        return self.link is not None and self.link.has_override


@dataclass(frozen=True, slots=True)
class SkippedRow:
    env_object: EnvObject
    reason: str


@dataclass(frozen=True, slots=True)
class TargetBulkPlan:
    action: str
    target: Target
    rows: tuple[PlannedRow, ...]
    skipped: tuple[SkippedRow, ...]

    @property
    def dropped_override_ids(self) -> frozenset[int]:
        """The objects whose override in the target Unlink drops (the confirmation names them)."""
        if self.action != BulkAction.UNLINK:
            return frozenset()
        return frozenset(row.env_object.pk for row in self.rows if row.has_override)


def _skip_reason(action: str, target: Target, env_object: EnvObject, link: Link | None) -> str | None:
    """Why `action` does not apply to `env_object` on `target`; None if it does."""
    if env_object.deployment_id is not None:  # the Deployment's own object (the view refuses anyone else's)
        if action == BulkAction.DELETE:
            return None
        return f"{target.name}'s own object, not a linked Workspace object: delete it instead"
    if action == BulkAction.DELETE:
        return "a Workspace object: unlink it here, or delete it on the Workspace Environment page"
    received = (link is not None and not link.excluded) or (
        target.is_deployment and env_object.linked_to_all and link is None
    )
    if not received:
        return f"not linked to {target.name}"
    if action == BulkAction.REMOVE_OVERRIDE and not (link is not None and link.has_override):
        return f"no override in {target.name}"
    return None


def target_bulk_plan(*, target: Target, action: str, env_objects: list[EnvObject]) -> TargetBulkPlan:
    """Split `env_objects` (Workspace objects and `target`'s own) into the rows `action` applies to and the
    skipped ones, each by type then key; one query (the target's link rows)."""
    links = {
        link.env_object_id: link
        for link in Link.objects.filter(env_object__in=[obj.pk for obj in env_objects], **target.row_filter)
    }
    rows, skipped = [], []
    for env_object in sorted(env_objects, key=lambda obj: (KIND_ORDER[obj.kind], obj.key)):
        link = links.get(env_object.pk)
        reason = _skip_reason(action, target, env_object, link)
        if reason is not None:
            skipped.append(SkippedRow(env_object, reason))
        else:
            excludes = action == BulkAction.UNLINK and target.is_deployment and env_object.linked_to_all
            rows.append(PlannedRow(env_object, link, excludes=excludes))
    return TargetBulkPlan(action=action, target=target, rows=tuple(rows), skipped=tuple(skipped))
