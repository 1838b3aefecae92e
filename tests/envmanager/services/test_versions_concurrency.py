"""Two writers at once get distinct, consecutive version numbers; two restores bring an object back once."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import EnvObject, Link, ObjectVersion
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.services.version_restore import env_object_restore
from tests.concurrency import run_together
from tests.factories import VariableFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_concurrent_edits_get_distinct_version_numbers(workspace, dev, owner):
    variable = VariableFactory(workspace=workspace, fields={"value": "v"})
    link_services.link_create(env_object=variable, actor=owner, target=dev)

    results, errors = run_together(
        *[lambda i=i: env_object_services.env_object_update(env_object=variable, actor=owner, fields={"value": f"v{i}"})
          for i in range(4)],
        *[lambda i=i: link_services.link_set_override(env_object=variable, actor=owner, target=dev,
                                                      fields={"value": f"o{i}"}) for i in range(3)],
    )

    assert errors == [] and len(results) == 7
    object_numbers = ObjectVersion.objects.filter(object_id=variable.pk, link_deployment=None).values_list("number", flat=True)
    assert sorted(object_numbers) == [1, 2, 3, 4, 5]
    override = ObjectVersion.objects.filter(object_id=variable.pk, link_deployment=dev).order_by("number")
    assert list(override.values_list("number", flat=True)) == [1, 2, 3]
    # The last version holds what the object holds now.
    assert override.last().data == Link.objects.get(env_object=variable, deployment=dev).override_data
    assert ObjectVersion.objects.filter(object_id=variable.pk, link_deployment=None).order_by("number").last().data == \
        EnvObject.objects.get(pk=variable.pk).data


def test_two_restores_at_once_bring_the_object_back_once(workspace, dev, owner):
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    link_services.link_create(env_object=variable, actor=owner, target=dev)
    env_object_services.env_object_delete(env_object=variable, actor=owner)

    results, errors = run_together(
        lambda: env_object_restore(workspace=workspace, kind="variable", key="region", actor=owner),
        lambda: env_object_restore(workspace=workspace, kind="variable", key="region", actor=owner),
    )

    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    assert EnvObject.objects.filter(key="region").count() == 1
    assert Link.objects.filter(env_object_id=variable.pk).count() == 1
