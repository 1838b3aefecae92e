"""Versions: every change to an environment object or a link's override records one (`docs/history.md`).

`version_record` is the one writer. Every service that changes an object or an override calls it in its
own transaction, after taking the object's row lock, so a failed change leaves no version and two writers
get consecutive numbers (the unique constraints catch anything that slipped past the lock).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from envmanager.models import EnvObject, Link, ObjectVersion
from envmanager.models.versions import EXCLUDED, LINKED_TO_ALL, SECRET_FLAG
from envmanager.services.audit import actor_label

Change = ObjectVersion.Change


def link_stream(link: Link) -> dict:
    return ObjectVersion.history_of(
        link.env_object_id, link_deployment_id=link.deployment_id, link_ide_project_id=link.ide_project_id
    )


def changed_fields(before: ObjectVersion | None, after: ObjectVersion) -> list[str]:
    """Field names whose value (plain) or token (secret) differ, then the flags that changed."""
    old_data, old_secrets = (before.data, before.secrets) if before else ({}, {})
    names = set(old_data) | set(after.data) | set(old_secrets) | set(after.secrets)
    fields = sorted(
        name for name in names
        if old_data.get(name) != after.data.get(name) or old_secrets.get(name) != after.secrets.get(name)
        or (name in old_secrets) != (name in after.secrets)
    )
    flags = (
        (SECRET_FLAG, "is_secret"), (LINKED_TO_ALL, "linked_to_all"), (EXCLUDED, "excluded"),
    )
    for label, attribute in flags:
        if getattr(after, attribute) != (getattr(before, attribute) if before else False):
            fields.append(label)
    return fields


def _unsaved(env_object: EnvObject, *, actor, change: str, link: Link | None = None, number: int = 1) -> ObjectVersion:
    version = ObjectVersion(
        workspace_id=env_object.workspace_id, deployment_id=env_object.deployment_id, object_id=env_object.pk,
        kind=env_object.kind, key=env_object.key, number=number, change=change,
        actor=actor, actor_name=actor_label(actor), is_secret=env_object.is_secret,
        linked_to_all=env_object.linked_to_all,
    )
    if link is None:
        version.data, version.secrets = dict(env_object.data), dict(env_object.secrets)
    else:
        version.link_deployment_id, version.link_ide_project_id = link.deployment_id, link.ide_project_id
        version.data, version.secrets = dict(link.override_data), dict(link.override_secrets)
        version.excluded = link.excluded
    return version


def version_record(
    *, env_object: EnvObject, actor, change: str, link: Link | None = None, links: list[dict] | None = None
) -> ObjectVersion:
    """Record the current state of `env_object` (or of its `link`'s override) as its next version.

    Call inside the change's transaction with the object's row locked. `links` (deletions only) is what
    Restore needs to bring the links back (`deleted_links`).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("version_record must run inside the transaction of the change it records.")
    stream = link_stream(link) if link is not None else ObjectVersion.history_of(env_object.pk)
    previous = ObjectVersion.objects.filter(**stream).order_by("-number").first()
    version = _unsaved(env_object, actor=actor, change=change, link=link, number=previous.number + 1 if previous else 1)
    version.changed_fields = [] if change == Change.DELETED else changed_fields(previous, version)
    version.links = links or []
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError:
        raise ValidationError(
            f"{env_object.get_kind_display()} '{env_object.key}' was changed by someone else at the same moment; "
            "nothing was saved. Try again."
        ) from None
    return version


def versions_record_created(objects: list[EnvObject], *, actor, change: str) -> None:
    """Record version 1 of many new objects in one INSERT (Migrate from Airflow)."""
    versions = []
    for env_object in objects:
        version = _unsaved(env_object, actor=actor, change=change)
        version.changed_fields = changed_fields(None, version)
        versions.append(version)
    ObjectVersion.objects.bulk_create(versions)


def deleted_links(env_object: EnvObject) -> list[dict]:
    """The object's link rows as a deletion version keeps them: enough to create them again."""
    return [
        {
            "deployment_id": link.deployment_id, "ide_project_id": link.ide_project_id, "excluded": link.excluded,
            "override_data": link.override_data, "override_secrets": link.override_secrets,
        }
        for link in env_object.links.all()
    ]
