"""Migration 0018 gives every object and override that exists before histories did its version 1."""

import pytest

from envmanager.models import EnvObject, Link, ObjectVersion
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory, VariableFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("envmanager", "0017_personal_access_tokens")]
AFTER = [("envmanager", "0018_object_versions")]


def test_existing_objects_and_overrides_get_version_1(migrator, workspace, dev):
    connection_object = ConnectionFactory(workspace=workspace, fields={"conn_type": "http", "password": "pw"})
    variable = VariableFactory(workspace=workspace, fields={"value": "v"}, linked_to_all=True)
    link_services.link_set_override(env_object=variable, actor=None, target=dev, fields={"value": "dev"})
    link_services.link_create(env_object=connection_object, actor=None, target=dev)

    migrator(BEFORE)
    migrator(AFTER)

    stored = EnvObject.objects.get(pk=connection_object.pk)
    first = ObjectVersion.objects.get(object_id=stored.pk)
    assert (first.number, first.change, first.secrets, first.data) == (1, "created", stored.secrets, stored.data)
    assert first.changed_fields == ["conn_type", "password"]
    assert ObjectVersion.objects.get(object_id=variable.pk, link_deployment=None).changed_fields == [
        "value", "linked to all Deployments",
    ]
    override = ObjectVersion.objects.get(object_id=variable.pk, link_deployment=dev)
    assert override.data == Link.objects.get(env_object=variable, deployment=dev).override_data == {"value": "dev"}
    # A link without an override has no override history.
    assert not ObjectVersion.objects.filter(object_id=connection_object.pk, link_deployment=dev).exists()
    assert ObjectVersion.objects.count() == 3
