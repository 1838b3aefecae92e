"""The bulk import page: preview per row, then Import; the pasted text is never shown back; roles and scopes."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from envmanager.models import AuditEntry, EnvObject
from envmanager.selectors.env_objects import plaintext_values
from tests.factories import DeploymentFactory, EnvVarFactory
from tests.views.conftest import sign_in, url

DOTENV = 'REGION="eu west"\nDB_PASSWORD=\'s3cret canary\'\nEXISTING=new\nSAME=same\nTOKEN "broken-canary"\n'


@pytest.fixture
def stored(workspace):
    EnvVarFactory(workspace=workspace, key="EXISTING", fields={"value": "old"})
    EnvVarFactory(workspace=workspace, key="SAME", fields={"value": "same"})


def _sealed(html: str) -> str:
    return re.search(r'name="sealed" value="([^"]+)"', html).group(1)


def test_preview_then_import(client, operator, workspace, stored):
    sign_in(client, operator)
    address = url("workspace-import", workspace.pk)
    response = client.post(address, {"format": "dotenv", "content": DOTENV})
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "2 new, 1 to update, 1 unchanged, 1 invalid" in html
    assert "Differs: Value" in html and "cannot be read as KEY=value" in html
    assert "s3cret canary" not in html and "eu west" not in html  # nothing pasted is echoed
    assert "broken-canary" not in html  # not even a line that cannot be read
    assert not EnvObject.objects.filter(key="REGION").exists()  # a preview changes nothing

    response = client.post(address, {"sealed": _sealed(html)})
    assert response.status_code == 302 and response["Location"].endswith("/environment/environment-variables/")
    values = {obj.key: plaintext_values(obj)["value"] for obj in EnvObject.objects.all()}
    assert values == {"REGION": "eu west", "DB_PASSWORD": "s3cret canary", "EXISTING": "new", "SAME": "same"}
    assert EnvObject.objects.get(key="DB_PASSWORD").is_secret
    assert "s3cret canary" not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_upload_into_a_deployment(client, owner, workspace, dev):
    sign_in(client, owner)
    upload = SimpleUploadedFile("variables.json", '{"greeting": "héllo\\n  world ", "num": 5}'.encode())
    address = url("deployment-import", workspace.pk, dev.pk)
    html = client.post(address, {"format": "variables", "file": upload}).content.decode()
    assert "2 new" in html
    client.post(address, {"sealed": _sealed(html)})
    own = {obj.key: plaintext_values(obj)["value"] for obj in EnvObject.objects.filter(deployment=dev)}
    assert own == {"greeting": "héllo\n  world ", "num": "5"}


def test_a_sealed_preview_is_bound_to_its_user_and_scope(client, owner, operator, workspace, dev):
    sign_in(client, owner)
    html = client.post(url("workspace-import", workspace.pk), {"format": "dotenv", "content": "A=1\n"}).content.decode()
    sealed = _sealed(html)
    response = client.post(url("deployment-import", workspace.pk, dev.pk), {"sealed": sealed})
    assert response.status_code == 400 and "another user or place" in response.content.decode()
    sign_in(client, operator)
    assert client.post(url("workspace-import", workspace.pk), {"sealed": sealed}).status_code == 400
    assert client.post(url("workspace-import", workspace.pk), {"sealed": "garbage"}).status_code == 400
    assert not EnvObject.objects.exists()


def test_an_unreadable_file_is_a_clear_error(client, owner, workspace):
    sign_in(client, owner)
    response = client.post(url("workspace-import", workspace.pk), {"format": "variables", "content": "[1]"})
    assert response.status_code == 400 and "one object" in response.content.decode()
    upload = SimpleUploadedFile("x.env", b"A=\xff\n")
    response = client.post(url("workspace-import", workspace.pk), {"format": "dotenv", "file": upload})
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()


@pytest.mark.parametrize(("role", "status"), [("owner", 200), ("operator", 200), ("author", 403), ("member", 403),
                                              ("outsider", 404)])
def test_who_may_import(client, users, workspace, dev, role, status):
    sign_in(client, users[role])
    assert client.get(url("workspace-import", workspace.pk)).status_code == status
    assert client.get(url("deployment-import", workspace.pk, dev.pk)).status_code == status
    assert client.post(url("workspace-import", workspace.pk), {"format": "dotenv", "content": "A=1"}).status_code == (
        status
    )
    assert not EnvObject.objects.exists()


def test_a_deployment_of_another_workspace_is_404(client, owner, workspace, other_workspace):
    theirs = DeploymentFactory(workspace=other_workspace, name="theirs")
    sign_in(client, owner)
    assert client.get(url("deployment-import", workspace.pk, theirs.pk)).status_code == 404


def test_the_environment_pages_link_to_import(client, operator, workspace, dev):
    sign_in(client, operator)
    assert url("workspace-import", workspace.pk) in client.get(
        url("workspace-environment", workspace.pk, "connections")).content.decode()
    assert url("deployment-import", workspace.pk, dev.pk) in client.get(
        url("deployment-environment", workspace.pk, dev.pk, "connections")).content.decode()


def test_the_preview_runs_the_same_queries_for_10_and_500_rows(client, owner, workspace):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, owner)
    client.get(url("home"))  # the first request after signing in also updates the session

    def preview_queries(n):
        for i in range(n):
            if i % 2:
                EnvVarFactory(workspace=workspace, key=f"K{n}_{i}", fields={"value": "old"})
        text = "".join(f"K{n}_{i}=v{i}\n" for i in range(n))
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url("workspace-import", workspace.pk), {"format": "dotenv", "content": text})
        assert response.status_code == 200 and f"{n // 2} to update" in response.content.decode()
        return len(queries)

    assert preview_queries(10) == preview_queries(500)
