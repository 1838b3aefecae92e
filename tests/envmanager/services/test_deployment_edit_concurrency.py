"""A Deployment edited while it is deleted: one consistent result either way (PostgreSQL row locks)."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import AuditEntry, Deployment
from envmanager.services.target_deletion import deployment_delete
from envmanager.services.workspaces import deployment_update
from tests.envmanager.services.test_target_deletion_concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_an_edit_waiting_on_a_delete_fails_clearly(workspace, dev, owner):
    deleted, edited = race(
        lambda: deployment_delete(deployment=dev, actor=owner),
        lambda: deployment_update(deployment=dev, actor=owner, name="dev-renamed"),
    )

    assert not isinstance(deleted[0], Exception), deleted
    assert isinstance(edited[0], ValidationError) and "Deployment 'dev' was deleted; nothing was saved" in str(edited[0])
    assert not Deployment.objects.filter(pk=dev.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DEPLOYMENT_UPDATE).exists()


def test_a_delete_waiting_on_an_edit_deletes_the_edited_deployment(workspace, dev, owner):
    edited, deleted = race(
        lambda: deployment_update(deployment=dev, actor=owner, name="dev-renamed"),
        lambda: deployment_delete(deployment=dev, actor=owner),
    )

    assert isinstance(edited[0], Deployment), edited
    assert not isinstance(deleted[0], Exception), deleted
    assert deleted[0].name == "dev-renamed"  # the delete planned after the edit committed
    assert not Deployment.objects.filter(pk=dev.pk).exists()
    labels = list(AuditEntry.objects.filter(target_id=dev.pk, target_type="deployment").order_by("pk")
                  .values_list("action", "target_label"))
    assert labels[-2:] == [("deployment.update", "Deployment 'dev-renamed'"), ("deployment.delete", "Deployment 'dev-renamed'")]
