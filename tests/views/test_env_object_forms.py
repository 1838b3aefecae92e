"""Creating, editing and deleting objects of every type through the pages."""

import json

import pytest

from envmanager.models import AuditEntry, EnvObject
from envmanager.services import links as link_services
from tests.factories import EnvVarFactory, MetricsExportFactory, VariableFactory
from tests.views.conftest import htmx_headers, sign_in, url


def create_url(workspace, slug):
    return url("env-object-create", workspace.pk, slug)


VALID = [
    (
        "connections",
        {"key": "analytics_db", "conn_type": "snowflake", "host": "acct.snowflakecomputing.com", "port": "443",
         "login": "loader", "password": "pw-1", "extra": '{"warehouse": "LOAD_WH"}', "description": "Main"},
        {"conn_type": "snowflake", "host": "acct.snowflakecomputing.com", "port": 443, "login": "loader",
         "description": "Main"},
        {"password": "pw-1", "extra": '{"warehouse": "LOAD_WH"}'},  # extra: the JSON text as typed
    ),
    (
        "connections",
        # Keys Airflow accepts (RE_SANITIZE_CONN_ID); values with whitespace around them are kept as typed.
        {"key": "соединение:бд#(1)", "conn_type": "postgres", "login": " lead", "password": "  spaced pw  ",
         "extra": '{ "b": 1,  "a": "x" }\n'},
        {"conn_type": "postgres", "login": " lead"},
        {"password": "  spaced pw  ", "extra": '{ "b": 1,  "a": "x" }\n'},
    ),
    (
        "connections",
        {"key": "custom", "conn_type": "my_custom_type"},  # any type as free text
        {"conn_type": "my_custom_type"},
        {},
    ),
    (
        "variables",
        {"key": "settings", "value": '{"retries": 3}', "description": "JSON is kept as typed"},
        {"value": '{"retries": 3}', "description": "JSON is kept as typed"},
        {},
    ),
    ("variables", {"key": "api.key", "value": "s3cret", "is_secret": "on"}, {}, {"value": "s3cret"}),
    ("variables", {"key": "ключ_переменной", "value": "line one\n  line two\n\n"}, {"value": "line one\n  line two\n\n"}, {}),
    ("environment-variables", {"key": "AIRFLOW__CORE__PARALLELISM", "value": "32"}, {"value": "32"}, {}),
    (
        "metrics-exports",
        {"key": "grafana", "endpoint": "https://prom.example.com/api/v1/write", "exporter_type": "otlp_http",
         "auth_type": "basic", "username": "metrics", "password": "mpw",
         "headers_key": ["X-Scope-OrgID", ""], "headers_value": ["team-a", ""],
         "labels_key": ["env", "team"], "labels_value": ["prod", "data"]},
        {"endpoint": "https://prom.example.com/api/v1/write", "exporter_type": "otlp_http", "auth_type": "basic",
         "username": "metrics", "labels": {"env": "prod", "team": "data"}},
        {"password": "mpw", "headers": {"X-Scope-OrgID": "team-a"}},
    ),
]


@pytest.mark.parametrize(("slug", "post", "plain", "secret"), VALID, ids=[v[1]["key"] for v in VALID])
def test_create_each_type(client, operator, workspace, slug, post, plain, secret):
    sign_in(client, operator)
    response = client.post(create_url(workspace, slug), post)
    assert response.status_code == 302
    assert response["Location"] == url("workspace-environment", workspace.pk, slug)
    obj = EnvObject.objects.get(workspace=workspace, key=post["key"])
    assert obj.deployment is None
    assert obj.data == {**plain}
    assert {name: obj.reveal(name) for name in obj.secrets} == secret
    listing = client.get(response["Location"]).content.decode()
    assert "Created" in listing and post["key"] in listing


def test_create_through_htmx_answers_with_a_message_and_an_event(client, owner, workspace):
    sign_in(client, owner)
    address = create_url(workspace, "environment-variables")
    response = client.post(address, {"key": "FOO", "value": "bar"}, headers=htmx_headers(address))
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"env-changed": {}}
    html = response.content.decode()
    assert 'id="messages"' in html and 'hx-swap-oob="true"' in html
    assert "Created environment variable &#x27;FOO&#x27;." in html
    assert EnvObject.objects.filter(key="FOO").exists()


def test_values_with_whitespace_around_them_are_kept_and_the_form_says_so(client, operator, workspace):
    sign_in(client, operator)
    post = {"key": "padded", "conn_type": "http", "login": " lead", "password": "  pw  ", "host": "h\n"}

    response = client.post(create_url(workspace, "connections"), post, follow=True)

    obj = EnvObject.objects.get(key="padded")
    assert (obj.data["login"], obj.data["host"], obj.reveal("password")) == (" lead", "h\n", "  pw  ")
    shown = [str(message) for message in response.context["messages"]]
    assert shown[1:] == [
        "Host ends with a line break; it is kept as is.",
        "Login starts with a space; it is kept as is.",
        "Password starts with a space and ends with a space; it is kept as is.",
    ]
    assert "  pw  " not in response.content.decode()  # the notice names the field, never the secret


def test_the_edit_form_points_out_a_stored_value_with_whitespace_around_it(client, operator, workspace):
    variable = VariableFactory(workspace=workspace, key="padded", fields={"value": "  x  ", "description": "plain"})
    sign_in(client, operator)

    html = client.get(url("env-object-edit", workspace.pk, variable.pk)).content.decode()

    assert html.count('class="notice"') == 1
    assert "This value starts with a space and ends with a space; it is kept as is." in html
    assert ">\n  x  </textarea>" in html  # shown exactly as stored (HTML drops the newline after the tag)


def test_the_list_shows_values_with_their_whitespace(client, operator, workspace):
    VariableFactory(workspace=workspace, key="padded", fields={"value": "  x\n y  "})
    sign_in(client, operator)

    html = client.get(url("workspace-environment", workspace.pk, "variables")).content.decode()

    assert '<span class="value">  x\n y  </span>' in html


def test_create_linked_to_all(client, operator, workspace, dev, prod):
    sign_in(client, operator)
    client.post(create_url(workspace, "variables"), {"key": "everyone", "value": "x", "linked_to_all": "on"})
    assert EnvObject.objects.get(key="everyone").linked_to_all is True


def test_deployment_objects_are_created_from_the_deployment_tab(client, operator, workspace, dev):
    sign_in(client, operator)
    form = client.get(url("deployment-env-object-create", workspace.pk, dev.pk, "connections")).content.decode()
    assert "Link to all Deployments" not in form
    response = client.post(
        url("deployment-env-object-create", workspace.pk, dev.pk, "connections"),
        {"key": "dev_db", "conn_type": "postgres", "host": "localhost"},
    )
    assert response["Location"] == url("deployment-environment", workspace.pk, dev.pk, "connections")
    obj = EnvObject.objects.get(key="dev_db")
    assert obj.deployment == dev


BAD = [
    ("connections", {"key": "c", "conn_type": "http", "extra": "{not json"}, "Extra is not valid JSON"),
    ("connections", {"key": "c", "conn_type": "http", "extra": "[1, 2]"}, "Extra must be a JSON object"),
    ("connections", {"key": "c", "conn_type": "http", "port": "eighty"}, "Port must be a whole number."),
    ("connections", {"key": "c", "conn_type": "http", "port": "70000"}, "Port must be between 0 and 65535."),
    ("connections", {"key": "c", "conn_type": ""}, "This field is required."),
    ("connections", {"key": "bad key!", "conn_type": "http"},
     "is not a valid Airflow connection id: a space at position 4 is not allowed"),
    ("connections", {"key": " padded", "conn_type": "http"}, "a space at the start is not allowed"),
    ("variables", {"key": "slash/key", "value": "x"}, "Airflow's rule (KEY_REGEX)"),
    ("environment-variables", {"key": "1ABC", "value": "x"}, "is not a valid environment variable name"),
    ("environment-variables", {"key": "MY-VAR", "value": "x"}, "is not a valid environment variable name"),
    ("metrics-exports", {"key": "m", "endpoint": "ftp://x", "exporter_type": "statsd", "auth_type": "none"},
     "must be an http:// or https:// URL"),
    ("metrics-exports", {"key": "m", "endpoint": "https://x.io", "exporter_type": "statsd", "auth_type": "basic"},
     "Basic auth needs a username."),
    ("metrics-exports", {"key": "m", "endpoint": "https://x.io", "exporter_type": "nope", "auth_type": "none"},
     "Select a valid choice."),
    ("metrics-exports", {"key": "m", "endpoint": "https://x.io", "exporter_type": "statsd", "auth_type": "none",
                         "labels_key": [""], "labels_value": ["orphan"]}, "every value needs a name"),
]


@pytest.mark.parametrize(("slug", "post", "error"), BAD, ids=[b[2][:30] for b in BAD])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_bad_input_shows_errors_and_changes_nothing(client, operator, workspace, slug, post, error, htmx):
    sign_in(client, operator)
    before = AuditEntry.objects.count()
    address = create_url(workspace, slug)
    response = client.post(address, post, headers=htmx_headers(address) if htmx else {})
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html.replace("&#x27;", "'")
    assert "Nothing was saved" in html or "form-errors" in html
    assert EnvObject.objects.count() == 0
    assert AuditEntry.objects.count() == before
    assert ("<html" in html) is not htmx
    assert "HX-Trigger" not in response


def test_duplicate_key_is_refused_by_the_service_and_shown_on_the_key(client, operator, workspace):
    VariableFactory(workspace=workspace, key="taken")
    sign_in(client, operator)
    response = client.post(create_url(workspace, "variables"), {"key": "taken", "value": "again"})
    assert response.status_code == 200
    assert "already exists in the Workspace" in response.content.decode()
    assert EnvObject.objects.get(key="taken").data["value"] == "plain value"


def test_a_form_coming_back_with_errors_does_not_echo_a_typed_secret(client, operator, workspace):
    sign_in(client, operator)
    response = client.post(
        create_url(workspace, "connections"),
        {"key": "c", "conn_type": "http", "port": "bad", "password": "typed-secret-1", "extra": '{"k": "typed-secret-2"}'},
    )
    html = response.content.decode()
    assert "Port must be a whole number." in html
    assert "typed-secret-1" not in html and "typed-secret-2" not in html
    response = client.post(
        create_url(workspace, "variables"), {"key": "bad key", "value": "typed-secret-3", "is_secret": "on"}
    )
    assert "typed-secret-3" not in response.content.decode()


def edit(client, workspace, obj, data, **kwargs):
    return client.post(url("env-object-edit", workspace.pk, obj.pk), data, **kwargs)


def test_edit_form_never_shows_secrets_but_says_whether_they_are_set(client, operator, workspace, conn):
    sign_in(client, operator)
    html = client.get(url("env-object-edit", workspace.pk, conn.pk)).content.decode()
    assert "hunter2-pw" not in html and "gAAAAA" not in html
    assert 'value="db.internal"' in html  # plain values are filled in
    # The Extra's keys Airflow does not treat as sensitive are shown (forms/extra.py; tests/views/test_extra_rows.py).
    assert 'value="sslmode"' in html and 'value="require"' in html
    assert "Clear the stored password" in html and "Clear the stored extra" in html
    assert html.count('<span class="badge set">set</span>') == 2


def test_edit_with_empty_secret_keeps_it(client, operator, workspace, conn):
    sign_in(client, operator)
    response = edit(client, workspace, conn, {"conn_type": "postgres", "host": "new.internal", "port": "5433"})
    assert response.status_code == 302
    conn.refresh_from_db()
    assert conn.data == {"conn_type": "postgres", "host": "new.internal", "port": 5433}  # login emptied: removed
    assert conn.reveal("password") == "hunter2-pw"
    assert conn.reveal("extra") == '{"sslmode": "require"}'


def test_edit_replaces_or_clears_a_secret(client, operator, workspace, conn):
    sign_in(client, operator)
    edit(client, workspace, conn, {"conn_type": "postgres", "password": "new-pw", "clear_extra": "on"})
    conn.refresh_from_db()
    assert conn.reveal("password") == "new-pw"
    assert "extra" not in conn.secrets


def test_edit_refuses_a_new_value_and_clear_together(client, operator, workspace, conn):
    sign_in(client, operator)
    response = edit(client, workspace, conn, {"conn_type": "postgres", "password": "x", "clear_password": "on"})
    assert response.status_code == 200
    assert "Either enter a new password or clear it, not both." in response.content.decode()
    conn.refresh_from_db()
    assert conn.reveal("password") == "hunter2-pw"


def test_the_key_cannot_be_changed(client, operator, workspace, conn):
    sign_in(client, operator)
    edit(client, workspace, conn, {"key": "renamed", "conn_type": "postgres"})
    conn.refresh_from_db()
    assert conn.key == "warehouse"


def test_making_a_variable_secret_masks_its_value_and_keeps_it(client, operator, workspace):
    variable = VariableFactory(workspace=workspace, key="token", fields={"value": "abc"})
    sign_in(client, operator)
    form = client.get(url("env-object-edit", workspace.pk, variable.pk)).content.decode()
    assert "abc</textarea>" in form
    edit(client, workspace, variable, {"value": "", "is_secret": "on"})
    variable.refresh_from_db()
    assert variable.is_secret and variable.reveal("value") == "abc" and "value" not in variable.data
    form = client.get(url("env-object-edit", workspace.pk, variable.pk)).content.decode()
    assert "abc" not in form


def test_metrics_auth_none_drops_credentials(client, operator, workspace):
    export = MetricsExportFactory(workspace=workspace, key="m", fields={
        "endpoint": "https://x.io", "exporter_type": "statsd", "auth_type": "basic", "username": "u", "password": "p",
    })
    sign_in(client, operator)
    response = edit(client, workspace, export, {
        "endpoint": "https://x.io", "exporter_type": "statsd", "auth_type": "none", "username": "u",
    })
    assert response.status_code == 302
    export.refresh_from_db()
    assert export.data["auth_type"] == "none" and "username" not in export.data and "password" not in export.secrets


def test_metrics_edit_renders_labels_as_rows_but_not_secret_headers(client, operator, workspace):
    export = MetricsExportFactory(workspace=workspace, key="m", fields={
        "endpoint": "https://x.io", "exporter_type": "statsd", "labels": {"env": "prod"},
        "headers": {"Authorization": "Bearer hidden-header"},
    })
    sign_in(client, operator)
    html = client.get(url("env-object-edit", workspace.pk, export.pk)).content.decode()
    assert 'name="labels_key" value="env"' in html and 'name="labels_value" value="prod"' in html
    assert "hidden-header" not in html and "Authorization" not in html
    assert "Clear the stored extra http headers" in html


def test_delete_asks_first_and_says_how_many_deployments_use_it(client, operator, workspace, dev, prod, ide, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    link_services.link_create(env_object=conn, actor=None, target=prod)
    link_services.link_create(env_object=conn, actor=None, target=ide)
    sign_in(client, operator)
    address = url("env-object-delete", workspace.pk, conn.pk)
    confirm = client.get(address, headers=htmx_headers(address)).content.decode()
    assert confirm.lstrip().startswith("<form")
    assert "Used by <strong>2 Deployments</strong> and <strong>1 IDE project</strong>" in confirm
    assert EnvObject.objects.filter(pk=conn.pk).exists()

    response = client.post(address, headers=htmx_headers(address))
    assert response.status_code == 200
    assert "env-changed" in response["HX-Trigger"]
    assert not EnvObject.objects.filter(pk=conn.pk).exists()
    assert AuditEntry.objects.filter(action="env_object.delete", target_id=conn.pk).exists()


def test_delete_of_an_object_linked_to_all_counts_all_but_excluded(client, operator, workspace, dev, prod):
    everywhere = VariableFactory(workspace=workspace, key="all", linked_to_all=True)
    link_services.link_exclude(env_object=everywhere, actor=None, target=prod)
    sign_in(client, operator)
    confirm = client.get(url("env-object-delete", workspace.pk, everywhere.pk)).content.decode()
    assert "Used by <strong>1 Deployment</strong>." in confirm


def test_delete_without_htmx_redirects_back(client, owner, workspace, dev):
    env = EnvVarFactory(workspace=workspace, deployment=dev, key="GONE")
    sign_in(client, owner)
    back = url("deployment-environment", workspace.pk, dev.pk, "environment-variables")
    page = client.get(url("env-object-delete", workspace.pk, env.pk)).content.decode()
    assert "Deployment object of <strong>dev</strong>" in page
    response = client.post(url("env-object-delete", workspace.pk, env.pk), {"next": back + "?q=G"})
    assert response["Location"] == back + "?q=G"
    assert not EnvObject.objects.filter(pk=env.pk).exists()


def test_next_pointing_elsewhere_is_ignored(client, owner, workspace, conn):
    sign_in(client, owner)
    response = client.post(url("env-object-delete", workspace.pk, conn.pk), {"next": "https://evil.example.com/"})
    assert response["Location"] == url("workspace-environment", workspace.pk, "connection")


@pytest.mark.parametrize("role", ["author", "member"])
def test_roles_without_permission_cannot_change_anything(client, users, workspace, dev, conn, role):
    sign_in(client, users[role])
    before = AuditEntry.objects.count()
    attempts = [
        (create_url(workspace, "connections"), {"key": "x", "conn_type": "http"}),
        (url("deployment-env-object-create", workspace.pk, dev.pk, "connections"), {"key": "x", "conn_type": "http"}),
        (url("env-object-edit", workspace.pk, conn.pk), {"conn_type": "http", "password": "changed"}),
        (url("env-object-delete", workspace.pk, conn.pk), {}),
    ]
    for address, data in attempts:
        assert client.post(address, data).status_code == 403, address
        assert client.post(address, data, headers=htmx_headers(address)).status_code == 403, address
    conn.refresh_from_db()
    assert conn.reveal("password") == "hunter2-pw" and conn.data["conn_type"] == "postgres"
    assert EnvObject.objects.count() == 1
    assert AuditEntry.objects.count() == before


def test_outsider_gets_404_on_every_change(client, outsider, workspace, dev, conn):
    sign_in(client, outsider)
    for address in (
        create_url(workspace, "connections"),
        url("env-object-edit", workspace.pk, conn.pk),
        url("env-object-delete", workspace.pk, conn.pk),
    ):
        assert client.post(address, {"key": "x", "conn_type": "http"}).status_code == 404
    assert EnvObject.objects.count() == 1
