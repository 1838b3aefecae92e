"""The Members page for each role and across Workspaces; invitations and the public set-password page."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from envmanager.models import Invitation, Membership, Role
from envmanager.services.invitations import INVALID_LINK
from envmanager.services.members import membership_set
from tests.factories import UserFactory
from tests.views.conftest import ROLES, sign_in, url

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-invited-password-31"


def _roles(workspace):
    return dict(Membership.objects.filter(workspace=workspace).values_list("user__username", "role"))


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_every_member_sees_the_list_only_owners_get_the_forms(client, workspace, users, who):
    sign_in(client, users[who])
    response = client.get(url("member-list", workspace.pk))
    if who == "outsider":
        assert response.status_code == 404 and "author" not in response.text
        return
    assert response.status_code == 200
    assert re.findall(r'<th scope="row">(\w+)', response.text) == ["owner", "operator", "author", "member"]
    assert ("Invite a new user" in response.text) is (who == "owner")
    assert ("Change role" in response.text) is (who == "owner")


def test_the_workspace_navigation_has_members(client, workspace, member):
    sign_in(client, member)
    text = client.get(url("workspace-detail", workspace.pk)).text
    assert f'href="{url("member-list", workspace.pk)}"' in text


@pytest.mark.parametrize("who", ["operator", "author", "member", "outsider"])
def test_only_owners_change_members(client, workspace, users, who):
    UserFactory(username="dana")
    sign_in(client, users[who])
    before = _roles(workspace)
    expected = 404 if who == "outsider" else 403
    author = users["author"]
    for response in (
        client.post(url("member-add", workspace.pk), {"add-username": "dana", "add-role": "owner"}),
        client.post(url("member-invite", workspace.pk), {"invite-username": "erin", "invite-role": "owner"}),
        client.post(url("member-role", workspace.pk, author.pk), {"role": "owner"}),
        client.get(url("member-remove", workspace.pk, author.pk)),
        client.post(url("member-remove", workspace.pk, author.pk)),
    ):
        assert response.status_code == expected
    assert _roles(workspace) == before and not Invitation.objects.exists()


def test_an_owner_adds_changes_and_removes_members(client, workspace, owner, author):
    UserFactory(username="dana")
    sign_in(client, owner)
    response = client.post(url("member-add", workspace.pk), {"add-username": "dana", "add-role": "operator"})
    assert response.status_code == 302
    client.post(url("member-role", workspace.pk, author.pk), {"role": "member"})
    assert "Remove <code>author</code>" in client.get(url("member-remove", workspace.pk, author.pk)).text
    client.post(url("member-remove", workspace.pk, author.pk))
    assert _roles(workspace) == {"owner": "owner", "dana": "operator"}


def test_adding_a_member_again_or_an_unknown_user_is_a_clear_error(client, workspace, owner, author):
    sign_in(client, owner)
    response = client.post(url("member-add", workspace.pk), {"add-username": "author", "add-role": "owner"})
    assert response.status_code == 200 and "already a member of this Workspace (Author)" in response.text
    response = client.post(url("member-add", workspace.pk), {"add-username": "ghost", "add-role": "owner"})
    assert "no user named &#x27;ghost&#x27;" in response.text
    assert _roles(workspace) == {"owner": "owner", "author": "author"}


def test_the_last_owner_is_refused_with_a_message(client, workspace, owner):
    sign_in(client, owner)
    response = client.post(url("member-role", workspace.pk, owner.pk), {"role": "member"}, follow=True)
    assert "is the last Owner of Workspace" in response.text
    response = client.post(url("member-remove", workspace.pk, owner.pk))
    assert response.status_code == 400 and "is the last Owner of Workspace" in response.text
    assert _roles(workspace) == {"owner": "owner"}


def test_a_member_of_another_workspace_is_404(client, workspace, owner, outsider):
    sign_in(client, owner)
    assert client.post(url("member-role", workspace.pk, outsider.pk), {"role": "member"}).status_code == 404
    assert client.get(url("member-remove", workspace.pk, outsider.pk)).status_code == 404
    assert client.get(url("member-remove", workspace.pk, 2**63)).status_code == 404


def _main(response) -> str:
    return re.search(r"<main.*</main>", response.text, re.S).group(0)


def _invite(client, workspace, username="erin", role="author"):
    response = client.post(url("member-invite", workspace.pk), {"invite-username": username, "invite-role": role})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    return response


def test_an_invitation_shows_a_one_time_link_that_sets_the_password_once(client, workspace, owner):
    sign_in(client, owner)
    response = _invite(client, workspace)
    link = re.search(r'value="http://testserver(/invitations/[^"]+/)"', response.text).group(1)
    assert "valid 7 days" in response.text or "for 7 days" in response.text
    assert Membership.objects.get(user__username="erin").role == Role.AUTHOR
    assert "invited" in client.get(url("member-list", workspace.pk)).text

    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "Your username is <strong>erin</strong>" in page.text
    response = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302 and response.url == "/accounts/login/"
    erin = type(owner).objects.get(username="erin")
    assert erin.check_password(PASSWORD)

    again = client.post(link, {"new_password1": "another-password-77", "new_password2": "another-password-77"})
    assert again.status_code == 404 and INVALID_LINK.replace("'", "&#x27;") in again.text
    erin.refresh_from_db()
    assert erin.check_password(PASSWORD)


def test_an_unknown_used_or_expired_link_looks_the_same_and_names_nobody(client, workspace, owner):
    sign_in(client, owner)
    token = re.search(r"/invitations/([^/]+)/", _invite(client, workspace).text).group(1)
    client.logout()
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get(url("invitation-accept", token))
    unknown = client.get(url("invitation-accept", "x" * len(token)))
    assert expired.status_code == unknown.status_code == 404
    assert _main(expired) == _main(unknown) and "erin" not in expired.text
    assert "erin" not in client.post(url("invitation-accept", token), {"new_password1": PASSWORD}).text


def test_a_mismatched_password_keeps_the_link_usable(client, workspace, owner):
    sign_in(client, owner)
    link = re.search(r'value="http://testserver(/invitations/[^"]+/)"', _invite(client, workspace).text).group(1)
    client.logout()
    response = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD + "x"})
    assert response.status_code == 200 and "didn’t match" in response.text
    assert Invitation.objects.get().used_at is None


def test_inviting_an_existing_member_is_a_clear_message(client, workspace, owner, author):
    sign_in(client, owner)
    response = _invite(client, workspace, username="author")
    assert "already a member of this Workspace (Author); no invitation was made" in response.text
    assert "/invitations/" not in response.text and not Invitation.objects.exists()


def test_the_members_page_runs_the_same_queries_for_5_and_15_members(client, workspace, owner):
    sign_in(client, owner)
    client.get(url("member-list", workspace.pk))  # the session's first request does more
    counts = []
    for start, stop in ((0, 4), (4, 14)):
        for n in range(start, stop):
            membership_set(workspace=workspace, user=UserFactory(username=f"user{n:02d}"), role=Role.AUTHOR, actor=None)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("member-list", workspace.pk))
        assert response.text.count("Change role<") == stop + 1
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


def test_the_lockouts_page_runs_the_same_queries_for_2_and_12_locked_out_members(client, workspace, owner, settings):
    sign_in(client, owner)
    client.get(url("member-lockouts", workspace.pk))  # the session's first request does more
    counts = []
    for start, stop in ((0, 2), (2, 12)):
        for n in range(start, stop):
            user = UserFactory(username=f"locked{n:02d}")
            membership_set(workspace=workspace, user=user, role=Role.AUTHOR, actor=None)
            AccessAttempt.objects.create(
                username=user.username, ip_address=f"10.0.9.{n}", user_agent="test", attempt_time=timezone.now(),
                failures_since_start=settings.AXES_FAILURE_LIMIT,
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("member-lockouts", workspace.pk))
        assert response.text.count("Unlock<span") == stop
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10, counts
