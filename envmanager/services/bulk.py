"""Bulk actions: link, unlink or delete many objects at once on the Workspace Environment page; unlink,
remove overrides or delete on a Deployment's or IDE project's Environment tab.

Each object goes through the same service as the single action (so each writes its own audit entry and
version), all of them in one transaction: one refusal (an object not linked, deleted meanwhile) rolls
back the whole batch and nothing changes.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from envmanager.models import EnvObject
from envmanager.selectors.bulk import BulkAction, TargetBulkPlan, target_bulk_plan
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.targets import Target


@transaction.atomic
def env_objects_bulk_apply(*, env_objects: list[EnvObject], action: str, actor, target: Target | None = None) -> int:
    """Apply `action` to every object (to `target` for link / unlink); return how many were changed."""
    if action not in BulkAction.WORKSPACE_CHOICES:
        raise ValidationError(f"Unknown bulk action '{action}'.")
    if action in BulkAction.NEEDS_TARGET and target is None:
        raise ValidationError("Choose the Deployment or IDE project to link to or unlink from.")
    if not env_objects:
        raise ValidationError("Select at least one object.")
    for env_object in env_objects:
        if action == BulkAction.DELETE:
            env_object_services.env_object_delete(env_object=env_object, actor=actor)
        elif action == BulkAction.LINK:
            link_services.link_create(env_object=env_object, actor=actor, target=target)
        else:
            link_services.link_delete(env_object=env_object, actor=actor, target=target)
    return len(env_objects)


def _locked(env_objects: list[EnvObject]) -> list[EnvObject]:
    """Re-read the objects under their row locks, in id order (two batches sharing objects cannot deadlock)."""
    wanted = {env_object.pk for env_object in env_objects}
    locked = list(EnvObject.objects.select_for_update(of=("self",)).filter(pk__in=wanted).order_by("pk"))
    if len(locked) != len(wanted):
        raise ValidationError("Some of the selected objects no longer exist; nothing was changed.")
    return locked


@transaction.atomic
def target_bulk_apply(
    *, target: Target, action: str, env_objects: list[EnvObject], actor, dropping_overrides_of=frozenset()
) -> TargetBulkPlan:
    """Apply `action` to every object on `target`'s Environment tab and return the plan applied.

    Unlink removes the link (an object linked to all Deployments: excludes the Deployment), Remove
    override clears the target's override, Delete deletes the Deployment's own objects. Every object
    must be one the action applies to, and every override Unlink drops must be in
    `dropping_overrides_of` (the confirmation named it): otherwise nothing changes.
    """
    target = Target.of(target)
    if action not in BulkAction.target_choices(target):
        raise ValidationError(f"'{action}' is not a bulk action of {target.label}.")
    if not env_objects:
        raise ValidationError("Select at least one object.")
    plan = target_bulk_plan(target=target, action=action, env_objects=_locked(env_objects))
    if plan.skipped:
        reasons = "; ".join(f"'{row.env_object.key}': {row.reason}" for row in plan.skipped)
        raise ValidationError(f"Nothing was changed: {reasons}.")
    unasked = plan.dropped_override_ids - set(dropping_overrides_of)
    unconfirmed = sorted(row.env_object.key for row in plan.rows if row.env_object.pk in unasked)
    if unconfirmed:  # written since the confirmation: dropped only when asked again
        raise ValidationError(
            f"{target.label} now overrides {', '.join(unconfirmed)}; unlinking would drop the override. Nothing "
            "was changed: look at the confirmation again."
        )
    for row in plan.rows:
        env_object = row.env_object
        if action == BulkAction.DELETE:
            env_object_services.env_object_delete(env_object=env_object, actor=actor)
        elif action == BulkAction.REMOVE_OVERRIDE:
            link_services.link_clear_override(env_object=env_object, actor=actor, target=target)
        elif row.excludes:
            link_services.link_exclude(env_object=env_object, actor=actor, target=target, drop_override=True)
        else:
            link_services.link_delete(env_object=env_object, actor=actor, target=target)
    return plan
