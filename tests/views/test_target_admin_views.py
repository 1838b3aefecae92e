"""New Deployment, New IDE project and Rename IDE project pages, for each role and across Workspaces."""

import pytest

from envmanager.models import AuditEntry, Deployment, IdeProject
from tests.conftest import airflow_url
from tests.views.conftest import ROLES, sign_in, url

pytestmark = pytest.mark.django_db

ALLOWED = {"owner": 200, "operator": 200, "author": 403, "member": 403, "outsider": 404}


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_who_opens_and_posts_the_new_deployment_page(client, workspace, users, who):
    sign_in(client, users[who])
    assert client.get(url("deployment-create", workspace.pk)).status_code == ALLOWED[who]
    response = client.post(url("deployment-create", workspace.pk), {"name": f"by-{who}", "execution_mode": "standard"})
    created = Deployment.objects.filter(name=f"by-{who}").first()
    if ALLOWED[who] == 200:
        assert response.status_code == 302 and response.url == url("deployment-detail", workspace.pk, created.pk)
        assert AuditEntry.objects.get(action=AuditEntry.Action.DEPLOYMENT_CREATE, target_id=created.pk).actor == users[who]
    else:
        assert response.status_code == ALLOWED[who] and created is None


def test_the_new_deployment_button_shows_for_those_who_may(client, workspace, users):
    for who, shown in (("owner", True), ("operator", True), ("author", False), ("member", False)):
        sign_in(client, users[who])
        assert ("New Deployment" in client.get(url("deployment-list", workspace.pk)).text) is shown, who


def test_an_owner_gives_a_new_deployment_its_metadata_database_write_only(client, workspace, owner):
    secret_url = airflow_url("create-canary-41")
    sign_in(client, owner)
    assert 'name="metadata_db_url"' in client.get(url("deployment-create", workspace.pk)).text
    response = client.post(
        url("deployment-create", workspace.pk), {"name": "prod", "execution_mode": "standard", "metadata_db_url": secret_url}
    )
    prod = Deployment.objects.get(name="prod")
    assert response.status_code == 302 and prod.reveal_metadata_db_url() == secret_url
    for page in (url("deployment-detail", workspace.pk, prod.pk), url("deployment-settings", workspace.pk, prod.pk)):
        assert "create-canary-41" not in client.get(page).text
    assert "create-canary-41" not in repr(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_an_operator_gets_no_metadata_database_inputs_and_a_posted_url_is_ignored(client, workspace, operator):
    sign_in(client, operator)
    assert 'name="metadata_db_url"' not in client.get(url("deployment-create", workspace.pk)).text
    client.post(url("deployment-create", workspace.pk),
                {"name": "prod", "execution_mode": "standard", "metadata_db_url": airflow_url("planted")})
    assert not Deployment.objects.get(name="prod").has_metadata_db_url


def test_a_bad_new_deployment_is_a_form_error_and_creates_nothing(client, workspace, dev, owner):
    sign_in(client, owner)
    secret_url = "postgresql://u:pw-canary-8@10.0.0.1:5432/airflow"
    for data, message in (
        ({"name": "dev", "execution_mode": "standard"}, "already has a Deployment named &#x27;dev&#x27;"),
        ({"name": "x", "execution_mode": "turbo"}, "Select a valid choice"),
        ({"name": "x", "execution_mode": "standard", "metadata_db_url": secret_url}, "Nothing was saved"),
        ({"name": "x", "execution_mode": "standard", "fernet_keys": "not-a-key"}, "Fernet key #1 is not a valid"),
    ):
        response = client.post(url("deployment-create", workspace.pk), data)
        assert response.status_code == 200 and message in response.text, data
        assert "pw-canary-8" not in response.text
    assert list(Deployment.objects.values_list("name", flat=True)) == ["dev"]


def test_renaming_a_deployment_to_a_taken_name_is_a_form_error(client, workspace, dev, prod, operator):
    sign_in(client, operator)
    response = client.post(url("deployment-settings", workspace.pk, dev.pk), {"name": "prod", "execution_mode": "standard"})
    assert response.status_code == 200 and "already has a Deployment named &#x27;prod&#x27;" in response.text
    assert sorted(Deployment.objects.values_list("name", flat=True)) == ["dev", "prod"]


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_who_creates_and_renames_ide_projects(client, workspace, ide, users, who):
    sign_in(client, users[who])
    assert client.get(url("ide-project-create", workspace.pk)).status_code == ALLOWED[who]
    assert client.get(url("ide-project-rename", workspace.pk, ide.pk)).status_code == ALLOWED[who]
    created = client.post(url("ide-project-create", workspace.pk), {"name": "scratch"})
    renamed = client.post(url("ide-project-rename", workspace.pk, ide.pk), {"name": "notebooks-2"})
    names = sorted(IdeProject.objects.values_list("name", flat=True))
    if ALLOWED[who] == 200:
        scratch = IdeProject.objects.get(name="scratch")
        assert created.url == url("ide-project-detail", workspace.pk, scratch.pk)
        assert renamed.url == url("ide-project-detail", workspace.pk, ide.pk)
        assert names == ["notebooks-2", "scratch"]
    else:
        assert (created.status_code, renamed.status_code) == (ALLOWED[who], ALLOWED[who])
        assert names == ["notebooks"]


def test_an_ide_project_of_another_workspace_is_404(client, workspace, other_workspace, owner):
    from tests.factories import IdeProjectFactory

    theirs = IdeProjectFactory(workspace=other_workspace, name="theirs")
    sign_in(client, owner)
    assert client.get(url("ide-project-rename", workspace.pk, theirs.pk)).status_code == 404
    assert client.post(url("ide-project-rename", other_workspace.pk, theirs.pk), {"name": "x"}).status_code == 404
    assert IdeProject.objects.get(pk=theirs.pk).name == "theirs"


def test_a_duplicate_ide_project_name_is_a_form_error(client, workspace, ide, owner):
    sign_in(client, owner)
    response = client.post(url("ide-project-create", workspace.pk), {"name": "notebooks"})
    assert response.status_code == 200 and "already has an IDE project named &#x27;notebooks&#x27;" in response.text
    assert IdeProject.objects.count() == 1
