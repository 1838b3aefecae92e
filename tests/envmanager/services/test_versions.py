"""Every change to an object (all four types) and to a link's override records a version (issue #14)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from envmanager import crypto
from envmanager.models import EnvObject, ObjectVersion
from envmanager.models.versions import LINKED_TO_ALL, SECRET_FLAG
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.services.promotion import env_object_promote
from envmanager.services.versions import Change
from tests.factories import ConnectionFactory, EnvVarFactory, MetricsExportFactory, VariableFactory

pytestmark = pytest.mark.django_db


def _history(env_object, **link) -> list[ObjectVersion]:
    stream = {"link_deployment": None, "link_ide_project": None, **link}
    return list(ObjectVersion.objects.filter(object_id=env_object.pk, **stream).order_by("number"))


@pytest.mark.parametrize(
    ("factory", "change", "changed"),
    [
        (ConnectionFactory, {"host": "db2.example.com"}, ["host"]),
        (VariableFactory, {"value": "other"}, ["value"]),
        (EnvVarFactory, {"value": "2"}, ["value"]),
        (MetricsExportFactory, {"endpoint": "https://m2.example.com/write"}, ["endpoint"]),
    ],
)
def test_create_update_delete_each_record_a_version(workspace, owner, factory, change, changed):
    env_object = factory(workspace=workspace)
    env_object_services.env_object_update(env_object=env_object, actor=owner, fields=change)
    stored = EnvObject.objects.get(pk=env_object.pk)
    env_object_services.env_object_delete(env_object=stored, actor=owner)

    created, updated, deleted = _history(env_object)
    assert [v.number for v in (created, updated, deleted)] == [1, 2, 3]
    assert [v.change for v in (created, updated, deleted)] == [Change.CREATED, Change.CHANGED, Change.DELETED]
    assert updated.changed_fields == changed
    assert updated.data == stored.data and updated.actor == owner and updated.actor_name == owner.username
    assert created.actor is None and created.actor_name == "system"
    assert set(created.changed_fields) == set(created.data)


def test_a_secret_version_keeps_the_ciphertext_never_the_plaintext(workspace, owner):
    connection = ConnectionFactory(workspace=workspace, fields={"conn_type": "postgres", "password": "first-pw"})
    env_object_services.env_object_update(env_object=connection, actor=owner, fields={"password": "second-pw"})

    first, second = _history(connection)
    assert crypto.unseal_value(first.secrets["password"]) == "first-pw"
    assert second.secrets == EnvObject.objects.get(pk=connection.pk).secrets
    assert second.changed_fields == ["password"]
    stored = repr(list(ObjectVersion.objects.values_list("data", "secrets", "links")))
    assert "first-pw" not in stored and "second-pw" not in stored


def test_secret_flag_and_link_to_all_are_changes_too(workspace, owner, dev):
    variable = VariableFactory(workspace=workspace, fields={"value": "v"})
    link_services.link_create(env_object=variable, actor=owner, target=dev)
    link_services.link_set_override(env_object=variable, actor=owner, target=dev, fields={"value": "dev-v"})
    env_object_services.env_object_update(env_object=variable, actor=owner, is_secret=True)
    link_services.env_object_set_linked_to_all(env_object=variable, actor=owner, linked_to_all=True)

    versions = _history(variable)
    assert [v.changed_fields for v in versions[1:]] == [["value", SECRET_FLAG], [LINKED_TO_ALL]]
    # Sealing the value sealed the override as well: its history says so.
    override = _history(variable, link_deployment=dev)
    assert [v.changed_fields for v in override] == [["value"], ["value", SECRET_FLAG]]
    assert crypto.unseal_value(override[-1].secrets["value"]) == "dev-v"


def test_override_set_changed_and_removed_with_its_link(workspace, owner, dev, ide_project):
    variable = VariableFactory(workspace=workspace, fields={"value": "v"})
    for target in (dev, ide_project):
        link_services.link_create(env_object=variable, actor=owner, target=target)
        link_services.link_set_override(env_object=variable, actor=owner, target=target, fields={"value": "a"})
    link_services.link_set_override(env_object=variable, actor=owner, target=dev, fields={"value": "b"})
    link_services.link_delete(env_object=variable, actor=owner, target=dev)

    versions = _history(variable, link_deployment=dev)
    assert [(v.number, v.change, v.data) for v in versions] == [
        (1, Change.CHANGED, {"value": "a"}), (2, Change.CHANGED, {"value": "b"}), (3, Change.DELETED, {}),
    ]
    assert [v.data for v in _history(variable, link_ide_project=ide_project)] == [{"value": "a"}]
    assert [v.number for v in _history(variable)] == [1]  # the object itself did not change


def test_promotion_records_versions_for_both_ways(workspace, owner, dev, prod):
    lifted = VariableFactory(workspace=workspace, deployment=dev, key="region", fields={"value": "eu"})
    env_object_promote(env_object=lifted, actor=owner)
    assert [(v.change, v.deployment_id) for v in _history(lifted)] == [
        (Change.CREATED, dev.pk), (Change.PROMOTED, None),
    ]

    merged = VariableFactory(workspace=workspace, deployment=prod, key="region", fields={"value": "us"})
    env_object_promote(env_object=merged, actor=owner)
    assert [v.change for v in _history(merged)] == [Change.CREATED, Change.DELETED]
    assert [(v.change, v.data) for v in _history(lifted, link_deployment=prod)] == [
        (Change.PROMOTED, {"value": "us"}),
    ]


def test_a_failed_change_records_no_version(workspace, owner):
    connection = ConnectionFactory(workspace=workspace)
    with pytest.raises(ValidationError):
        env_object_services.env_object_update(env_object=connection, actor=owner, fields={"port": "not a port"})
    assert len(_history(connection)) == 1


def test_the_database_refuses_a_second_version_with_the_same_number(workspace):
    variable = VariableFactory(workspace=workspace)
    first = _history(variable)[0]
    first.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save()
