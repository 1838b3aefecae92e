"""Debug pages (DEBUG=1) hide secrets too: posted values, settings, and variables of every frame, the
service's and the read API's included (issue #10, item 6)."""

import sys
import uuid

from django.test import Client
from django.urls import reverse
from django.views.debug import technical_500_response

from envmanager.services import env_objects as env_object_services
from tests.conftest import TEST_ENCRYPTION_KEY

MARKER = "debug-canary-" + uuid.uuid4().hex  # made at run time: source lines are on the page


def _service_that_fails(*, plain_value: str):
    row = {"val": plain_value}  # a secret in a variable nobody marked sensitive
    raise RuntimeError(f"failed on a row of {len(row)} columns")


def test_a_technical_500_page_shows_no_planted_secret(rf, settings):
    settings.DEBUG = True
    request = rf.post("/workspaces/1/environment/connections/new/", {"key": "c", "password": MARKER})
    try:
        _service_that_fails(plain_value=MARKER)
    except RuntimeError:
        response = technical_500_response(request, *sys.exc_info())
    page = response.content.decode()

    assert response.status_code == 500 and "_service_that_fails" in page and "row" in page
    assert MARKER not in page and TEST_ENCRYPTION_KEY not in page


def test_a_failing_view_shows_no_secret_on_its_debug_page(settings, workspace, operator, monkeypatch):
    settings.DEBUG = True
    real_create = env_object_services.env_object_create

    def failing_create(**kwargs):
        real_create(**kwargs)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(env_object_services, "env_object_create", failing_create)
    client = Client(raise_request_exception=False)
    client.force_login(operator)
    response = client.post(
        reverse("envmanager:env-object-create", args=[workspace.pk, "variables"]),
        {"key": "api_key", "value": MARKER, "is_secret": "on"},
    )

    assert response.status_code == 500 and "the database went away" in response.content.decode()
    assert MARKER not in response.content.decode()


def test_the_read_api_debug_page_shows_no_token_or_value(settings, dev, dev_token, workspace, monkeypatch):
    from envmanager.api import views as api_views
    from tests.factories import VariableFactory

    settings.DEBUG = True
    VariableFactory(workspace=workspace, deployment=dev, key="api_key", is_secret=True, fields={"value": MARKER})

    def failing_dict(entry, *, reveal):
        values = entry.reveal()
        raise RuntimeError(f"cannot shape {len(values)} fields")

    monkeypatch.setattr(api_views, "entry_as_dict", failing_dict)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/variables/api_key", headers={"Authorization": f"Bearer {dev_token.plain}"},
                          HTTP_ACCEPT="text/html")
    page = response.content.decode()
    assert response.status_code == 500
    assert MARKER not in page and dev_token.plain not in page
