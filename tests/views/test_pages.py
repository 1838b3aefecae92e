"""Every page answers each role as the role-to-permission map says: 200, 403 inside the Workspace,
404 for anyone outside it, and a sign-in redirect for anonymous visitors."""

import pytest

from tests.factories import ConnectionFactory
from tests.views.conftest import htmx_headers, sign_in, url

ALL = {"owner": 200, "operator": 200, "author": 200, "member": 200, "outsider": 404}
ENV_VIEWERS = {"owner": 200, "operator": 200, "author": 200, "member": 403, "outsider": 404}
EDITORS = {"owner": 200, "operator": 200, "author": 403, "member": 403, "outsider": 404}

# (url name, arguments from the fixtures, expected status per role)
PAGES = [
    ("workspace-detail", lambda f: [f["workspace"].pk], ALL),
    ("workspace-environment-home", lambda f: [f["workspace"].pk], ENV_VIEWERS),
    ("workspace-environment", lambda f: [f["workspace"].pk, "variables"], ENV_VIEWERS),
    ("workspace-environment", lambda f: [f["workspace"].pk, "environment-variables"], ENV_VIEWERS),
    ("workspace-environment", lambda f: [f["workspace"].pk, "metrics-exports"], ENV_VIEWERS),
    ("deployment-list", lambda f: [f["workspace"].pk], ALL),
    ("deployment-detail", lambda f: [f["workspace"].pk, f["dev"].pk], ALL),
    ("deployment-environment-home", lambda f: [f["workspace"].pk, f["dev"].pk], ENV_VIEWERS),
    ("deployment-environment", lambda f: [f["workspace"].pk, f["dev"].pk, "metrics-exports"], ENV_VIEWERS),
    ("ide-project-list", lambda f: [f["workspace"].pk], ALL),
    ("ide-project-detail", lambda f: [f["workspace"].pk, f["ide"].pk], ALL),
    ("ide-project-environment-home", lambda f: [f["workspace"].pk, f["ide"].pk], ENV_VIEWERS),
    ("audit-list", lambda f: [f["workspace"].pk], EDITORS),
    ("env-object-create", lambda f: [f["workspace"].pk, "connections"], EDITORS),
    ("deployment-env-object-create", lambda f: [f["workspace"].pk, f["dev"].pk, "variables"], EDITORS),
    ("env-object-edit", lambda f: [f["workspace"].pk, f["conn"].pk], EDITORS),
    ("env-object-delete", lambda f: [f["workspace"].pk, f["conn"].pk], EDITORS),
    ("env-object-links", lambda f: [f["workspace"].pk, f["conn"].pk], EDITORS),
    ("deployment-override-edit", lambda f: [f["workspace"].pk, f["dev"].pk, f["conn"].pk], EDITORS),
]


@pytest.fixture
def fixtures(workspace, dev, prod, ide, conn, users):
    return {"workspace": workspace, "dev": dev, "prod": prod, "ide": ide, "conn": conn}


@pytest.mark.parametrize(("name", "args", "expected"), PAGES, ids=[f"{p[0]}-{i}" for i, p in enumerate(PAGES)])
@pytest.mark.parametrize("role", ["owner", "operator", "author", "member", "outsider"])
def test_page_status_for_each_role(client, users, fixtures, name, args, expected, role):
    sign_in(client, users[role])
    address = url(name, *args(fixtures))
    assert client.get(address).status_code == expected[role]
    # The htmx fragment of the same URL obeys the same rules.
    assert client.get(address, headers=htmx_headers(address)).status_code == expected[role]


@pytest.mark.parametrize(("name", "args", "expected"), PAGES[:4])
def test_anonymous_visitors_are_sent_to_sign_in(client, fixtures, name, args, expected):
    address = url(name, *args(fixtures))
    response = client.get(address)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_objects_of_another_workspace_are_404_even_for_an_owner_here(client, owner, workspace, other_workspace, dev):
    foreign = ConnectionFactory(workspace=other_workspace, key="theirs")
    sign_in(client, owner)
    for address in (
        url("env-object-edit", workspace.pk, foreign.pk),
        url("env-object-delete", workspace.pk, foreign.pk),
        url("env-object-links", workspace.pk, foreign.pk),
        url("deployment-override-edit", workspace.pk, dev.pk, foreign.pk),
        # and the other Workspace's own URLs
        url("workspace-environment-home", other_workspace.pk),
        url("env-object-edit", other_workspace.pk, foreign.pk),
    ):
        response = client.get(address)
        assert response.status_code == 404, address
        assert b"theirs" not in response.content


def test_a_deployment_of_another_workspace_is_404(client, owner, workspace, other_workspace):
    from tests.factories import DeploymentFactory

    foreign = DeploymentFactory(workspace=other_workspace, name="their-prod")
    sign_in(client, owner)
    for address in (
        url("deployment-detail", workspace.pk, foreign.pk),
        url("deployment-environment-home", workspace.pk, foreign.pk),
        url("deployment-env-object-create", workspace.pk, foreign.pk, "connections"),
    ):
        response = client.get(address)
        assert response.status_code == 404
        assert b"their-prod" not in response.content


def test_unknown_type_in_the_url_is_404(client, owner, workspace):
    sign_in(client, owner)
    assert client.get(f"/workspaces/{workspace.pk}/environment/secrets/").status_code == 404
