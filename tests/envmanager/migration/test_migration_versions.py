"""Migrate from Airflow records versions: version 1 of each new object, an override version on existing ones."""

from django.utils import timezone

from envmanager.models import EnvObject, ObjectVersion
from tests.envmanager.migration.test_apply import _apply, seeded  # noqa: F401 - fixture


def test_migration_records_a_version_per_object_and_override(source_deployment, seeded, owner):  # noqa: F811
    _, _, ids = seeded
    shared = EnvObject.objects.get(key="shared_api")
    before = ObjectVersion.objects.filter(object_id=shared.pk).count()

    _apply(source_deployment, ids.values(), actor=owner)

    new_object = EnvObject.objects.get(key="new_db")
    created = ObjectVersion.objects.get(object_id=new_object.pk)
    assert (created.number, created.change, created.actor, created.workspace_id) == (
        1, "migrated", owner, new_object.workspace_id
    )
    # The bulk statement writes what `version_record` writes for a new object.
    assert created.secrets == new_object.secrets and created.data == new_object.data
    assert created.changed_fields == sorted({*new_object.data, *new_object.secrets}) and "password" in created.changed_fields
    assert (created.actor_name, created.kind, created.key, created.deployment_id, created.is_secret) == (
        owner.username, "connection", "new_db", None, False
    )
    assert (created.link_deployment_id, created.link_ide_project_id, created.excluded, created.links) == (None, None, False, [])
    assert abs((timezone.now() - created.created_at).total_seconds()) < 60
    override = ObjectVersion.objects.get(object_id=shared.pk, link_deployment=source_deployment)
    assert (override.number, override.change) == (1, "migrated")
    assert override.changed_fields == ["host", "password"]
    # The Workspace object itself did not change.
    assert ObjectVersion.objects.filter(object_id=shared.pk, link_deployment=None).count() == before
