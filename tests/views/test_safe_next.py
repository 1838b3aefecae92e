"""`next` is followed only when it is a path on this site (fuzzing found `{"a"` answering 500)."""

import pytest

from envmanager.models import EnvObject
from tests.views.conftest import sign_in, url


@pytest.mark.parametrize("bad_next", ['{"a"', "envmanager:home", "https://evil.example/", "//evil.example/x"])
def test_a_next_that_is_not_a_path_here_falls_back_to_the_list(client, owner, workspace, conn, bad_next):
    sign_in(client, owner)
    response = client.post(url("env-object-delete", workspace.pk, conn.pk), {"next": bad_next})

    assert response.status_code == 302
    assert response["Location"] == url("workspace-environment", workspace.pk, "connections")
    assert not EnvObject.objects.filter(pk=conn.pk).exists()


def test_a_path_here_is_followed(client, owner, workspace, conn):
    sign_in(client, owner)
    response = client.post(url("env-object-delete", workspace.pk, conn.pk), {"next": "/workspaces/"})
    assert response.status_code == 302 and response["Location"] == "/workspaces/"
