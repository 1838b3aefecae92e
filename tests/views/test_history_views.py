"""History, Revert and Recently deleted pages (issue #14): reachable from the rows, secrets never shown,
permissions per role, other Workspaces 404, and query counts flat in the number of versions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envmanager.models import EnvObject, Link, ObjectVersion
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from tests.factories import VariableFactory
from tests.views.conftest import sign_in, url

pytestmark = pytest.mark.django_db


def _edit(env_object, times: int, actor=None):
    for i in range(times):
        env_object_services.env_object_update(
            env_object=env_object, actor=actor, fields={"password": f"pw-{i}", "port": 1000 + i}
        )


def test_history_is_reached_from_the_row_and_shows_changes_in_words(client, workspace, owner, conn):
    sign_in(client, owner)
    env_object_services.env_object_update(env_object=conn, actor=owner, fields={"host": "db2", "password": "new-secret"})
    listing = client.get(url("workspace-environment", workspace.pk, "connection")).content.decode()
    history_url = url("env-object-history", workspace.pk, conn.pk)
    assert history_url in listing

    page = client.get(history_url).content.decode()
    assert "host: &#x27;db.internal&#x27; → &#x27;db2&#x27;" in page
    assert "password: changed (secret)" in page and "port: unchanged" not in page
    assert "hunter2-pw" not in page and "new-secret" not in page and "gAAAAA" not in page
    assert url("env-object-revert", workspace.pk, conn.pk, 1) in page
    assert url("env-object-revert", workspace.pk, conn.pk, 2) not in page  # the current version


def test_revert_asks_then_restores_the_stored_ciphertext(client, workspace, owner, conn):
    sign_in(client, owner)
    token = EnvObject.objects.get(pk=conn.pk).secrets["password"]
    env_object_services.env_object_update(env_object=conn, actor=owner, fields={"password": "other"})
    revert_url = url("env-object-revert", workspace.pk, conn.pk, 1)

    confirm = client.get(revert_url).content.decode()
    assert "Revert Connection &#x27;warehouse&#x27; to version 1?" in confirm and "password: set (secret)" in confirm
    assert EnvObject.objects.get(pk=conn.pk).secrets["password"] != token  # asking changed nothing

    response = client.post(revert_url)
    assert response.status_code == 302
    assert EnvObject.objects.get(pk=conn.pk).secrets["password"] == token
    assert ObjectVersion.objects.filter(object_id=conn.pk, change="reverted").count() == 1


def test_a_refused_revert_says_why(client, workspace, owner, dev):
    sign_in(client, owner)
    variable = VariableFactory(workspace=workspace, fields={"value": "v"})
    link_services.link_create(env_object=variable, actor=owner, target=dev)
    link_services.link_set_override(env_object=variable, actor=owner, target=dev, fields={"value": "o"})
    link_services.link_delete(env_object=variable, actor=owner, target=dev)

    response = client.post(url("deployment-override-revert", workspace.pk, dev.pk, variable.pk, 1))
    assert response.status_code == 200
    assert "no longer linked to Deployment &#x27;dev&#x27;" in response.content.decode()


def test_override_history_from_the_target_page(client, workspace, owner, dev):
    sign_in(client, owner)
    variable = VariableFactory(workspace=workspace, is_secret=True, fields={"value": "ws-secret"})
    link_services.link_create(env_object=variable, actor=owner, target=dev)
    link_services.link_set_override(env_object=variable, actor=owner, target=dev, fields={"value": "dev-secret"})
    link_services.link_set_override(env_object=variable, actor=owner, target=dev, fields={"value": "dev-secret-2"})
    history_url = url("deployment-override-history", workspace.pk, dev.pk, variable.pk)
    assert history_url in client.get(url("deployment-environment", workspace.pk, dev.pk, "variable")).content.decode()

    page = client.get(history_url).content.decode()
    assert "value: set (secret)" in page and "value: changed (secret)" in page and "dev-secret" not in page
    client.post(url("deployment-override-revert", workspace.pk, dev.pk, variable.pk, 1))
    assert Link.objects.get(env_object=variable, deployment=dev).reveal_override("value") == "dev-secret"


@pytest.mark.parametrize(("role", "read", "change"), [
    ("owner", 200, 302), ("operator", 200, 302), ("author", 200, 403), ("member", 403, 403), ("outsider", 404, 404),
])
def test_permissions(client, users, workspace, conn, role, read, change):
    env_object_services.env_object_update(env_object=conn, actor=None, fields={"host": "db2"})
    sign_in(client, users[role])
    assert client.get(url("env-object-history", workspace.pk, conn.pk)).status_code == read
    assert client.post(url("env-object-revert", workspace.pk, conn.pk, 1)).status_code == change
    env_object_services.env_object_delete(env_object=conn, actor=None)
    assert client.get(url("workspace-deleted", workspace.pk)).status_code == read
    deletion = ObjectVersion.objects.get(object_id=conn.pk, change="deleted")
    assert client.post(url("deleted-restore", workspace.pk, deletion.pk)).status_code == change


def test_another_workspaces_history_is_404(client, other_workspace, outsider, workspace, conn):
    sign_in(client, outsider)
    # The outsider's own Workspace id with this Workspace's object: still nothing.
    assert client.get(url("env-object-history", other_workspace.pk, conn.pk)).status_code == 404


def test_recently_deleted_and_restore(client, workspace, owner, dev):
    sign_in(client, owner)
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    link_services.link_create(env_object=variable, actor=owner, target=dev)
    own = VariableFactory(workspace=workspace, deployment=dev, key="own_key", fields={"value": "x"})
    env_object_services.env_object_delete(env_object=variable, actor=owner)
    env_object_services.env_object_delete(env_object=own, actor=owner)

    listing = client.get(url("workspace-deleted", workspace.pk)).content.decode()
    assert "region" in listing and "own_key" not in listing
    dev_listing = client.get(url("deployment-deleted", workspace.pk, dev.pk)).content.decode()
    assert "own_key" in dev_listing and "region" not in dev_listing

    deletion = ObjectVersion.objects.get(object_id=variable.pk, change="deleted")
    response = client.post(url("deleted-restore", workspace.pk, deletion.pk), follow=True)
    assert "Restored Airflow variable &#x27;region&#x27; with 1 link." in response.content.decode()
    assert Link.objects.filter(env_object_id=variable.pk, deployment=dev).exists()
    assert "region" not in client.get(url("workspace-deleted", workspace.pk)).content.decode()


@pytest.mark.parametrize("page", [1, 2])
def test_history_queries_do_not_grow_with_versions(client, workspace, owner, conn, page):
    sign_in(client, owner)
    counts = []
    for total in (10, 200):
        _edit(conn, total - ObjectVersion.objects.filter(object_id=conn.pk).count())
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("env-object-history", workspace.pk, conn.pk), {"page": page})
        assert response.status_code == 200 and f'data-version="{total - 25 * (page - 1) if total > 25 else total}"' \
            in response.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[1] <= 12, counts


@pytest.mark.parametrize("page", [1, 2])
def test_recently_deleted_queries_do_not_grow_with_deleted_objects(client, workspace, owner, dev, page):
    sign_in(client, owner)
    client.get(url("workspace-deleted", workspace.pk))  # the first request also caches content types
    counts = []
    for total in (60, 160):  # two pages of 50 and more
        for n in range(ObjectVersion.objects.filter(change="deleted").count(), total):
            variable = VariableFactory(workspace=workspace, key=f"gone_{n:03d}", fields={"value": "x"})
            link_services.link_create(env_object=variable, actor=owner, target=dev)
            env_object_services.env_object_delete(env_object=variable, actor=owner)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("workspace-deleted", workspace.pk), {"page": page})
        rows = response.content.decode().count('<tr data-key="gone_')
        assert response.status_code == 200 and rows == (50 if page == 1 else min(total - 50, 50))
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[1] <= 12, counts


def test_an_object_without_versions_has_an_empty_history(client, workspace, owner, conn):
    sign_in(client, owner)
    ObjectVersion.objects.filter(object_id=conn.pk).delete()  # as written around the services (a bulk load)
    response = client.get(url("env-object-history", workspace.pk, conn.pk))
    assert response.status_code == 200 and "No versions yet." in response.content.decode()
    assert client.get(url("env-object-history", workspace.pk, conn.pk + 999)).status_code == 404
