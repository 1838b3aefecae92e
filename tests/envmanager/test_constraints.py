"""The database itself refuses rows that break envmanager's invariants, whatever code writes them."""

import pytest
from django.db import IntegrityError, transaction

from envmanager.kinds import Kind
from envmanager.models import EnvObject, Link


def _refused(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        EnvObject.objects.create(**fields)


def test_duplicate_key_in_workspace_scope_is_refused(workspace):
    EnvObject.objects.create(workspace=workspace, kind=Kind.VARIABLE, key="region")
    _refused(workspace=workspace, kind=Kind.VARIABLE, key="region")


def test_duplicate_key_in_one_deployment_is_refused(workspace, dev):
    EnvObject.objects.create(workspace=workspace, deployment=dev, kind=Kind.VARIABLE, key="region")
    _refused(workspace=workspace, deployment=dev, kind=Kind.VARIABLE, key="region")


def test_same_key_in_other_scopes_and_types_is_allowed(workspace, dev, prod, other_workspace):
    EnvObject.objects.create(workspace=workspace, kind=Kind.VARIABLE, key="region")
    EnvObject.objects.create(workspace=workspace, deployment=dev, kind=Kind.VARIABLE, key="region")
    EnvObject.objects.create(workspace=workspace, deployment=prod, kind=Kind.VARIABLE, key="region")
    EnvObject.objects.create(workspace=workspace, kind=Kind.CONNECTION, key="region")
    EnvObject.objects.create(workspace=other_workspace, kind=Kind.VARIABLE, key="region")
    assert EnvObject.objects.filter(key="region").count() == 5


@pytest.mark.parametrize(
    "kind, key",
    [
        (Kind.ENV, "1STARTS_WITH_DIGIT"),
        (Kind.ENV, "HAS-DASH"),
        (Kind.ENV, "has space"),
        (Kind.CONNECTION, "has space"),
        (Kind.CONNECTION, "slash/inside"),
        (Kind.VARIABLE, "quote'inside"),
        (Kind.VARIABLE, ""),
        (Kind.METRICS, "ünïcode"),
    ],
)
def test_invalid_keys_are_refused(workspace, kind, key):
    _refused(workspace=workspace, kind=kind, key=key)


@pytest.mark.parametrize(
    "kind, key", [(Kind.ENV, "_OK_NAME_1"), (Kind.CONNECTION, "my-db.prod_1"), (Kind.VARIABLE, "a.b-c_d")]
)
def test_valid_keys_are_accepted(workspace, kind, key):
    assert EnvObject.objects.create(workspace=workspace, kind=kind, key=key).pk


def test_unknown_type_is_refused(workspace):
    _refused(workspace=workspace, kind="certificate", key="x")


def test_secret_flag_on_a_connection_is_refused(workspace):
    _refused(workspace=workspace, kind=Kind.CONNECTION, key="db", is_secret=True)


def test_link_to_all_on_a_deployment_object_is_refused(workspace, dev):
    _refused(workspace=workspace, deployment=dev, kind=Kind.VARIABLE, key="x", linked_to_all=True)


@pytest.fixture
def variable(workspace):
    return EnvObject.objects.create(workspace=workspace, kind=Kind.VARIABLE, key="region")


def _link_refused(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.create(**fields)


def test_link_needs_exactly_one_target(variable, dev, workspace):
    from tests.factories import IdeProjectFactory

    ide = IdeProjectFactory(workspace=workspace)
    _link_refused(env_object=variable)
    _link_refused(env_object=variable, deployment=dev, ide_project=ide)


def test_second_link_to_the_same_target_is_refused(variable, dev):
    Link.objects.create(env_object=variable, deployment=dev)
    _link_refused(env_object=variable, deployment=dev)


def test_an_override_exists_only_on_a_link(variable, dev):
    """Overrides are columns of Link, so there is no override without a link; an exclusion carries none."""
    _link_refused(env_object=variable, deployment=dev, excluded=True, override_data={"value": "x"})
    _link_refused(env_object=variable, deployment=dev, excluded=True, override_secrets={"value": "token"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.create(env_object=None, deployment=dev, override_data={"value": "x"})


def test_exclusion_of_an_ide_project_is_refused(variable, workspace):
    from tests.factories import IdeProjectFactory

    _link_refused(env_object=variable, ide_project=IdeProjectFactory(workspace=workspace), excluded=True)
