"""Creating a Workspace from the home page and renaming one, for each role and across Workspaces."""

import pytest

from envmanager.models import AuditEntry, Membership, Role, Workspace
from tests.factories import UserFactory
from tests.views.conftest import ROLES, sign_in, url

pytestmark = pytest.mark.django_db


def test_a_staff_user_creates_a_workspace_from_the_home_page_and_owns_it(client, workspace):
    staff = sign_in(client, UserFactory(username="platform", is_staff=True))
    assert url("workspace-create") in client.get(url("home")).text
    response = client.post(url("workspace-create"), {"name": "Analytics"})
    analytics = Workspace.objects.get(name="Analytics")
    assert response.status_code == 302 and response.url == url("workspace-detail", analytics.pk)
    assert Membership.objects.get(workspace=analytics).user == staff
    assert Membership.objects.get(workspace=analytics).role == Role.OWNER
    assert client.get(response.url).status_code == 200


def test_others_create_workspaces_only_when_the_setting_allows(client, settings, owner):
    sign_in(client, owner)
    assert url("workspace-create") not in client.get(url("home")).text
    assert client.get(url("workspace-create")).status_code == 403
    assert client.post(url("workspace-create"), {"name": "Mine"}).status_code == 403
    assert not Workspace.objects.filter(name="Mine").exists()

    settings.ENVMANAGER_ALLOW_WORKSPACE_CREATE = True
    assert url("workspace-create") in client.get(url("home")).text
    assert client.post(url("workspace-create"), {"name": "Mine"}).status_code == 302
    assert Workspace.objects.get(name="Mine").memberships.get().user == owner


def test_a_taken_workspace_name_is_a_form_error(client, workspace):
    sign_in(client, UserFactory(username="platform", is_staff=True))
    response = client.post(url("workspace-create"), {"name": "Data Platform"})
    assert response.status_code == 200 and "A Workspace named &#x27;Data Platform&#x27; already exists" in response.text
    assert Workspace.objects.count() == 1


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_only_owners_rename_the_workspace(client, workspace, users, who):
    expected = {"owner": 200, "outsider": 404}.get(who, 403)
    sign_in(client, users[who])
    assert client.get(url("workspace-rename", workspace.pk)).status_code == expected
    response = client.post(url("workspace-rename", workspace.pk), {"name": "Renamed"})
    workspace.refresh_from_db()
    if who == "owner":
        assert response.status_code == 302 and response.url == url("workspace-detail", workspace.pk)
        assert workspace.name == "Renamed"
        page = client.get(response.url).text
        assert "<h1>Renamed</h1>" in page and "Renamed the Workspace to &#x27;Renamed&#x27;." in page
        assert AuditEntry.objects.filter(action=AuditEntry.Action.WORKSPACE_UPDATE).count() == 1
    else:
        assert response.status_code == expected and workspace.name == "Data Platform"


def test_renaming_to_a_taken_name_is_a_form_error(client, workspace, other_workspace, owner):
    sign_in(client, owner)
    response = client.post(url("workspace-rename", workspace.pk), {"name": "Other Team"})
    assert response.status_code == 200 and "already exists" in response.text
    workspace.refresh_from_db()
    assert workspace.name == "Data Platform"
