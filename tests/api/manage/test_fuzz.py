"""schemathesis fuzzes every management-API operation from its OpenAPI document: no input answers 5xx.

Bounded (a few examples per operation, no shrinking) so it runs in CI in well under a minute.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings

from envmanager.services import links as link_services
from tests.factories import VariableFactory

pytestmark = pytest.mark.django_db(transaction=False)
EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def fuzz_settings(settings):
    """Serve schemathesis's WSGI requests inside the test's transaction, as Django's test client does:
    without `close_old_connections` at each request start (it would close the connection mid-test)."""
    settings.ALLOWED_HOSTS = ["*"]
    request_started.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)


def test_no_operation_answers_5xx(fuzz_settings, pat, owner, workspace, dev, warehouse):
    region = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    link_services.link_create(env_object=region, actor=None, target=dev)
    VariableFactory(workspace=workspace, deployment=dev, key="own", fields={"value": "x"})
    headers = {"Authorization": f"Bearer {pat(owner)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/manage/openapi.json", WSGIHandler())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 12
    failures, statuses = [], set()

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def call(case):
            # Aim some cases at the real Workspace so they get past the 404 into the views' input checks.
            if "workspace" in (case.path_parameters or {}) and hash(str(case.path_parameters)) % 2:
                case.path_parameters["workspace"] = workspace.name
            response = case.call(headers=headers)
            statuses.add(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        call()
    assert not failures, "\n".join(failures[:10])
    assert {200, 400, 404} <= statuses, statuses  # the requests reached the views, not only the router
