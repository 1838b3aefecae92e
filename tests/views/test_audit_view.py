"""The Workspace audit page: newest first, filters, pages, secrets never shown."""

import re

from envmanager.models import AuditEntry
from envmanager.services.audit import audit_record
from tests.factories import ConnectionFactory, VariableFactory
from tests.views.conftest import htmx_headers, sign_in, url


def labels(html):
    return re.findall(r"<td data-label=\"Object\">((?:Airflow|Connection|Environment|Metrics)[^<]*)</td>", html)


def test_entries_newest_first_with_details(client, operator, workspace, conn):
    VariableFactory(workspace=workspace, key="later")
    sign_in(client, operator)
    html = client.get(url("audit-list", workspace.pk)).content.decode()
    assert labels(html)[:2] == [
        "Airflow variable &#x27;later&#x27; (Workspace)", "Airflow connection &#x27;warehouse&#x27; (Workspace)"
    ]
    assert "env_object.create" in html and "&quot;conn_type&quot;: &quot;postgres&quot;" in html
    assert "[secret: set]" in html
    assert "hunter2-pw" not in html and "gAAAAA" not in html


def test_filter_by_key_actor_and_action(client, operator, owner, workspace):
    ConnectionFactory(workspace=workspace, key="alpha")
    VariableFactory(workspace=workspace, key="beta")
    sign_in(client, operator)
    client.post(url("env-object-create", workspace.pk, "variables"), {"key": "gamma", "value": "1"})
    address = url("audit-list", workspace.pk)

    by_key = client.get(address, {"q": "alpha"}, headers=htmx_headers(address)).content.decode()
    assert by_key.lstrip().startswith('<div id="audit-table"')
    assert labels(by_key) == ["Airflow connection &#x27;alpha&#x27; (Workspace)"]

    by_actor = client.get(address, {"actor": "operator"}).content.decode()
    assert labels(by_actor) == ["Airflow variable &#x27;gamma&#x27; (Workspace)"]
    assert '<option value="operator" selected>' in by_actor and '<option value="system"' in by_actor

    by_action = client.get(address, {"action": "membership.set"}).content.decode()
    assert '<option value="membership.set" selected>Member role set</option>' in by_action
    assert '<option value="env_object.create">Object created</option>' in by_action
    assert "env_object.create" not in by_action.split('id="audit-table"', 1)[1]
    assert "User &#x27;operator&#x27;" in by_action

    none = client.get(address, {"q": "nothing-like-this"}).content.decode()
    assert "No entries match these filters." in none


def test_pages_of_fifty(client, operator, workspace):
    for n in range(70):
        audit_record(actor=None, action="test.entry", workspace=workspace, target_type="x", target_id=n,
                     target_label=f"Environment entry {n:02d}")
    sign_in(client, operator)
    address = url("audit-list", workspace.pk)
    first = client.get(address, {"action": "test.entry"}).content.decode()
    assert labels(first)[0] == "Environment entry 69" and len(labels(first)) == 50
    second = client.get(address, {"action": "test.entry", "page": 2}).content.decode()
    assert labels(second) == [f"Environment entry {n:02d}" for n in range(19, -1, -1)]


def test_anything_shaped_like_a_token_is_redacted_even_if_it_got_into_an_entry(client, owner, workspace):
    token = "gAAAAAB" + "x" * 80
    AuditEntry.objects.create(
        workspace=workspace, actor_name="system", action="legacy.import", target_type="x", target_label="Legacy",
        changes={"after": {"fields": {"password": token}}},
    )
    sign_in(client, owner)
    html = client.get(url("audit-list", workspace.pk)).content.decode()
    assert token not in html and "[secret]" in html


def test_only_entries_of_this_workspace(client, owner, workspace, other_workspace):
    ConnectionFactory(workspace=other_workspace, key="foreign_key")
    sign_in(client, owner)
    html = client.get(url("audit-list", workspace.pk)).content.decode()
    assert "foreign_key" not in html and "Other Team" not in html.split("<main", 1)[1]


def test_stored_action_values_are_the_named_choices():
    """Entries already stored keep their meaning: the choices' values are the strings services always wrote."""
    assert AuditEntry.Action.LINK_CREATE == "link.create"
    assert AuditEntry.Action.ENV_OBJECT_MIGRATE == "env_object.migrate"
    assert AuditEntry.TargetType.ENV_OBJECT == "env_object"
    assert all(value.count(".") == 1 for value in AuditEntry.Action.values)


def test_services_write_only_named_actions_and_target_types():
    """No service spells an action or target type as a bare string: each is one of the named choices."""
    import ast
    from pathlib import Path

    import envmanager.services

    bare = []
    for path in Path(envmanager.services.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg in ("action", "target_type"):
                values = [node.value.body, node.value.orelse] if isinstance(node.value, ast.IfExp) else [node.value]
                bare += [f"{path.name}:{node.lineno}" for v in values if isinstance(v, ast.Constant)]
    assert bare == []
