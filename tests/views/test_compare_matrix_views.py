"""The Compare and Matrix pages: results, cells and their links, permissions, flat query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import remove_perm

from envmanager.crypto import seal_value
from envmanager.models import EnvObject, Link, WorkspaceRoleGroup
from envmanager.selectors.matrix import CellState, workspace_matrix
from envmanager.services import links as link_services
from tests.factories import (
    ConnectionFactory,
    DeploymentFactory,
    IdeProjectFactory,
    VariableFactory,
)
from tests.views.conftest import htmx_headers, sign_in, url

CANARY = "canary-c0mpare-51"


@pytest.fixture
def setup(workspace, dev, prod):
    """Variables: own (dev), override (prod), linked to all with prod excluded, linked to an IDE project."""
    ide = IdeProjectFactory(workspace=workspace, name="notebooks")
    VariableFactory(workspace=workspace, deployment=dev, key="only_dev", fields={"value": CANARY}, is_secret=True)
    region = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    for target in (dev, prod):
        link_services.link_create(env_object=region, actor=None, target=target)
    link_services.link_set_override(env_object=region, actor=None, target=prod, fields={"value": "us"})
    everywhere = VariableFactory(workspace=workspace, key="everywhere", fields={"value": "1"})
    link_services.env_object_set_linked_to_all(env_object=everywhere, actor=None, linked_to_all=True)
    link_services.link_exclude(env_object=everywhere, actor=None, target=prod)
    link_services.link_create(env_object=everywhere, actor=None, target=ide)
    token = VariableFactory(workspace=workspace, key="token", fields={"value": CANARY}, is_secret=True)
    link_services.link_create(env_object=token, actor=None, target=dev)
    return {"ide": ide, "region": region, "everywhere": everywhere, "token": token}


def _compare_url(workspace, source, target):
    return url("compare", workspace.pk) + f"?from={source}&to={target}"


def test_compare_page_shows_every_bucket_and_no_secret(client, author, workspace, dev, prod, setup):
    sign_in(client, author)
    html = client.get(_compare_url(workspace, f"deployment-{dev.pk}", f"deployment-{prod.pk}")).content.decode()

    assert (
        '<tr class="diff-only-from" data-bucket="only-from"><td data-label="Type">Airflow variable</td>'
        '<td data-label="Key"><code>everywhere</code>'
    ) in html
    assert '<code>only_dev</code></td><td data-label="Difference">Only in dev</td>' in html
    assert '<code>token</code></td><td data-label="Difference">Only in dev</td>' in html
    assert '<code>region</code></td><td data-label="Difference">Differs: value</td>' in html
    assert "0 only in prod" in html and "0 the same" in html
    assert f'<option value="deployment-{dev.pk}" selected>dev</option>' in html
    assert CANARY not in html and "gAAAAA" not in html


def test_compare_fragment_and_empty_states(client, author, workspace, dev, setup):
    sign_in(client, author)
    address = _compare_url(workspace, f"deployment-{dev.pk}", f"ide_project-{setup['ide'].pk}")
    fragment = client.get(address, headers=htmx_headers(address)).content.decode()
    assert fragment.lstrip().startswith('<div id="compare-result"')
    assert "1 the same" in fragment  # 'everywhere' reaches both

    assert "Pick a target on each side." in client.get(url("compare", workspace.pk)).content.decode()
    same = client.get(_compare_url(workspace, f"deployment-{dev.pk}", f"deployment-{dev.pk}")).content.decode()
    assert "Pick two different targets." in same


@pytest.mark.parametrize("value", ["deployment-999999", "ide_project-1x", "nothing-1", "deployment-" + "9" * 30,
                                   "deployment-١٢", f"deployment-{2**63}"])
def test_compare_bad_or_foreign_targets_answer_404(client, author, workspace, value):
    sign_in(client, author)
    assert client.get(url("compare", workspace.pk), {"from": value}).status_code == 404


def test_compare_nul_is_a_bad_request(client, author, workspace):
    sign_in(client, author)
    assert client.get(url("compare", workspace.pk), {"from": "deployment-\x00"}).status_code == 400


def test_compare_and_matrix_other_workspace_404_and_roles(client, users, workspace, other_workspace, dev):
    foreign = DeploymentFactory(workspace=other_workspace, name="foreign")
    sign_in(client, users["author"])
    assert client.get(url("compare", workspace.pk), {"from": f"deployment-{foreign.pk}"}).status_code == 404
    for role, status in {"owner": 200, "operator": 200, "author": 200, "member": 403, "outsider": 404}.items():
        sign_in(client, users[role])
        assert client.get(url("compare", workspace.pk)).status_code == status, role
        assert client.get(url("matrix", workspace.pk, "variables")).status_code == status, role


def test_matrix_cells_say_how_each_target_receives_each_key(workspace, dev, prod, setup):
    matrix = workspace_matrix(workspace=workspace, kind="variable")
    columns = [(c.kind, c.name) for c in matrix.columns]
    assert columns == [("deployment", "dev"), ("deployment", "prod"), ("ide_project", "notebooks")]
    states = {row.key: [cell.state for cell in row.cells] for row in matrix.rows}
    assert states == {
        "everywhere": [CellState.WORKSPACE, CellState.EXCLUDED, CellState.WORKSPACE],
        "only_dev": [CellState.OWN, CellState.ABSENT, CellState.ABSENT],
        "region": [CellState.WORKSPACE, CellState.OVERRIDE, CellState.NOT_LINKED],
        "token": [CellState.WORKSPACE, CellState.NOT_LINKED, CellState.NOT_LINKED],
    }


def test_matrix_page_colours_legend_links_and_filters(client, operator, workspace, dev, prod, setup):
    sign_in(client, operator)
    address = url("matrix", workspace.pk, "variables")
    html = client.get(address).content.decode()

    assert '<span class="cell-swatch cell-override" aria-hidden="true">Ovr</span>Override' in html
    override = url("deployment-override-edit", workspace.pk, prod.pk, setup["region"].pk)
    assert f'<td class="cell-override" data-state="override"><a href="{override}"' in html
    assert f'href="{url("env-object-links", workspace.pk, setup["everywhere"].pk)}"' in html
    own = dev.env_objects.get(key="only_dev")
    assert f'href="{url("env-object-edit", workspace.pk, own.pk)}"' in html
    assert CANARY not in html

    filtered = client.get(address, {"q": "reg", "target": "pro"}, headers=htmx_headers(address)).content.decode()
    assert filtered.lstrip().startswith('<div id="matrix-table"')
    assert "<code>region</code>" in filtered and "<code>token</code>" not in filtered
    assert ">D</span> prod" in filtered and ">D</span> dev" not in filtered
    assert "Nothing matches these filters." in client.get(address, {"q": "zzz"}).content.decode()
    assert "Matrix" in client.get(url("workspace-detail", workspace.pk)).content.decode()


def test_matrix_cells_lead_readers_to_the_environment_pages(client, author, workspace, dev, prod, setup):
    sign_in(client, author)
    html = client.get(url("matrix", workspace.pk, "variables")).content.decode()

    override = url("deployment-environment", workspace.pk, prod.pk, "variables") + "?q=region"
    assert f'<td class="cell-override" data-state="override"><a href="{override}"' in html
    assert f'href="{url("ide-project-environment", workspace.pk, setup["ide"].pk, "variables")}?q=everywhere"' in html
    assert f'href="{url("workspace-environment", workspace.pk, "variables")}?q=token"' in html  # not linked
    assert "/override/" not in html and "/edit/" not in html
    assert client.get(override).status_code == 200


def test_matrix_pages_by_keys(workspace, dev):
    for n in range(45):
        VariableFactory(workspace=workspace, key=f"k{n:02d}", fields={"value": "1"})
    first = workspace_matrix(workspace=workspace, kind="variable", page_size=40)
    second = workspace_matrix(workspace=workspace, kind="variable", page=2, page_size=40)
    assert [row.key for row in first.rows] == [f"k{n:02d}" for n in range(40)]
    assert [row.key for row in second.rows] == [f"k{n:02d}" for n in range(40, 45)]


def _count(client, address):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


def _grow(workspace, deployments, start, stop):
    for n in range(start, stop):
        variable = VariableFactory(workspace=workspace, key=f"v{n:03d}", fields={"value": str(n)}, is_secret=n % 2 == 0,
                                   linked_to_all=n % 3 == 0)
        for deployment in deployments[: 1 + n % 3]:
            link_services.link_create(env_object=variable, actor=None, target=deployment)
            if n % 4 == 0:
                link_services.link_set_override(env_object=variable, actor=None, target=deployment, fields={"value": "o"})
        VariableFactory(workspace=workspace, deployment=deployments[n % len(deployments)], key=f"w_own{n:03d}",
                        fields={"value": "x"})
    ConnectionFactory(workspace=workspace, key=f"c{start}")


def test_query_counts_of_compare_and_matrix_do_not_grow(client, owner, workspace, dev, prod):
    deployments = [dev, prod]
    _grow(workspace, deployments, 0, 5)
    sign_in(client, owner)
    client.get(url("home"))
    pages = {
        "compare": _compare_url(workspace, f"deployment-{dev.pk}", f"deployment-{prod.pk}"),
        "matrix": url("matrix", workspace.pk, "variables"),
        "matrix, filtered": url("matrix", workspace.pk, "variables") + "?q=v0&target=d",
    }
    for address in pages.values():  # once first: guardian caches the content type of a permission per process
        _count(client, address)
    small = {name: _count(client, address) for name, address in pages.items()}

    for n in range(4):
        deployments.append(DeploymentFactory(workspace=workspace, name=f"more-{n}"))
        IdeProjectFactory(workspace=workspace, name=f"ide-{n}")
    _grow(workspace, deployments, 5, 60)
    large = {name: _count(client, address) for name, address in pages.items()}
    assert large == small
    # Six for every signed-in Workspace page (session, user, Workspace, its permissions, the switcher);
    # compare: both target lists (the Deployments' with their permission) and the comparison (2,
    # selectors/compare.py); matrix: keys (count, page), targets (2), Workspace objects, their links,
    # Deployment objects.
    assert small == {"compare": 10, "matrix": 13, "matrix, filtered": 13}


def _bulk_grow(workspace, targets, deployments, start, stop):
    """Workspace objects linked to some of `targets` (every fourth overridden, every third linked to all),
    secrets among them, and own objects of the Deployments, some shadowing a Workspace key."""
    shared = EnvObject.objects.bulk_create(
        EnvObject(workspace=workspace, kind="variable", key=f"b{n:04d}", data={} if n % 5 == 0 else {"value": str(n)},
                  is_secret=n % 5 == 0, secrets={"value": seal_value(str(n))} if n % 5 == 0 else {},
                  linked_to_all=n % 3 == 0)
        for n in range(start, stop)
    )
    Link.objects.bulk_create(
        Link(env_object=env_object, override_data={"value": "o"} if n % 4 == 0 and n % 5 else {},
             **{"deployment" if isinstance(target, type(deployments[0])) else "ide_project": target})
        for n, env_object in enumerate(shared, start) for target in targets[n % 2:: 1 + n % 3]
    )
    EnvObject.objects.bulk_create(
        EnvObject(workspace=workspace, deployment=deployments[n % 2], kind="variable", key=f"b{n:04d}" if n % 7 == 0
                  else f"own{n:04d}", data={"value": "mine"})
        for n in range(start, stop, 3)
    )


def test_compare_query_count_is_flat_for_every_pairing(client, owner, workspace, dev, prod):
    ides = [IdeProjectFactory(workspace=workspace, name=f"ide-{n}") for n in range(2)]
    targets = [dev, prod, *ides]
    pairings = {
        "deployment, deployment": (f"deployment-{dev.pk}", f"deployment-{prod.pk}"),
        "deployment, IDE project": (f"deployment-{dev.pk}", f"ide_project-{ides[0].pk}"),
        "IDE project, deployment": (f"ide_project-{ides[0].pk}", f"deployment-{prod.pk}"),
        "IDE project, IDE project": (f"ide_project-{ides[0].pk}", f"ide_project-{ides[1].pk}"),
    }
    _bulk_grow(workspace, targets, [dev, prod], 0, 10)
    sign_in(client, owner)
    client.get(url("home"))
    _count(client, _compare_url(workspace, *pairings["deployment, deployment"]))  # warms guardian's cache
    small = {name: _count(client, _compare_url(workspace, *pair)) for name, pair in pairings.items()}
    _bulk_grow(workspace, targets, [dev, prod], 10, 500)
    large = {name: _count(client, _compare_url(workspace, *pair)) for name, pair in pairings.items()}
    assert large == small
    # Two IDE projects have no own objects to read: one query fewer.
    assert small == {"deployment, deployment": 10, "deployment, IDE project": 10, "IDE project, deployment": 10,
                     "IDE project, IDE project": 9}


def test_compare_pages_each_bucket_and_keeps_the_picks(client, author, workspace, dev, prod):
    EnvObject.objects.bulk_create(
        EnvObject(workspace=workspace, deployment=deployment, kind="variable", key=f"{deployment.name}{n:03d}",
                  data={"value": "1"})
        for deployment, count in ((dev, 250), (prod, 3)) for n in range(count)
    )
    sign_in(client, author)
    address = _compare_url(workspace, f"deployment-{dev.pk}", f"deployment-{prod.pk}")
    first = client.get(address).content.decode()
    assert "250 only in dev" in first and "3 only in prod" in first  # the counts in full
    assert first.count('data-bucket="only-from"') == 100 and first.count('data-bucket="only-to"') == 3
    assert "<code>dev099</code>" in first and "<code>dev100</code>" not in first
    assert "Page 1 of 3" in first and 'aria-label="Pages of Only in prod"' not in first
    next_query = f"?from=deployment-{dev.pk}&amp;to=deployment-{prod.pk}&amp;from_page=2"
    assert f'hx-get="{url("compare", workspace.pk)}{next_query}" hx-target="#compare-result"' in first

    last = client.get(address + "&from_page=3", headers=htmx_headers(address)).content.decode()
    assert last.lstrip().startswith('<div id="compare-result"')
    assert last.count('data-bucket="only-from"') == 50 and "<code>dev249</code>" in last
    assert last.count('data-bucket="only-to"') == 3 and "Page 3 of 3" in last
    assert "from_page=2" in last and 'rel="next"' not in last
    assert client.get(address + "&from_page=x").status_code == 200  # a bad page number shows the first


def test_compare_needs_deployment_get_on_each_picked_deployment(client, author, workspace, dev, prod, setup):
    group = WorkspaceRoleGroup.objects.get(workspace=workspace, role="author").group
    remove_perm("envmanager.deployment_get", group, prod)
    sign_in(client, author)
    assert client.get(_compare_url(workspace, f"deployment-{dev.pk}", f"deployment-{prod.pk}")).status_code == 403
    assert client.get(_compare_url(workspace, f"ide_project-{setup['ide'].pk}", f"deployment-{prod.pk}")).status_code == 403
    assert client.get(_compare_url(workspace, f"deployment-{dev.pk}", f"ide_project-{setup['ide'].pk}")).status_code == 200
