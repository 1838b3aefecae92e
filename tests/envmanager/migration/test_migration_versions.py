"""Migrate from Airflow records versions: version 1 of each new object, an override version on existing ones."""

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
    assert created.secrets == new_object.secrets and created.data == new_object.data
    assert "password" in created.changed_fields
    override = ObjectVersion.objects.get(object_id=shared.pk, link_deployment=source_deployment)
    assert (override.number, override.change) == (1, "migrated")
    assert override.changed_fields == ["host", "password"]
    # The Workspace object itself did not change.
    assert ObjectVersion.objects.filter(object_id=shared.pk, link_deployment=None).count() == before
