"""Two requests with one Idempotency-Key at the same moment: one change, both get the first answer."""

import pytest

from envmanager.models import AuditEntry, EnvObject, IdempotentRequest
from tests.api.manage.conftest import ManageClient, ws
from tests.concurrency import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_concurrent_retries_make_one_change(pat, owner, workspace):
    token = pat(owner)
    body = {"type": "variable", "key": "once", "fields": {"value": "1"}}

    def post():
        return ManageClient(token).post(ws(workspace.name) + "/objects", body, headers={"Idempotency-Key": "same"})

    results, errors = run_together(post, post, post)

    assert not errors and len(results) == 3
    assert {r.status_code for r in results} == {201}
    assert len({r.content for r in results}) == 1
    assert EnvObject.objects.filter(key="once").count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ENV_OBJECT_CREATE).count() == 1
    assert IdempotentRequest.objects.count() == 1
