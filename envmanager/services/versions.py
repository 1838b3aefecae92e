"""Versions: every change to an environment object or a link's override records one (`docs/history.md`).

`version_record` is the one writer. Every service that changes an object or an override calls it in its
own transaction, after taking the object's row lock, so a failed change leaves no version and two writers
get consecutive numbers (the unique constraints catch anything that slipped past the lock).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from envmanager.models import EnvObject, Link, ObjectVersion
from envmanager.models.versions import EXCLUDED, LINKED_TO_ALL, SECRET_FLAG
from envmanager.services.audit import actor_label

Change = ObjectVersion.Change


def link_stream(link: Link) -> dict:
    return ObjectVersion.history_of(
        link.env_object_id, link_deployment_id=link.deployment_id, link_ide_project_id=link.ide_project_id
    )


def changed_fields(before: ObjectVersion | None, after: ObjectVersion | EnvObject) -> list[str]:
    """Field names whose value (plain) or token (secret) differ, then the flags that changed.

    `after` may be the object itself (a first version: its values against nothing)."""
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
        if getattr(after, attribute, False) != (getattr(before, attribute, False) if before else False):
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


# The columns `versions_record_created` writes, in its rows' order; the others keep their defaults' meaning
# (no link target, not excluded, no deletion links), written as NULL / false / [] below.
_CREATED_COLUMNS = (
    "workspace", "deployment", "object_id", "kind", "key", "number", "change", "actor", "actor_name", "created_at",
    "changed_fields", "is_secret", "linked_to_all", "data", "secrets", "link_deployment", "link_ide_project",
    "excluded", "links",
)


def versions_record_created(objects: list[EnvObject], *, actor, change: str) -> None:
    """Record version 1 of many new objects in one statement (Migrate from Airflow).

    The same rows `version_record` writes for a new object (`tests/envmanager/migration/
    test_migration_versions.py` holds them equal), as one executemany: Django's bulk_create spends more
    time preparing 19 columns a row than the database spends storing them, which made the version rows
    a third of a migration's time (`benchmarks/migrate.py`).
    """
    if not objects:
        return
    ops = connection.ops
    meta = ObjectVersion._meta
    columns = ", ".join(ops.quote_name(meta.get_field(name).column) for name in _CREATED_COLUMNS)
    sql = (
        f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(_CREATED_COLUMNS))})"
    )
    now = ops.adapt_datetimefield_value(timezone.now())
    actor_id, name = (actor.pk if actor is not None else None), actor_label(actor)
    empty_list = ops.adapt_json_value([], None)

    def row(env_object: EnvObject) -> tuple:
        fields = changed_fields(None, env_object)
        return (
            env_object.workspace_id, env_object.deployment_id, env_object.pk, env_object.kind, env_object.key, 1,
            change, actor_id, name, now, ops.adapt_json_value(fields, None), env_object.is_secret,
            env_object.linked_to_all, ops.adapt_json_value(env_object.data, None),
            ops.adapt_json_value(env_object.secrets, None), None, None, False, empty_list,
        )

    with connection.cursor() as cursor:
        cursor.executemany(sql, [row(env_object) for env_object in objects])


def deleted_links(env_object: EnvObject) -> list[dict]:
    """The object's link rows as a deletion version keeps them: enough to create them again."""
    return [
        {
            "deployment_id": link.deployment_id, "ide_project_id": link.ide_project_id, "excluded": link.excluded,
            "override_data": link.override_data, "override_secrets": link.override_secrets,
        }
        for link in env_object.links.all()
    ]
