"""No input answers HTTP 500 (issue #10, finding 6): every page, form, admin page and API path gets
out-of-range ids, NUL bytes, lone surrogates and oversized values, and answers a form error, 400 or 404.
The read API answers every error, middleware's and URL resolution's included, in its JSON shape.

Hypothesis, bounded and deterministic (derandomized, no example database), a few seconds per path.
"""

import json
import re
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envmanager.kinds import Kind
from envmanager.models import Deployment, MigrationRun, Role, Workspace
from envmanager.services import links as link_services
from tests.conftest import TEST_ENCRYPTION_KEY, airflow_url
from tests.factories import ConnectionFactory, DeploymentFactory, MembershipFactory, UserFactory, WorkspaceFactory
from tests.routes import concrete_path, objects_for_every_route, url_patterns

pytestmark = pytest.mark.django_db

HUGE_IDS = ("9223372036854775808", "18446744073709551616", "99999999999999999999999999999")
NASTY = [
    "\x00", "a\x00b", *HUGE_IDS, "-9223372036854775809", "1e309", "-1", "0", "", " ", "\ufffd", "é\u202e",
    '{"a": "\\u0000"}', '{"a": "\\ud800"}', '{"\\udfff": 1}', '["x"]', "null", "x" * 5000, "%00",
    "../../etc/passwd", "sqlite:////etc/passwd", "sqlite:///x.db?mode=rwc", "postgresql://a:b@127.0.0.1:1/x",
    "\ud800", "a\udfffb",
]
VALUES = st.one_of(st.sampled_from(NASTY), st.text(max_size=12))
FUZZ = settings(
    max_examples=8, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
QUERY_NAMES = ["q", "sort", "page", "scope", "actor", "action", "next", "o", "p", "workspace__id__exact", "e"]


def _encode(pairs) -> str:
    # surrogatepass: what a client can put on the wire (lone surrogates arrive as invalid UTF-8).
    return "&".join(f"{quote(k.encode('utf-8', 'surrogatepass'))}={quote(v.encode('utf-8', 'surrogatepass'))}"
                    for k, v in pairs)


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Something of everything, so every page has rows, forms and ids to work on; built once for the module.

    As Django's `TestCase.setUpTestData`: the rows are written in a transaction that stays open while the
    module's tests run, each test's own transaction (a savepoint inside it) rolls back to them, and the
    module's end rolls them back too. Building them for each of the ~600 tests took a third of a second each.
    """
    from envmanager.services.workspaces import deployment_update

    var_dir = tmp_path_factory.mktemp("world")
    test_settings = override_settings(  # what tests/conftest.py's `_test_settings` sets for each test
        VAR_DIR=var_dir, ENVMANAGER_ENCRYPTION_KEYS=[TEST_ENCRYPTION_KEY],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    with django_db_blocker.unblock(), test_settings, transaction.atomic():
        workspace = WorkspaceFactory(name="Data Platform")
        dev = DeploymentFactory(workspace=workspace, name="dev")
        prod = DeploymentFactory(workspace=workspace, name="prod")
        owner = UserFactory(username="owner")
        MembershipFactory(workspace=workspace, user=owner, role=Role.OWNER)
        deployment_update(deployment=dev, metadata_db_url=airflow_url("fuzz"))
        conn = ConnectionFactory(workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "password": "pw"})
        link_services.link_create(env_object=conn, actor=None, target=dev)
        ids, token = objects_for_every_route(workspace, dev, conn)
        ids["object_id_admin"] = conn.pk
        DeploymentFactory(workspace=workspace, name="stage")
        yield {"ids": ids, "token": token, "var_dir": var_dir,
               "workspace": workspace.pk, "dev": dev.pk, "prod": prod.pk, "owner": owner.pk}
        transaction.set_rollback(True)


@pytest.fixture
def world(_world, settings):
    settings.VAR_DIR = _world["var_dir"]  # where the module's Airflow database is (the confinement allows it)
    return _world


# The conftest's fixtures of the same names, as the module's rows: fresh instances for each test, so what
# one test changes in memory (and its rollback undoes in the database) no other test sees.
@pytest.fixture
def workspace(world):
    return Workspace.objects.get(pk=world["workspace"])


@pytest.fixture
def dev(world):
    return Deployment.objects.get(pk=world["dev"])


@pytest.fixture
def prod(world):
    return Deployment.objects.get(pk=world["prod"])


@pytest.fixture
def owner(world, django_user_model):
    return django_user_model.objects.get(pk=world["owner"])


ROUTES = [(route, entry.name) for route, entry in url_patterns()]


def _field_names(html: str) -> list[str]:
    names = set(re.findall(r'name="([^"]+)"', html)) - {"csrfmiddlewaretoken"}
    return sorted(names) or ["name", "key", "value"]


@pytest.fixture
def staff_client(client, world, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(owner)
    return client


def _no_server_error(response, path):
    assert response.status_code < 500, f"{response.status_code} from {path}"
    if path.startswith("/api/") and response.status_code >= 400:
        body = json.loads(response.content)
        assert set(body) == {"message", "extra"}, f"{path}: {body}"


@pytest.mark.parametrize("route, name", ROUTES, ids=[r for r, _ in ROUTES])
@FUZZ
@given(data=st.data())
def test_no_input_answers_500(staff_client, world, route, name, data):
    if route.startswith("admin/") and not re.match(r"admin/(envmanager|accounts|axes)/", route) or name == "logout":
        return
    if route.startswith("admin/") and ("delete" in route or "history" in route):
        return
    path = concrete_path(route, world["ids"])
    if path is None:
        return
    headers = {"Authorization": f"Bearer {world['token']}"} if path.startswith("/api/") else {}
    page = staff_client.get(path, headers=headers)
    _no_server_error(page, path)
    body = b"".join(page.streaming_content) if page.streaming else page.content  # downloads stream
    names = _field_names(body.decode(errors="replace")) if page.status_code == 200 else ["name"]
    query = data.draw(st.lists(st.tuples(st.sampled_from(QUERY_NAMES), VALUES), max_size=3))
    response = staff_client.get(f"{path}?{_encode(query)}", headers=headers)
    _no_server_error(response, path)
    # Drawn independently of the page (whose fields change as the data does): one value per field, cycling.
    values = data.draw(st.lists(VALUES, min_size=6, max_size=6))
    form = {name: values[position % len(values)] for position, name in enumerate(names)}
    body = _encode([*form.items(), *[(n, "1") for n in ("step",) if n not in form]])
    response = staff_client.post(path, body, content_type="application/x-www-form-urlencoded", headers=headers)
    _no_server_error(response, path)


@pytest.mark.parametrize("route, name", [r for r in ROUTES if "_id>" in r[0]], ids=[r for r, _ in ROUTES if "_id>" in r])
@pytest.mark.parametrize("bad_id", HUGE_IDS)
def test_out_of_range_ids_in_paths_are_404(staff_client, world, route, name, bad_id):
    path = concrete_path(route, world["ids"], bad_id=bad_id)
    if path is None:
        return
    for response in (staff_client.get(path), staff_client.post(path, {"step": "apply"})):
        assert response.status_code in (302, 401, 403, 404, 405), f"{response.status_code} from {path}"


@FUZZ
@given(key=VALUES, etag=VALUES)
def test_the_read_api_answers_json_for_any_key_and_header(client, world, key, etag):
    headers = {"Authorization": f"Bearer {world['token']}"}
    encoded = quote(key.encode("utf-8", "surrogatepass"), safe="")
    for path in (f"/api/v1/connections/{encoded}", f"/api/v1/variables/{encoded}", f"/api/v1/{encoded}"):
        response = client.get(path, headers=headers)
        _no_server_error(response, path)
        assert response["Content-Type"].startswith("application/json"), path
    if_none_match = etag.encode("utf-8", "surrogatepass").decode("latin-1")
    response = client.get("/api/v1/environment", headers={**headers, "If-None-Match": if_none_match})
    _no_server_error(response, "/api/v1/environment")
    authorization = f"Bearer {key}"[:2000].encode("utf-8", "surrogatepass").decode("latin-1")
    response = client.get("/api/v1/environment", headers={"Authorization": authorization})
    _no_server_error(response, "/api/v1/environment")


@pytest.mark.parametrize("path", ["/api/v1/connections/a%00b", "/api/v1/variables/%ED%A0%80", "/api/v1/%00"])
def test_api_errors_from_bad_paths_are_json(client, world, path):
    response = client.get(path, headers={"Authorization": f"Bearer {world['token']}"})
    assert 400 <= response.status_code < 500
    assert set(json.loads(response.content)) == {"message", "extra"}


def test_api_errors_from_the_middleware_are_json(client, world, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/api/v1/environment", headers={"Host": "evil.example"})
    assert response.status_code == 400 and set(json.loads(response.content)) == {"message", "extra"}


def test_huge_ids_in_the_links_form_and_migrate_apply_are_form_errors(client, world, owner):
    client.force_login(owner)
    ids = world["ids"]
    links = f"/workspaces/{ids['workspace_id']}/objects/{ids['object_id']}/links/"
    response = client.post(links, {"mode": "selected", "deployments": HUGE_IDS, "ide_projects": ["-1", "x"]})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    migrate = f"/workspaces/{ids['workspace_id']}/deployments/{ids['deployment_id']}/migrate/connections/"
    response = client.post(migrate, {"step": "apply", "source": HUGE_IDS}, follow=True)
    assert response.status_code == 200 and "Migrated 0" in response.content.decode()


def test_a_nul_in_any_form_field_is_a_400_that_changes_nothing(client, world, owner):
    client.force_login(owner)
    ids = world["ids"]
    migrate = f"/workspaces/{ids['workspace_id']}/deployments/{ids['deployment_id']}/migrate/connections/"
    response = client.post(migrate, {"step": "apply", "source": ["1"], "request_key": "a\x00b"})
    assert response.status_code == 400 and "NUL" in response.content.decode()
    assert MigrationRun.objects.count() == 1


METRICS_BASE = {"endpoint": "https://m.example.com", "exporter_type": "prometheus_remote_write", "auth_type": "none"}


@pytest.mark.parametrize(("kind", "fields"), [
    (Kind.METRICS, {**METRICS_BASE, "labels": '{"a": "\\u0000"}'}),  # a NUL only once the JSON is parsed
    (Kind.METRICS, {**METRICS_BASE, "labels": '{"\\ud800": "x"}'}),
    (Kind.CONNECTION, {"conn_type": "http", "host": "a\x00b"}),
    (Kind.CONNECTION, {"conn_type": "http", "login": "a\udfffb"}),
])
def test_unstorable_text_is_a_validation_error_on_every_database(workspace, kind, fields):
    from django.core.exceptions import ValidationError

    from envmanager.models import EnvObject
    from envmanager.services import env_objects as env_object_services

    with pytest.raises(ValidationError, match="NUL character or an invalid Unicode character"):
        env_object_services.env_object_create(workspace=workspace, actor=None, kind=kind, key="c", fields=fields)
    assert not EnvObject.objects.filter(key="c").exists()


def _findings(ids):
    """Each input the audit saw answer HTTP 500, as (method, path, data)."""
    w, d = ids["workspace_id"], ids["deployment_id"]
    return [
        ("get", f"/workspaces/{w}/environment/connections/?q=a%00b", None),
        ("get", f"/workspaces/{w}/deployments/{d}/environment/variables/?q=%00", None),
        ("get", f"/workspaces/{w}/audit/?actor=%00&action=x", None),
        ("get", f"/workspaces/{w}/audit/?q=a%00", None),
        ("post", f"/workspaces/{w}/deployments/{d}/api-tokens/", {"name": "airflow\x00"}),
        ("post", f"/workspaces/{w}/environment/metrics-exports/new/", {
            "key": "m2", "endpoint": "https://m.example.com", "exporter_type": "prometheus_remote_write",
            "auth_type": "none", "labels_key": ["team\x00"], "labels_value": ["x"]}),
        ("post", f"/workspaces/{w}/deployments/{d}/migrate/connections/", {"step": "apply", "request_key": "k\x00"}),
        ("get", "/api/v1/variables/a%00b", None),
        ("get", "/api/v1/connections/%00", None),
    ]


@pytest.mark.parametrize("finding", range(9))
def test_each_input_that_answered_500_now_answers_400(client, world, owner, finding):
    client.force_login(owner)
    method, path, data = _findings(world["ids"])[finding]
    headers = {"Authorization": f"Bearer {world['token']}"} if path.startswith("/api/") else {}
    response = getattr(client, method)(path, data, headers=headers) if data else getattr(client, method)(path, headers=headers)
    assert response.status_code == 400, (path, response.status_code)
    if path.startswith("/api/"):
        assert set(json.loads(response.content)) == {"message", "extra"}


def test_an_escaped_surrogate_in_a_connections_extra_is_kept_as_typed(client, world, owner, workspace):
    """Extra is Airflow's JSON text, stored as typed: an escape in it is text, not an unstorable character."""
    from envmanager.models import EnvObject

    client.force_login(owner)
    extra = '{"token": "\\ud800"}'
    response = client.post(f"/workspaces/{workspace.pk}/environment/connections/new/",
                           {"key": "lone", "conn_type": "http", "extra": extra})
    assert response.status_code < 500
    assert EnvObject.objects.get(key="lone").reveal("extra") == extra
