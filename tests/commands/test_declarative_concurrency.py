"""Two applies of one document at the same moment: one applies it, the other changes nothing and says why."""

import pytest

from envmanager.models import AuditEntry, EnvObject
from envmanager.services.declarative import plan_apply, workspace_plan
from envmanager.services.declarative_document import DocumentInvalid, operator_resolver, read_document
from tests.concurrency import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]

DOCUMENT = {"version": 1, "objects": [
    {"type": "env", "key": "A", "fields": {"value": "1"}},
    {"type": "env", "key": "B", "fields": {"value": "2"}, "links": [{"deployment": "dev"}]},
]}


def test_two_concurrent_applies_leave_one_complete_result(workspace, dev):
    def apply():
        plan = workspace_plan(workspace=workspace, desired=read_document(DOCUMENT, workspace=workspace,
                                                                         resolver=operator_resolver))
        plan_apply(plan=plan, actor=None)
        return plan.summary

    results, errors = run_together(apply, apply)

    assert results == ["Plan: 2 to create, 0 to update, 0 to delete."]
    assert len(errors) == 1 and isinstance(errors[0], DocumentInvalid)
    assert "already exists" in str(errors[0])
    assert sorted(EnvObject.objects.values_list("key", flat=True)) == ["A", "B"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ENV_OBJECT_CREATE).count() == 2
