"""Deleting a Deployment or an IDE project, with everything that belongs to it (the plan), never a Workspace object.

Both lock the target's row first: an edit that writes a row pointing at the target (a Deployment object, a
link, a token) waits for the delete and then fails on the missing target, or commits first and goes with it.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from envmanager import permissions
from envmanager.models import AuditEntry, Deployment, IdeProject
from envmanager.selectors.target_deletion import (
    DeletionPlan,
    deployment_deletion_plan,
    ide_project_deletion_plan,
)
from envmanager.services.audit import audit_record
from envmanager.services.migration import deployment_migration_lock
from envmanager.services.workspaces import _deployment_snapshot
from envmanager.targets import Target

CHANGED_MEANWHILE = "{label} changed while it was being deleted; nothing was deleted. Look again and retry."


def _check_counts(plan: DeletionPlan, deleted: dict[str, int]) -> None:
    """Roll back unless exactly the planned rows went (a row added between plan and delete is refused)."""
    for model, count in plan.row_counts().items():
        if deleted.get(model, 0) != count:
            raise ValidationError(CHANGED_MEANWHILE.format(label=plan.label))


def _lock(target: Target) -> Deployment | IdeProject:
    """Re-read the target's row (with its Workspace) under a lock; ValidationError if it is gone already."""
    model = type(target.instance)
    try:
        return model.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=target.pk)
    except model.DoesNotExist:
        raise ValidationError(f"{target.label} was already deleted.") from None


def deployment_delete(*, deployment: Deployment, actor) -> DeletionPlan:
    """Delete `deployment` with its own objects, its links and overrides, its API tokens and its migration runs.

    Refused while a Migrate from Airflow run holds the Deployment's migration lock; the lock is held for
    the delete, so no run starts meanwhile. `actor` None: a command run by the server's administrator.
    """
    if actor is not None:
        permissions.require(actor, permissions.DEPLOYMENT_DELETE, deployment)
    with deployment_migration_lock(deployment) as free:
        if not free:
            raise ValidationError(
                f"A Migrate from Airflow run is in progress on Deployment '{deployment.name}'. "
                "Wait for it to finish, then delete the Deployment; nothing was deleted."
            )
        return _deployment_delete_locked(deployment=deployment, actor=actor)


@transaction.atomic
def _deployment_delete_locked(*, deployment: Deployment, actor) -> DeletionPlan:
    deployment = _lock(Target(deployment=deployment))
    plan = deployment_deletion_plan(deployment=deployment)
    before = _deployment_snapshot(deployment)
    _, deleted = Deployment.objects.filter(pk=deployment.pk).delete()
    _check_counts(plan, deleted)
    audit_record(
        actor=actor, action=AuditEntry.Action.DEPLOYMENT_DELETE, workspace=deployment.workspace,
        target_type=AuditEntry.TargetType.DEPLOYMENT,
        target_id=plan.target_id, target_label=plan.label, before=before, extra={"removed": plan.summary()},
    )
    return plan


@transaction.atomic
def ide_project_delete(*, ide_project: IdeProject, actor) -> DeletionPlan:
    """Delete `ide_project` with its links and overrides and its API tokens."""
    ide_project = _lock(Target(ide_project=ide_project))
    if actor is not None:
        permissions.require(actor, permissions.IDE_PROJECT_DELETE, ide_project.workspace)
    plan = ide_project_deletion_plan(ide_project=ide_project)
    _, deleted = IdeProject.objects.filter(pk=ide_project.pk).delete()
    _check_counts(plan, deleted)
    audit_record(
        actor=actor, action=AuditEntry.Action.IDE_PROJECT_DELETE, workspace=ide_project.workspace,
        target_type=AuditEntry.TargetType.IDE_PROJECT,
        target_id=plan.target_id, target_label=plan.label, before={"name": ide_project.name},
        extra={"removed": plan.summary()},
    )
    return plan


def target_delete(*, target, actor) -> DeletionPlan:
    """Delete `target` (a Target, a Deployment or an IDE project) as `deployment_delete` / `ide_project_delete` do."""
    target = Target.of(target)
    if target.is_deployment:
        return deployment_delete(deployment=target.deployment, actor=actor)
    return ide_project_delete(ide_project=target.ide_project, actor=actor)
