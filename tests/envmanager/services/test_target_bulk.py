"""`target_bulk_apply`: every row through the single action's service, or none; the plan is made again under
the objects' locks, so a batch racing another change refuses clearly instead of dropping what was not asked."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import AuditEntry, Link
from envmanager.selectors.bulk import BulkAction, target_bulk_plan
from envmanager.services import links as link_services
from envmanager.services.bulk import target_bulk_apply
from envmanager.targets import Target
from tests.concurrency import run_together
from tests.factories import ConnectionFactory, IdeProjectFactory


@pytest.fixture
def linked(workspace, dev):
    objects = [ConnectionFactory(workspace=workspace, key=key) for key in ("a", "b")]
    for env_object in objects:
        link_services.link_create(env_object=env_object, actor=None, target=dev)
    return objects


@pytest.fixture
def ide_project(workspace):
    return IdeProjectFactory(workspace=workspace, name="notebooks")


def test_the_plan_names_what_applies_and_why_the_rest_is_skipped(workspace, dev, linked):
    own = ConnectionFactory(workspace=workspace, deployment=dev, key="own")
    everywhere = ConnectionFactory(workspace=workspace, key="everywhere", linked_to_all=True)
    plan = target_bulk_plan(target=Target.of(dev), action=BulkAction.UNLINK, env_objects=[own, everywhere, *linked])
    assert [(row.env_object.key, row.excludes) for row in plan.rows] == [("a", False), ("b", False), ("everywhere", True)]
    assert [(row.env_object.key, row.reason) for row in plan.skipped] == [
        ("own", "dev's own object, not a linked Workspace object: delete it instead")
    ]


def test_a_skipped_row_refuses_the_batch(workspace, dev, linked):
    stranger = ConnectionFactory(workspace=workspace, key="stranger")
    with pytest.raises(ValidationError, match="'stranger': not linked to dev"):
        target_bulk_apply(target=dev, action=BulkAction.UNLINK, env_objects=[*linked, stranger], actor=None)
    assert Link.objects.filter(deployment=dev).count() == 2


def test_an_ide_project_has_no_delete(workspace, ide_project, linked):
    with pytest.raises(ValidationError, match="not a bulk action"):
        target_bulk_apply(target=ide_project, action=BulkAction.DELETE, env_objects=linked, actor=None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_two_bulk_unlinks_at_once_unlink_once(workspace, dev, owner, linked):
    results, errors = run_together(
        lambda: target_bulk_apply(target=dev, action=BulkAction.UNLINK, env_objects=linked, actor=owner),
        lambda: target_bulk_apply(target=dev, action=BulkAction.UNLINK, env_objects=linked, actor=owner),
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], ValidationError) and "not linked to dev" in str(errors[0])
    assert not Link.objects.filter(deployment=dev).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LINK_DELETE).count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_an_override_written_during_a_bulk_unlink_is_never_dropped_unasked(workspace, dev, owner, linked):
    results, errors = run_together(
        lambda: target_bulk_apply(target=dev, action=BulkAction.UNLINK, env_objects=linked, actor=owner),
        lambda: link_services.link_set_override(env_object=linked[1], actor=owner, target=dev, fields={"host": "x"}),
    )
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], ValidationError)
    if "now overrides b" in str(errors[0]):  # the override came first: the batch changed nothing
        assert Link.objects.filter(deployment=dev).count() == 2
        assert Link.objects.get(deployment=dev, env_object=linked[1]).has_override
    else:  # the unlink came first: the override found no link
        assert "not linked" in str(errors[0])
        assert not Link.objects.filter(deployment=dev).exists()
