"""Bulk unlink / remove override / delete on a Deployment's and an IDE project's Environment tab: who may,
the confirmation (keys, what is lost, what is skipped and why), each action's effect, one transaction."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import AuditEntry, EnvObject, Link, ObjectVersion
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory, DeploymentFactory, VariableFactory
from tests.views.conftest import htmx_headers, sign_in, url

SECRET = "override-secret-canary"


@pytest.fixture
def rows(workspace, dev, ide):
    """dev receives: alpha (linked), beta (linked, overridden), everywhere (linked to all, overridden), its own
    object `own`; `stranger` is a Workspace object dev does not receive. The IDE project receives alpha."""
    alpha = ConnectionFactory(workspace=workspace, key="alpha")
    beta = ConnectionFactory(workspace=workspace, key="beta")
    everywhere = VariableFactory(workspace=workspace, key="everywhere", linked_to_all=True)
    own = ConnectionFactory(workspace=workspace, deployment=dev, key="own")
    stranger = ConnectionFactory(workspace=workspace, key="stranger")
    for env_object in (alpha, beta):
        link_services.link_create(env_object=env_object, actor=None, target=dev)
    link_services.link_create(env_object=alpha, actor=None, target=ide)
    link_services.link_set_override(env_object=beta, actor=None, target=dev, fields={"host": "dev-host", "password": SECRET})
    link_services.link_set_override(env_object=everywhere, actor=None, target=dev, fields={"value": "dev value"})
    return {"alpha": alpha, "beta": beta, "everywhere": everywhere, "own": own, "stranger": stranger}


def bulk(client, target, action, objects, method="get", **more):
    page = "deployment-bulk" if hasattr(target, "execution_mode") else "ide-project-bulk"
    data = {"action": action, "ids": [obj.pk for obj in objects], **more}
    return getattr(client, method)(url(page, target.workspace_id, target.pk), data)


def _state():
    """Everything a bulk action could change: the objects, the link rows with their overrides, the audit log."""
    links = sorted(
        (link.env_object.key, link.deployment_id or 0, link.ide_project_id or 0, link.excluded, link.has_override)
        for link in Link.objects.select_related("env_object")
    )
    return sorted(EnvObject.objects.values_list("key", flat=True)), links, AuditEntry.objects.count()


def test_unlink_confirmation_lists_the_keys_what_is_lost_and_what_is_skipped(client, operator, dev, rows):
    sign_in(client, operator)
    before = _state()
    selected = [rows[key] for key in ("alpha", "beta", "everywhere", "own")]
    html = bulk(client, dev, "unlink", selected).content.decode()
    assert "Unlink <code>3 objects</code> from Deployment &#x27;dev&#x27;?" in html
    assert "<li>Connection alpha</li>" in html
    assert "Connection beta — its override is dropped: Host, Password (secret)" in html
    assert "Airflow variable everywhere — linked to all Deployments: dev is excluded; its override is dropped: Value" in html
    assert "Skipped, not changed:" in html
    assert "Connection own — dev&#x27;s own object, not a linked Workspace object: delete it instead" in html
    assert "Linking them again does not bring an override back." in html
    assert SECRET not in html
    # The form repeats the rows that apply, and the overrides it names as dropped; not the skipped row.
    assert f'name="ids" value="{rows["own"].pk}"' not in html
    assert f'name="dropping_overrides" value="{rows["beta"].pk}"' in html
    assert f'name="dropping_overrides" value="{rows["alpha"].pk}"' not in html
    assert _state() == before  # a GET changes nothing


def test_unlink_removes_links_and_excludes_from_linked_to_all_through_the_services(client, operator, dev, ide, rows):
    sign_in(client, operator)
    alpha, beta, everywhere = rows["alpha"], rows["beta"], rows["everywhere"]
    response = bulk(client, dev, "unlink", [alpha, beta, everywhere], method="post",
                    dropping_overrides=[beta.pk, everywhere.pk])
    assert response.status_code == 302
    assert not Link.objects.filter(deployment=dev, env_object__in=[alpha, beta]).exists()
    exclusion = Link.objects.get(deployment=dev, env_object=everywhere)
    assert exclusion.excluded and not exclusion.has_override
    assert Link.objects.filter(ide_project=ide, env_object=alpha).exists()  # another target's link stays
    assert EnvObject.objects.filter(pk__in=[alpha.pk, beta.pk, everywhere.pk]).count() == 3
    actions = sorted(AuditEntry.objects.filter(target_label__endswith="-> Deployment 'dev'", action__in=[
        AuditEntry.Action.LINK_DELETE, AuditEntry.Action.LINK_EXCLUDE]).values_list("action", "target_id"))
    assert actions == sorted([(AuditEntry.Action.LINK_DELETE, alpha.pk), (AuditEntry.Action.LINK_DELETE, beta.pk),
                              (AuditEntry.Action.LINK_EXCLUDE, everywhere.pk)])
    # The dropped overrides' histories say so, as the single Unlink's does.
    dropped = ObjectVersion.objects.filter(link_deployment=dev, change=ObjectVersion.Change.DELETED)
    assert sorted(dropped.values_list("key", flat=True)) == ["beta", "everywhere"]


@pytest.mark.parametrize("posted, reason", [
    # An override written after the confirmation was shown is refused, not dropped unasked.
    pytest.param(("alpha", "beta"), "now overrides beta", id="an-override-not-in-the-confirmation"),
    pytest.param(("alpha", "stranger"), "Nothing was changed: &#x27;stranger&#x27;: not linked to dev.",
                 id="a-row-the-action-does-not-apply-to"),
])
def test_a_refused_unlink_says_why_and_changes_nothing(client, operator, dev, rows, posted, reason):
    sign_in(client, operator)
    before = _state()
    response = bulk(client, dev, "unlink", [rows[key] for key in posted], method="post")
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert _state() == before


def test_a_refusal_in_the_dialog_asks_again_with_the_reason(client, operator, dev, rows):
    """htmx swaps only a success: the dialog gets the question again, with what was refused and why."""
    sign_in(client, operator)
    before = _state()
    address = url("deployment-bulk", dev.workspace_id, dev.pk)
    data = {"action": "unlink", "ids": [rows["alpha"].pk, rows["beta"].pk]}  # beta's override not confirmed
    response = client.post(address, data, headers=htmx_headers(address))
    html = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in html and "now overrides beta" in html
    assert f'name="dropping_overrides" value="{rows["beta"].pk}"' in html  # asked again, it can be confirmed
    assert _state() == before


def test_remove_override_clears_only_the_overrides(client, operator, dev, rows):
    sign_in(client, operator)
    beta, everywhere = rows["beta"], rows["everywhere"]
    html = bulk(client, dev, "remove_override", [rows["alpha"], beta, everywhere]).content.decode()
    assert "Remove the overrides of <code>2 objects</code> in Deployment &#x27;dev&#x27;?" in html
    assert "Connection beta: Host, Password (secret)" in html and "Airflow variable everywhere: Value" in html
    assert "Connection alpha — no override in dev" in html
    assert SECRET not in html
    response = bulk(client, dev, "remove_override", [beta, everywhere], method="post")
    assert response.status_code == 302
    for env_object in (beta, everywhere):
        link = Link.objects.get(deployment=dev, env_object=env_object)
        assert not link.has_override and not link.excluded
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LINK_OVERRIDE, target_id__in=[beta.pk, everywhere.pk],
                                     created_at__isnull=False).count() == 4  # two set by the fixture, two cleared


def test_delete_deletes_the_deployments_own_objects_only(client, operator, dev, rows):
    sign_in(client, operator)
    own = rows["own"]
    second = VariableFactory(workspace=dev.workspace, deployment=dev, key="own_var")
    html = bulk(client, dev, "delete", [rows["alpha"], own, second]).content.decode()
    assert "Delete <code>2 objects</code> of Deployment &#x27;dev&#x27;?" in html
    assert "<li>Connection own</li>" in html and "<li>Airflow variable own_var</li>" in html
    assert "Connection alpha — a Workspace object: unlink it here, or delete it on the Workspace Environment page" in html
    response = bulk(client, dev, "delete", [own, second], method="post")
    assert response.status_code == 302
    assert not EnvObject.objects.filter(pk__in=[own.pk, second.pk]).exists()
    assert EnvObject.objects.filter(pk=rows["alpha"].pk).exists()
    deleted = AuditEntry.objects.filter(action=AuditEntry.Action.ENV_OBJECT_DELETE)
    assert sorted(deleted.values_list("target_id", flat=True)) == sorted([own.pk, second.pk])


def test_an_error_halfway_changes_nothing(client, operator, dev, rows, monkeypatch):
    real_delete = link_services.link_delete
    calls = []

    def delete_then_fail(**kwargs):
        calls.append(kwargs["env_object"].key)
        if len(calls) == 2:
            raise ValidationError("The database went away.")
        real_delete(**kwargs)

    monkeypatch.setattr(link_services, "link_delete", delete_then_fail)
    sign_in(client, operator)
    before = _state()
    response = bulk(client, dev, "unlink", [rows["alpha"], rows["beta"]], method="post", dropping_overrides=[rows["beta"].pk])
    assert response.status_code == 400 and "The database went away." in response.content.decode()
    assert calls == ["alpha", "beta"]  # alpha was unlinked, then rolled back
    assert _state() == before


def test_an_ide_project_unlinks_and_removes_overrides_but_has_nothing_to_delete(client, operator, ide, rows):
    sign_in(client, operator)
    alpha = rows["alpha"]
    html = bulk(client, ide, "unlink", [alpha, rows["beta"]]).content.decode()
    assert "Unlink <code>1 object</code> from IDE project &#x27;notebooks&#x27;?" in html
    assert "Connection beta — not linked to notebooks" in html
    assert bulk(client, ide, "delete", [alpha]).status_code == 404
    assert bulk(client, ide, "unlink", [alpha], method="post").status_code == 302
    assert not Link.objects.filter(ide_project=ide).exists()


def test_nothing_that_applies_says_why_and_asks_nothing(client, operator, dev, rows):
    sign_in(client, operator)
    page = url("deployment-environment", dev.workspace_id, dev.pk, "connections")
    response = bulk(client, dev, "remove_override", [rows["alpha"]], next=page)
    assert response.status_code == 302 and response.url == page
    followed = client.get(page).content.decode()
    assert "Nothing to change: Connection alpha — no override in dev." in followed


@pytest.mark.parametrize("role", ["author", "member"])
def test_authors_and_members_may_not(client, request, dev, ide, rows, role):
    sign_in(client, request.getfixturevalue(role))
    before = _state()
    for target, actions in ((dev, ("unlink", "remove_override", "delete")), (ide, ("unlink", "remove_override"))):
        for action in actions:
            for method in ("get", "post"):
                assert bulk(client, target, action, [rows["alpha"], rows["own"]], method=method).status_code == 403
    assert _state() == before


def test_owner_may(client, owner, dev, rows):
    sign_in(client, owner)
    assert bulk(client, dev, "delete", [rows["own"]], method="post").status_code == 302
    assert not EnvObject.objects.filter(pk=rows["own"].pk).exists()


def test_other_workspaces_and_targets_answer_404(client, operator, workspace, other_workspace, dev, prod, rows):
    foreign = ConnectionFactory(workspace=other_workspace, key="foreign")
    theirs = DeploymentFactory(workspace=other_workspace, name="theirs")
    prods_own = ConnectionFactory(workspace=workspace, deployment=prod, key="prods_own")
    sign_in(client, operator)
    before = _state()
    for method in ("get", "post"):
        assert bulk(client, dev, "unlink", [rows["alpha"], foreign], method=method).status_code == 404
        assert bulk(client, dev, "delete", [prods_own], method=method).status_code == 404  # another Deployment's
        # Another Workspace's Deployment, under this Workspace's URL and under its own.
        theirs_here = url("deployment-bulk", workspace.pk, theirs.pk)
        response = getattr(client, method)(theirs_here, {"action": "delete", "ids": [foreign.pk]})
        assert response.status_code == 404
        assert bulk(client, theirs, "delete", [foreign], method=method).status_code == 404
        assert bulk(client, dev, "promote", [rows["own"]], method=method).status_code == 404
    for bad in ("x", "-1", "9" * 30, "²"):
        assert client.post(url("deployment-bulk", workspace.pk, dev.pk), {"action": "delete", "ids": [bad]}).status_code == 404
        response = client.post(url("deployment-bulk", workspace.pk, dev.pk),
                               {"action": "unlink", "ids": [rows["alpha"].pk], "dropping_overrides": [bad]})
        assert response.status_code == 404
    assert _state() == before


def test_checkboxes_and_actions_on_the_tab(client, operator, author, workspace, dev, ide, rows):
    page = url("deployment-environment", workspace.pk, dev.pk, "connections")
    sign_in(client, author)
    html = client.get(page).content.decode()
    assert "data-bulk-item" not in html and 'id="bulk-form"' not in html
    sign_in(client, operator)
    html = client.get(page).content.decode()
    # alpha, beta and dev's own object (everywhere is a variable; stranger is not received).
    assert html.count("data-bulk-item") == 3 and "data-bulk-all" in html
    for pk in (rows["alpha"].pk, rows["beta"].pk, rows["own"].pk):
        assert f'name="ids" value="{pk}"' in html
    assert url("deployment-bulk", workspace.pk, dev.pk) in html
    assert '<option value="unlink">Unlink from dev</option>' in html
    assert '<option value="remove_override">Remove override</option>' in html
    assert '<option value="delete">Delete</option>' in html
    assert 'name="target"' not in html  # the tab's target is the one
    fragment = client.get(page, headers=htmx_headers(page)).content.decode()
    assert 'id="bulk-form"' in fragment  # the bar is refreshed with the table
    ide_html = client.get(url("ide-project-environment", workspace.pk, ide.pk, "connections")).content.decode()
    assert ide_html.count("data-bulk-item") == 1 and '<option value="delete">' not in ide_html
