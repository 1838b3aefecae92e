import json
from urllib.parse import quote

import pytest
from django.test import Client

from envmanager.services import personal_tokens as pat_services

BASE = "/api/v1/manage"


@pytest.fixture
def pat():
    """pat(user) -> the plain personal access token of a new token of `user`."""
    made = []

    def pat(user, name="ci"):
        issued = pat_services.personal_token_create(user=user, name=f"{name}-{len(made)}")
        made.append(issued)
        return issued.plain

    return pat


class ManageClient:
    def __init__(self, token: str | None):
        self.client, self.token = Client(), token

    def call(self, method: str, path: str, body=None, *, headers=None, raw: bytes | None = None):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        return self.client.generic(method, BASE + path, data, content_type="application/json", headers=headers)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def api(pat):
    """api(user) -> a client calling the management API with a new token of `user`."""
    return lambda user: ManageClient(pat(user))


def ws(name: str) -> str:
    return "/workspaces/" + quote(name, safe="")
