"""Two people promoting (or promoting and deleting) the same object at once leave one consistent result."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import EnvObject, Link
from envmanager.services.env_objects import env_object_delete
from envmanager.services.promotion import env_object_promote
from tests.concurrency import run_together
from tests.factories import VariableFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def _run_together(*calls):
    """Run each call in its own thread, started at the same moment; return (results, errors)."""
    results, errors = run_together(*calls)
    assert all(isinstance(error, ValidationError) for error in errors), errors  # clear messages, not crashes
    return results, errors


@pytest.mark.parametrize("existing_workspace_object", [False, True])
def test_two_promotions_of_one_object_make_one_workspace_object(workspace, dev, owner, existing_workspace_object):
    if existing_workspace_object:
        VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    own = VariableFactory(workspace=workspace, deployment=dev, key="region", fields={"value": "us"})

    results, errors = _run_together(
        lambda: env_object_promote(env_object=own, actor=owner),
        lambda: env_object_promote(env_object=own, actor=owner),
    )

    assert len(results) == 1 and len(errors) == 1
    assert "promoted or deleted by someone else" in str(errors[0]) or "already a Workspace object" in str(errors[0])
    assert EnvObject.objects.filter(key="region").count() == 1
    workspace_object = EnvObject.objects.get(key="region")
    assert workspace_object.deployment_id is None
    assert Link.objects.filter(env_object=workspace_object, deployment=dev).count() == 1


def test_promotion_racing_a_delete_leaves_a_consistent_state(workspace, dev, owner):
    own = VariableFactory(workspace=workspace, deployment=dev, key="region", fields={"value": "us"})

    results, errors = _run_together(
        lambda: env_object_promote(env_object=own, actor=owner),
        lambda: env_object_delete(env_object=own, actor=owner),
    )

    # Either the delete came first (promotion refused) or the promotion did (then the delete removed it).
    assert len(results) + len(errors) == 2
    assert EnvObject.objects.filter(key="region").count() == 0
    assert not Link.objects.exists()
