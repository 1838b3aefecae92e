"""Each page runs the same number of queries with 10 objects as with 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from tests.factories import ConnectionFactory, DeploymentFactory, IdeProjectFactory
from tests.views.conftest import htmx_headers, sign_in, url

# A ceiling per page, so a page that grows past it fails even when both counts agree.
MAX_QUERIES = 18


def _add_objects(workspace, dev, prod, ide, start, stop):
    for n in range(start, stop):
        obj = ConnectionFactory(workspace=workspace, key=f"conn_{n:04d}", linked_to_all=(n % 4 == 0))
        if n % 4 == 1:
            link_services.link_create(env_object=obj, actor=None, target=dev)
            link_services.link_create(env_object=obj, actor=None, target=prod)
        if n % 4 == 0 and n % 8 == 0:
            link_services.link_exclude(env_object=obj, actor=None, target=prod)
        if n % 5 == 0:
            link_services.link_create(env_object=obj, actor=None, target=ide)
        if n % 4 == 1 and n % 3 == 0:
            link_services.link_set_override(env_object=obj, actor=None, target=dev, fields={"host": f"h{n}"})
        if n % 10 == 3:
            ConnectionFactory(workspace=workspace, deployment=dev, key=f"conn_{n:04d}_own", fields={"conn_type": "http"})


def _pages(workspace, dev, ide, conn, token, ide_override):
    return {
        # The confirmations (views/confirmations.py): what an unlink, an override removal, a revocation loses,
        # what an export reveals.
        "unlink confirmation": url("env-object-ide-project-unlink", workspace.pk, conn.pk, ide.pk),
        "override removal confirmation": url("deployment-override-remove", workspace.pk, dev.pk, conn.pk),
        "revoke confirmation": url("deployment-token-revoke", workspace.pk, dev.pk, token.pk),
        "export confirmation": url("deployment-export", workspace.pk, dev.pk, "dotenv"),
        "bulk unlink confirmation": url("deployment-bulk", workspace.pk, dev.pk) + f"?action=unlink&ids={conn.pk}",
        "IDE project bulk remove override confirmation": url("ide-project-bulk", workspace.pk, ide.pk)
        + f"?action=remove_override&ids={conn.pk}&ids={ide_override.pk}",
        "import page": url("workspace-import", workspace.pk),
        "Deployment import page": url("deployment-import", workspace.pk, dev.pk),
        "export confirmation, k8s": url("deployment-export", workspace.pk, dev.pk, "k8s-secret") + "?include_airflow_objects=on",
        "home": url("home"),
        "workspace": url("workspace-detail", workspace.pk),
        "environment": url("workspace-environment", workspace.pk, "connections"),
        "environment, all scopes": url("workspace-environment", workspace.pk, "connections") + "?scope=all",
        "environment, filtered, page 2": url("workspace-environment", workspace.pk, "connections") + "?q=conn_0&page=2",
        "environment, by recent change": url("workspace-environment", workspace.pk, "connections") + "?sort=-updated",
        "deployment list": url("deployment-list", workspace.pk),
        "deployment": url("deployment-detail", workspace.pk, dev.pk),
        "deployment environment": url("deployment-environment", workspace.pk, dev.pk, "connections"),
        "deployment environment, filtered": url("deployment-environment", workspace.pk, dev.pk, "connections") + "?q=1",
        "IDE project list": url("ide-project-list", workspace.pk),
        "IDE project": url("ide-project-detail", workspace.pk, ide.pk),
        "IDE project environment": url("ide-project-environment", workspace.pk, ide.pk, "connections"),
        "audit log": url("audit-list", workspace.pk),
        "audit log, filtered": url("audit-list", workspace.pk) + "?q=conn&action=env_object.create",
        "edit form": url("env-object-edit", workspace.pk, conn.pk),
        "links dialog": url("env-object-links", workspace.pk, conn.pk),
        "link existing picker": url("deployment-link-existing", workspace.pk, dev.pk, "connections"),
        "link existing picker, searched, one ticked": url("deployment-link-existing", workspace.pk, dev.pk, "connections")
        + f"?q=conn_0&objects={conn.pk}&objects=999999",
        "IDE project link existing picker": url("ide-project-link-existing", workspace.pk, ide.pk, "connections"),
        "delete dialog": url("env-object-delete", workspace.pk, conn.pk),
        "override dialog": url("deployment-override-edit", workspace.pk, dev.pk, conn.pk),
        "IDE project override dialog": url("ide-project-override-edit", workspace.pk, ide.pk, conn.pk),
        "deployment API tokens": url("deployment-tokens", workspace.pk, dev.pk),
        "IDE project API tokens": url("ide-project-tokens", workspace.pk, ide.pk),
        "members": url("member-list", workspace.pk),
        "matrix": url("matrix", workspace.pk, "connections"),
        "search": url("workspace-search", workspace.pk) + "?q=conn_0",
    }


def _count(client, address, htmx=False):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address, headers=htmx_headers(address) if htmx else {})
    assert response.status_code == 200, address
    return len(queries)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx-fragment"])
def test_query_counts_do_not_grow_with_the_number_of_objects(
    client, owner, workspace, dev, prod, django_assert_max_num_queries, htmx
):
    ide = IdeProjectFactory(workspace=workspace, name="notebooks")
    _add_objects(workspace, dev, prod, ide, 0, 10)
    # An Extra with a plain and a sensitive key: the edit form and the override dialogs show it key by key.
    conn = ConnectionFactory(workspace=workspace, key="target", linked_to_all=True, fields={
        "conn_type": "aws", "extra": '{"region_name": "eu-west-1", "aws_secret_access_key": "sk"}',
    })
    link_services.link_set_override(
        env_object=conn, actor=None, target=dev, fields={"host": "here", "extra": '{"region_name": "us-east-1"}'}
    )
    link_services.link_create(env_object=conn, actor=None, target=ide)
    ide_override = ConnectionFactory(workspace=workspace, key="ide_override")
    link_services.link_create(env_object=ide_override, actor=None, target=ide)
    link_services.link_set_override(env_object=ide_override, actor=None, target=ide, fields={"host": "ide"})
    token = token_services.api_token_create(actor=None, name="ci", target=dev).api_token
    sign_in(client, owner)
    client.get(url("home"))  # the first request after signing in also updates the session
    pages = _pages(workspace, dev, ide, conn, token, ide_override)
    small = {name: _count(client, address, htmx) for name, address in pages.items()}

    _add_objects(workspace, dev, prod, ide, 10, 500)
    for n in range(3):
        DeploymentFactory(workspace=workspace, name=f"more-{n}")
    large = {}
    for name, address in pages.items():
        with django_assert_max_num_queries(MAX_QUERIES):
            large[name] = _count(client, address, htmx)
    assert large == small


def test_the_links_dialog_and_the_picker_do_not_grow_with_the_number_of_targets(client, owner, workspace, dev):
    """The links dialog lists every Deployment and IDE project; the picker's target is one of 10 or of 500."""
    conn = ConnectionFactory(workspace=workspace, key="target", linked_to_all=True)
    link_services.link_set_override(env_object=conn, actor=None, target=dev, fields={"host": "here"})
    ConnectionFactory(workspace=workspace, key="candidate")
    sign_in(client, owner)
    client.get(url("home"))
    pages = {
        "links dialog": url("env-object-links", workspace.pk, conn.pk),
        "link existing picker": url("deployment-link-existing", workspace.pk, dev.pk, "connections"),
    }

    def counts(number):
        for n in range(len(workspace.deployments.all()), number):
            deployment = DeploymentFactory(workspace=workspace, name=f"d-{n:04d}")
            IdeProjectFactory(workspace=workspace, name=f"p-{n:04d}")
            if n % 3 == 0:
                link_services.link_exclude(env_object=conn, actor=None, target=deployment)
        return {(name, htmx): _count(client, address, htmx) for name, address in pages.items() for htmx in (False, True)}

    assert counts(10) == counts(500)
