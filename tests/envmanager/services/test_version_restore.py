"""Revert to a version and restore a deleted object (issue #14): stored ciphertext comes back byte for byte."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from envmanager.models import AuditEntry, EnvObject, Link, ObjectVersion
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.services.version_restore import deleted_objects_purge, env_object_restore, version_revert
from envmanager.services.versions import Change
from tests.factories import ConnectionFactory, VariableFactory

pytestmark = pytest.mark.django_db


def _version(env_object, number, **link) -> ObjectVersion:
    stream = {"link_deployment": None, "link_ide_project": None, **link}
    return ObjectVersion.objects.get(object_id=env_object.pk, number=number, **stream)


def test_revert_restores_secrets_byte_for_byte(workspace, owner):
    password = "pä ss\t\n "
    connection = ConnectionFactory(workspace=workspace, fields={"conn_type": "postgres", "host": "a", "password": password})
    first_token = EnvObject.objects.get(pk=connection.pk).secrets["password"]
    env_object_services.env_object_update(env_object=connection, actor=owner, fields={"host": "b", "password": "new"})

    new = version_revert(version=_version(connection, 1), actor=owner)

    stored = EnvObject.objects.get(pk=connection.pk)
    assert stored.secrets["password"] == first_token  # the ciphertext itself
    assert stored.reveal("password").encode() == password.encode()
    assert stored.data["host"] == "a"
    assert (new.number, new.change, sorted(new.changed_fields)) == (3, Change.REVERTED, ["host", "password"])
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.ENV_OBJECT_REVERT).get()
    assert entry.changes["reverted_to_version"] == 1 and password not in repr(entry.changes)


def test_revert_across_the_secret_flag(workspace, owner):
    variable = VariableFactory(workspace=workspace, fields={"value": "plain"})
    env_object_services.env_object_update(env_object=variable, actor=owner, is_secret=True, fields={"value": "hidden"})
    version_revert(version=_version(variable, 1), actor=owner)
    stored = EnvObject.objects.get(pk=variable.pk)
    assert (stored.is_secret, stored.data, stored.secrets) == (False, {"value": "plain"}, {})

    version_revert(version=_version(variable, 2), actor=owner)
    stored = EnvObject.objects.get(pk=variable.pk)
    assert stored.is_secret and stored.reveal("value") == "hidden" and stored.data == {}


def test_revert_of_an_override(workspace, owner, dev):
    variable = VariableFactory(workspace=workspace, is_secret=True, fields={"value": "ws"})
    link_services.link_create(env_object=variable, actor=owner, target=dev)
    link_services.link_set_override(env_object=variable, actor=owner, target=dev, fields={"value": "one"})
    token = Link.objects.get(env_object=variable, deployment=dev).override_secrets["value"]
    link_services.link_clear_override(env_object=variable, actor=owner, target=dev)

    version_revert(version=_version(variable, 1, link_deployment=dev), actor=owner)

    assert Link.objects.get(env_object=variable, deployment=dev).override_secrets == {"value": token}
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LINK_OVERRIDE_REVERT).count() == 1
    assert _version(variable, 3, link_deployment=dev).change == Change.REVERTED


def test_revert_refusals_change_nothing(workspace, owner, dev):
    variable = VariableFactory(workspace=workspace, fields={"value": "v"})
    link_services.link_create(env_object=variable, actor=owner, target=dev)
    link_services.link_set_override(env_object=variable, actor=owner, target=dev, fields={"value": "plain"})
    env_object_services.env_object_update(env_object=variable, actor=owner, is_secret=True)
    with pytest.raises(ValidationError, match="secret flag of Airflow variable 'var_.*' changed since version 1"):
        version_revert(version=_version(variable, 1, link_deployment=dev), actor=owner)

    link_services.link_delete(env_object=variable, actor=owner, target=dev)
    with pytest.raises(ValidationError, match="no longer linked to Deployment 'dev'"):
        version_revert(version=_version(variable, 2, link_deployment=dev), actor=owner)

    env_object_services.env_object_delete(env_object=EnvObject.objects.get(pk=variable.pk), actor=owner)
    with pytest.raises(ValidationError, match="was deleted; restore it"):
        version_revert(version=_version(variable, 1), actor=owner)
    with pytest.raises(ValidationError, match="is its deletion"):
        version_revert(version=_version(variable, 3), actor=owner)
    assert ObjectVersion.objects.filter(change=Change.REVERTED).count() == 0


def test_restore_brings_back_the_object_its_links_and_overrides(workspace, owner, dev, prod, ide_project):
    connection = ConnectionFactory(
        workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "password": "pw"}, linked_to_all=True
    )
    link_services.link_set_override(env_object=connection, actor=owner, target=dev, fields={"password": "dev-pw"})
    link_services.link_exclude(env_object=connection, actor=owner, target=prod)
    link_services.link_create(env_object=connection, actor=owner, target=ide_project)
    before_links = sorted(
        Link.objects.filter(env_object=connection).values_list("deployment", "ide_project", "excluded", "override_secrets"),
        key=repr,
    )
    secrets = EnvObject.objects.get(pk=connection.pk).secrets
    env_object_services.env_object_delete(env_object=connection, actor=owner)

    restored = env_object_restore(workspace=workspace, kind="connection", key="warehouse", actor=owner)

    stored = EnvObject.objects.get(pk=connection.pk)
    assert stored.secrets == secrets and stored.linked_to_all
    after_links = sorted(
        Link.objects.filter(env_object=stored).values_list("deployment", "ide_project", "excluded", "override_secrets"),
        key=repr,
    )
    assert after_links == before_links
    assert (restored.links, restored.overrides) == (3, 1)
    assert [v.change for v in ObjectVersion.objects.filter(object_id=stored.pk, link_deployment=None,
                                                           link_ide_project=None).order_by("number")] == [
        Change.CREATED, Change.DELETED, Change.RESTORED,
    ]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ENV_OBJECT_RESTORE).count() == 1
    with pytest.raises(ValidationError, match="No deleted Airflow connection 'warehouse'"):
        env_object_restore(workspace=workspace, kind="connection", key="warehouse", actor=owner)


def test_restore_skips_links_to_deleted_targets(workspace, owner, dev, prod):
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    for target in (dev, prod):
        link_services.link_create(env_object=variable, actor=owner, target=target)
    env_object_services.env_object_delete(env_object=variable, actor=owner)
    prod_id = prod.pk
    prod.delete()

    restored = env_object_restore(workspace=workspace, kind="variable", key="region", actor=owner)
    assert restored.skipped == ["a Deployment"]
    assert list(Link.objects.filter(env_object_id=variable.pk).values_list("deployment_id", flat=True)) == [dev.pk]
    assert prod_id not in Link.objects.values_list("deployment_id", flat=True)


def test_restore_of_a_deployment_object_and_when_the_key_exists_again(workspace, owner, dev):
    own = VariableFactory(workspace=workspace, deployment=dev, key="region", fields={"value": "eu"})
    env_object_services.env_object_delete(env_object=own, actor=owner)
    with pytest.raises(ValidationError, match="No deleted Airflow variable 'region' in the Workspace"):
        env_object_restore(workspace=workspace, kind="variable", key="region", actor=owner)
    again = VariableFactory(workspace=workspace, deployment=dev, key="region", fields={"value": "us"})
    with pytest.raises(ValidationError, match="exists again in Deployment 'dev'"):
        env_object_restore(workspace=workspace, kind="variable", key="region", deployment=dev, actor=owner)
    env_object_services.env_object_delete(env_object=again, actor=owner)
    # The last deletion comes back.
    env_object_restore(workspace=workspace, kind="variable", key="region", deployment=dev, actor=owner)
    assert EnvObject.objects.get(deployment=dev, key="region").data == {"value": "us"}


def test_deletions_expire_after_30_days_and_are_purged(workspace, owner):
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    kept = VariableFactory(workspace=workspace, key="kept", fields={"value": "eu"})
    env_object_services.env_object_delete(env_object=variable, actor=owner)
    later = timezone.now() + timedelta(days=30, seconds=1)

    with pytest.raises(ValidationError, match="kept 30 days"):
        env_object_restore(workspace=workspace, kind="variable", key="region", actor=owner, now=later)
    assert deleted_objects_purge(now=timezone.now()) == 0
    assert deleted_objects_purge(now=later, dry_run=True) == 1
    assert deleted_objects_purge(now=later) == 1
    assert not ObjectVersion.objects.filter(object_id=variable.pk).exists()
    assert ObjectVersion.objects.filter(object_id=kept.pk).exists()
