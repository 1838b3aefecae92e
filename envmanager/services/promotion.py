"""Promote to Workspace: lift a Deployment-scoped object to the Workspace without changing what the
Deployment sees."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from envmanager.models import AuditEntry, EnvObject, Link
from envmanager.selectors.env_objects import differing_fields, plaintext_values
from envmanager.services.audit import audit_record, env_object_label, env_object_snapshot
from envmanager.services.env_objects import env_object_lock
from envmanager.services.overrides import link_showing_values
from envmanager.services.versions import Change, deleted_links, version_record


@dataclass
class PromotionPlan:
    env_object: EnvObject
    # The Workspace object of the same type and key, if there is one: promotion then adds an override on it.
    existing: EnvObject | None
    # Fields whose values differ from the existing Workspace object's (they become the override).
    differing_fields: list[str] = field(default_factory=list)

    @property
    def creates_workspace_object(self) -> bool:
        return self.existing is None

    def describe(self) -> str:
        label = f"{self.env_object.get_kind_display()} '{self.env_object.key}'"
        deployment = self.env_object.deployment.name
        if self.existing is None:
            return f"{label} becomes a Workspace object, linked to Deployment '{deployment}'."
        if not self.differing_fields:
            return (
                f"A Workspace {label} with the same values exists: it is linked to Deployment '{deployment}' and "
                "the Deployment's own copy is removed."
            )
        return (
            f"A Workspace {label} exists: Deployment '{deployment}' gets an override of "
            f"{', '.join(self.differing_fields)} on it, and its own copy is removed."
        )


def env_object_promotion_plan(*, env_object: EnvObject) -> PromotionPlan:
    """Return what promoting `env_object` would do; ValidationError if it cannot be promoted."""
    if env_object.deployment_id is None:
        raise ValidationError(
            f"{env_object.get_kind_display()} '{env_object.key}' is already a Workspace object (or an override of "
            "one); only Deployment objects can be promoted."
        )
    existing = (
        EnvObject.objects.filter(
            workspace_id=env_object.workspace_id, deployment__isnull=True, kind=env_object.kind, key=env_object.key
        )
        .select_related("workspace")
        .first()
    )
    if existing is None:
        return PromotionPlan(env_object, None)
    if env_object.is_secret and not existing.is_secret:
        raise ValidationError(
            f"The Deployment's {env_object.get_kind_display().lower()} '{env_object.key}' is secret but the "
            "Workspace one is not; mark the Workspace one secret first so the value stays masked."
        )
    differing = differing_fields(existing, plaintext_values(env_object))
    return PromotionPlan(env_object, existing, differing)


@transaction.atomic(durable=True)
def env_object_promote(*, env_object: EnvObject, actor) -> EnvObject:
    """Make a Deployment object a Workspace object linked to that Deployment; return the Workspace object.

    If the Workspace already has an object of that type and key, the Deployment's values become an
    override on it (only the fields that differ) and the Deployment's object is removed: never a duplicate.
    """
    try:
        env_object = env_object_lock(env_object)
    except ValidationError:
        raise ValidationError(
            f"{env_object.get_kind_display()} '{env_object.key}' no longer exists; it may have been promoted or "
            "deleted by someone else. Reload to see its current state."
        ) from None
    deployment = env_object.deployment
    before = env_object_snapshot(env_object)
    plan = env_object_promotion_plan(env_object=env_object)

    if plan.existing is None:
        env_object.deployment = None
        try:
            with transaction.atomic():
                env_object.save(update_fields=["deployment", "updated_at"])
        except IntegrityError:
            raise ValidationError(
                f"A Workspace {env_object.get_kind_display().lower()} '{env_object.key}' was just created by someone "
                "else; try again to add an override on it instead."
            ) from None
        Link.objects.create(env_object=env_object, deployment=deployment)
        version_record(env_object=env_object, actor=actor, change=Change.PROMOTED)
        result, override_fields = env_object, []
    else:
        result = EnvObject.objects.select_for_update().select_related("workspace").get(pk=plan.existing.pk)
        # Whatever linked or excluded this Deployment before, it now sees exactly the promoted values.
        _, override_fields = link_showing_values(
            env_object=result, deployment=deployment, values=plaintext_values(env_object),
            actor=actor, change=Change.PROMOTED,
        )
        # The Deployment's own copy goes; its deletion version keeps it restorable like any deletion.
        version_record(env_object=env_object, actor=actor, change=Change.DELETED, links=deleted_links(env_object))
        env_object.delete()

    audit_record(
        actor=actor, action=AuditEntry.Action.ENV_OBJECT_PROMOTE, workspace=result.workspace,
        target_type=AuditEntry.TargetType.ENV_OBJECT,
        target_id=result.pk, target_label=f"{env_object_label(result)} <- Deployment '{deployment.name}'",
        before=before, after=env_object_snapshot(result),
        extra={"deployment": deployment.name, "override_fields": override_fields,
               "merged_into_existing": plan.existing is not None},
    )
    return result
