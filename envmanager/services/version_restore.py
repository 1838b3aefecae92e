"""Take a change back: revert an object or an override to an earlier version, restore a deleted object.

Both write the stored values back as they were (secrets as their stored ciphertext, byte for byte), record
a new version and an audit entry in one transaction, and refuse with a clear message what the database's
rules would refuse (the key exists again, the link is gone, the secret flag changed since).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from envmanager.kinds import Kind
from envmanager.models import AuditEntry, Deployment, EnvObject, IdeProject, Link, ObjectVersion
from envmanager.models.versions import RESTORE_DAYS
from envmanager.selectors.env_objects import scope_label
from envmanager.selectors.versions import last_deletions, restorable_deletions, restore_cutoff
from envmanager.services.audit import audit_record, env_object_label, env_object_snapshot, link_snapshot
from envmanager.services.env_objects import check_complete, env_object_lock, secret_flag_set, target_lock
from envmanager.services.versions import Change, version_record
from envmanager.targets import Target


def _label(version: ObjectVersion) -> str:
    return f"{Kind(version.kind).label} '{version.key}'"


def _locked_object(version: ObjectVersion) -> EnvObject:
    try:
        return env_object_lock(EnvObject(pk=version.object_id, kind=version.kind, key=version.key))
    except ValidationError:
        raise ValidationError(
            f"{_label(version)} was deleted; restore it from Recently deleted before reverting it."
        ) from None


def _check_revertible(version: ObjectVersion) -> None:
    if version.change == Change.DELETED:
        raise ValidationError(f"Version {version.number} of {_label(version)} is its deletion; choose an earlier one.")


@transaction.atomic
def version_revert(*, version: ObjectVersion, actor) -> ObjectVersion:
    """Make the object (or the override) hold exactly what `version` holds; return the new version."""
    _check_revertible(version)
    env_object = _locked_object(version)
    if version.is_override:
        return _override_revert(env_object, version, actor=actor)
    before = env_object_snapshot(env_object)
    if version.is_secret != env_object.is_secret:
        # The flag moves the way an edit moves it: overrides sealed, or refused while one holds a secret.
        value = version.data.get("value")
        secret_flag_set(
            env_object, actor=actor, is_secret=version.is_secret,
            fields={"value": value} if value is not None else {}, clear=() if value is not None else ("value",),
        )
    env_object.data, env_object.secrets = dict(version.data), dict(version.secrets)
    check_complete(Kind(env_object.kind), env_object.data, env_object.secrets)
    env_object.save(update_fields=["data", "secrets", "is_secret", "updated_at"])
    new = version_record(env_object=env_object, actor=actor, change=Change.REVERTED)
    audit_record(
        actor=actor, action=AuditEntry.Action.ENV_OBJECT_REVERT, workspace=env_object.workspace,
        target_type=AuditEntry.TargetType.ENV_OBJECT, target_id=env_object.pk,
        target_label=env_object_label(env_object), before=before, after=env_object_snapshot(env_object),
        extra={"reverted_to_version": version.number, "version": new.number},
    )
    return new


def _override_target(version: ObjectVersion) -> Target:
    if version.link_deployment_id:
        return Target.of(Deployment.objects.get(pk=version.link_deployment_id))
    return Target.of(IdeProject.objects.get(pk=version.link_ide_project_id))


def _override_revert(env_object: EnvObject, version: ObjectVersion, *, actor) -> ObjectVersion:
    target = _override_target(version)
    link = Link.objects.select_for_update(of=("self",)).filter(env_object=env_object, **target.row_filter).first()
    if link is None and target.is_deployment and env_object.linked_to_all:
        link = Link(env_object=env_object, deployment=target.deployment)
    if link is None or link.excluded:
        raise ValidationError(
            f"{_label(version)} is no longer linked to {target.label}; link it again before reverting its override."
        )
    for name in [*version.data, *version.secrets]:
        if (name in version.secrets) != env_object.is_secret_field(name):
            raise ValidationError(
                f"The secret flag of {_label(version)} changed since version {version.number}; set the override "
                "anew instead (a secret is never turned into plain text)."
            )
    before = link_snapshot(link) if link.pk else None
    link.override_data, link.override_secrets = dict(version.data), dict(version.secrets)
    check_complete(
        Kind(env_object.kind), {**env_object.data, **link.override_data}, {**env_object.secrets, **link.override_secrets}
    )
    link.save()
    new = version_record(env_object=env_object, actor=actor, change=Change.REVERTED, link=link)
    audit_record(
        actor=actor, action=AuditEntry.Action.LINK_OVERRIDE_REVERT, workspace=env_object.workspace,
        target_type=AuditEntry.TargetType.ENV_OBJECT, target_id=env_object.pk,
        target_label=f"{env_object_label(env_object)} -> {target.label}", before=before, after=link_snapshot(link),
        extra={"reverted_to_version": version.number, "version": new.number},
    )
    return new


@dataclass
class Restored:
    env_object: EnvObject
    links: int = 0
    overrides: int = 0
    # Targets deleted since: their links (and overrides) could not come back.
    skipped: list[str] = field(default_factory=list)


def _existing_targets(version: ObjectVersion) -> tuple[set[int], set[int]]:
    deployment_ids = {row["deployment_id"] for row in version.links if row["deployment_id"]}
    project_ids = {row["ide_project_id"] for row in version.links if row["ide_project_id"]}
    return (
        set(Deployment.objects.filter(pk__in=deployment_ids, workspace_id=version.workspace_id).values_list("pk", flat=True)),
        set(IdeProject.objects.filter(pk__in=project_ids, workspace_id=version.workspace_id).values_list("pk", flat=True)),
    )


def _restore_links(env_object: EnvObject, version: ObjectVersion, *, actor, result: Restored) -> None:
    deployments, projects = _existing_targets(version)
    links = []
    for row in version.links:
        if row["deployment_id"] in deployments or row["ide_project_id"] in projects:
            links.append(Link(
                env_object=env_object, deployment_id=row["deployment_id"], ide_project_id=row["ide_project_id"],
                excluded=row["excluded"], override_data=row["override_data"], override_secrets=row["override_secrets"],
            ))
        else:
            result.skipped.append("a Deployment" if row["deployment_id"] else "an IDE project")
    for link in Link.objects.bulk_create(links):
        if link.has_override:
            version_record(env_object=env_object, actor=actor, change=Change.RESTORED, link=link)
            result.overrides += 1
    result.links = len(links)


def _deletion(*, workspace_id: int, kind: Kind, key: str, deployment: Deployment | None, now, deletion_id) -> ObjectVersion:
    found = restorable_deletions(workspace_id=workspace_id, now=now).filter(kind=kind, key=key, deployment=deployment)
    if deletion_id is not None:
        found = found.filter(pk=deletion_id)
    version = found.order_by("-created_at", "-pk").first()
    if version is None:
        raise ValidationError(
            f"No deleted {kind.label} '{key}' in {scope_label(deployment)} can be restored "
            f"(deletions are kept {RESTORE_DAYS} days)."
        )
    return version


@transaction.atomic
def env_object_restore(
    *, workspace, kind: Kind | str, key: str, deployment: Deployment | None = None, actor, now: datetime | None = None,
    deletion_id: int | None = None,
) -> Restored:
    """Bring back the last deletion of (`kind`, `key`) in its scope (or the deletion version `deletion_id`),
    with the links whose targets still exist."""
    kind = Kind(kind)
    target_lock(deployment)
    version = _deletion(
        workspace_id=workspace.pk, kind=kind, key=key, deployment=deployment, now=now, deletion_id=deletion_id
    )
    scope = EnvObject.objects.filter(workspace=workspace, kind=kind, key=key, deployment=deployment)
    duplicate = ValidationError(
        f"{kind.label} '{key}' exists again in {scope_label(deployment)}; delete or rename it before restoring."
    )
    if scope.exists():
        raise duplicate
    env_object = EnvObject(
        pk=version.object_id, workspace=workspace, deployment=deployment, kind=kind, key=key,
        is_secret=version.is_secret, linked_to_all=version.linked_to_all,
        data=dict(version.data), secrets=dict(version.secrets),
    )
    try:
        with transaction.atomic():
            env_object.save(force_insert=True)
    except IntegrityError:  # restored (or the key created) by someone else at the same moment
        raise duplicate from None
    result = Restored(env_object)
    version_record(env_object=env_object, actor=actor, change=Change.RESTORED)
    _restore_links(env_object, version, actor=actor, result=result)
    audit_record(
        actor=actor, action=AuditEntry.Action.ENV_OBJECT_RESTORE, workspace=workspace,
        target_type=AuditEntry.TargetType.ENV_OBJECT, target_id=env_object.pk,
        target_label=env_object_label(env_object), after=env_object_snapshot(env_object),
        extra={"links_restored": result.links, "links_skipped": len(result.skipped), "deleted_version": version.number},
    )
    return result


@transaction.atomic
def deleted_objects_purge(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete every version of objects deleted more than `RESTORE_DAYS` ago; return how many objects."""
    expired = set(last_deletions().filter(created_at__lt=restore_cutoff(now)).values_list("object_id", flat=True))
    if expired and not dry_run:
        ObjectVersion.objects.filter(object_id__in=expired).delete()
    return len(expired)
