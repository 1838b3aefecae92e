"""A Deployment's metadata database URL reaches only an allowed Airflow metadata database no other Deployment
claims; nothing else on the server or the network (issue #10, findings 1 to 4)."""

import os
import socket
import sqlite3
import threading
from functools import partial

import psycopg
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from envmanager import crypto
from envmanager.airflow_db.confinement import metadata_db_address
from envmanager.airflow_db.database import MetadataDatabaseError
from envmanager.kinds import Kind
from envmanager.models import Deployment, EnvObject, Role
from envmanager.selectors.migration import MigrationNotPossible, airflow_migration_plan
from envmanager.services.migration import airflow_migration_apply
from envmanager.services.workspaces import deployment_update
from tests.concurrency import run_together
from tests.factories import (
    DeploymentFactory,
    MembershipFactory,
    UserFactory,
    WorkspaceFactory,
)

from .conftest import AIRFLOW_FERNET_KEY, PG_SERVER, _postgres_available

CLAIMED = "already the metadata database of another Deployment"
NOT_ALLOWED = "is not allowed here; an administrator can allow it with ENVMANAGER_METADATA_DB_ALLOWED"


def _refusal(url, deployment) -> str:
    with pytest.raises(ValidationError) as error:
        deployment_update(deployment=deployment, metadata_db_url=url)
    assert not Deployment.objects.get(pk=deployment.pk).has_metadata_db_url
    return " ".join(error.value.messages)


def _keys(db, table="variable"):
    column = "conn_id" if table == "connection" else '"key"'
    return {row[0] for row in db.conn.execute(f"SELECT {column} FROM {table}")}


@pytest.fixture
def other_team_deployment(other_workspace):
    """Workspace B's Deployment; its Airflow database holds B's unencrypted rows."""
    return DeploymentFactory(workspace=other_workspace, name="b-prod")


# --- 1. Cross-tenant read and delete ------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_an_owner_cannot_point_a_deployment_at_another_workspaces_airflow(
    make_airflow_db, engine, dev, other_team_deployment
):
    url, db = make_airflow_db(engine=engine, keys=[])
    db.add_variable("b_secret", "b-value", encrypt=False)
    deployment_update(deployment=other_team_deployment, metadata_db_url=url)  # B's Owner set it first

    assert CLAIMED in _refusal(url, dev)  # A's Owner tries the same database
    with pytest.raises(MigrationNotPossible, match="no Airflow metadata database URL"):
        airflow_migration_plan(deployment=Deployment.objects.get(pk=dev.pk), kind=Kind.VARIABLE)
    assert _keys(db) == {"b_secret"}


def test_another_spelling_of_the_same_sqlite_file_is_the_same_database(make_airflow_db, tmp_path, dev, other_team_deployment):
    url, _ = make_airflow_db(engine="sqlite")
    deployment_update(deployment=other_team_deployment, metadata_db_url=url)
    path = url.removeprefix("sqlite:///")
    alias = tmp_path / "airflow" / "alias.db"
    alias.symlink_to(path)
    hard = tmp_path / "airflow" / "hard.db"
    os.link(path, hard)

    for spelling in (f"sqlite:///{alias}", f"sqlite:///{hard}", f"sqlite:///{tmp_path}/airflow/./x/../{os.path.basename(path)}"):
        assert CLAIMED in _refusal(spelling, dev)


@pytest.mark.skipif(not _postgres_available(), reason="needs a PostgreSQL server for an Airflow database")
def test_another_host_name_for_the_same_postgresql_database_is_the_same_database(make_airflow_db, dev, other_team_deployment):
    url, _ = make_airflow_db(engine="postgresql")
    deployment_update(deployment=other_team_deployment, metadata_db_url=url)
    assert "127.0.0.1" in url
    assert CLAIMED in _refusal(url.replace("127.0.0.1", "localhost"), dev)


def test_sqlite_outside_the_allowed_folder_is_refused_before_the_file_is_looked_at(tmp_path, dev):
    url = f"sqlite:///{tmp_path}/elsewhere.db"
    sqlite3.connect(tmp_path / "elsewhere.db").close()
    assert NOT_ALLOWED in _refusal(url, dev)


def test_the_allow_list_setting_decides(settings, make_airflow_db, tmp_path, dev):
    url, _ = make_airflow_db(engine="sqlite")
    settings.ENVMANAGER_METADATA_DB_ALLOWED = ["postgresql://*.airflow.internal:5432/*"]
    assert NOT_ALLOWED in _refusal(url, dev)
    settings.ENVMANAGER_METADATA_DB_ALLOWED = [f"sqlite:///{tmp_path}/airflow/*.db"]
    assert deployment_update(deployment=dev, metadata_db_url=url).has_metadata_db_url


@pytest.mark.parametrize("pattern, subject, allowed", [
    ("postgres://*.airflow.internal:5432/*", "postgresql://db1.airflow.internal:5432/airflow", True),
    ("postgres://*.airflow.internal:5432/*", "postgresql://db1.airflow.internal:6543/airflow", False),
    ("postgres://*.airflow.internal/*", "postgresql://evil.com/x.airflow.internal:5432/airflow", False),
    ("postgres://*.airflow.internal/*", "postgresql://a.airflow.internal:5432/airflow", True),
    ("sqlite:///var/lib/airflow/*.db", "sqlite:////var/lib/airflow/prod.db", True),
    ("sqlite:///var/lib/airflow/*.db", "sqlite:////var/lib/airflow/sub/prod.db", False),
    ("sqlite:////var/lib/airflow/**", "sqlite:////var/lib/airflow/sub/prod.db", True),
])
def test_allow_list_patterns(settings, pattern, subject, allowed):
    from envmanager.airflow_db.confinement import is_allowed

    settings.ENVMANAGER_METADATA_DB_ALLOWED = [pattern]
    assert is_allowed(subject) is allowed


@pytest.mark.skipif(not _postgres_available(), reason="needs PostgreSQL")
def test_envmanagers_own_database_is_refused(dev):
    own = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("envmanager runs on SQLite in this pass")
    url = f"postgresql://{own['USER']}@{own['HOST'] or '127.0.0.1'}:{own['PORT'] or 5432}/{own['NAME']}"
    assert "envmanager's own database" in _refusal(url, dev)
    assert "envmanager's own database" in _refusal(url.replace("127.0.0.1", "localhost"), dev)


# --- 2. Databases that are not Airflow's ----------------------------------------------------------------


def _other_application(tmp_path) -> str:
    path = tmp_path / "airflow" / "shop.db"
    path.parent.mkdir(exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE variable (id INTEGER PRIMARY KEY, "key" TEXT, val TEXT)')
        conn.execute("INSERT INTO variable (\"key\", val) VALUES ('price', '10')")
    return f"sqlite:///{path}"


def test_another_applications_database_is_refused_and_untouched(tmp_path, dev):
    url = _other_application(tmp_path)
    assert "no 'alembic_version' table" in _refusal(url, dev)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("SELECT \"key\", val FROM variable").fetchall() == [("price", "10")]


@pytest.mark.parametrize("change, message", [
    ("UPDATE alembic_version SET version_num = 'abc123'", "not the schema revision of a released Airflow"),
    ("INSERT INTO alembic_version VALUES ('second')", "not the schema revision of a released Airflow"),
    ("DROP TABLE dag", "no 'dag' table"),
    ("ALTER TABLE connection DROP COLUMN conn_type", "unknown layout (missing conn_type)"),
])
def test_a_database_airflow_did_not_make_is_refused(make_airflow_db, dev, change, message):
    url, db = make_airflow_db(engine="sqlite")
    db.execute(change)
    assert message in _refusal(url, dev)


def test_a_database_that_stops_being_airflows_is_refused_before_any_key_is_listed(airflow, source_deployment):
    _, db = airflow
    db.add_variable("kept", "value")
    db.execute("UPDATE alembic_version SET version_num = 'not-airflow'")

    with pytest.raises(MetadataDatabaseError, match="not the schema revision"):
        airflow_migration_plan(deployment=source_deployment, kind=Kind.VARIABLE)
    with pytest.raises(MetadataDatabaseError, match="not the schema revision"):
        airflow_migration_apply(deployment=source_deployment, kind=Kind.VARIABLE, source_ids=[1], actor=None)
    assert _keys(db) == {"kept"} and not EnvObject.objects.exists()


def test_a_replaced_database_file_is_refused_until_the_url_is_set_again(make_airflow_db, dev):
    url, _ = make_airflow_db(engine="sqlite")
    dev = deployment_update(deployment=dev, metadata_db_url=url)
    path = url.removeprefix("sqlite:///")
    os.replace(make_airflow_db(engine="sqlite")[0].removeprefix("sqlite:///"), path)  # another file, same name

    with pytest.raises(MetadataDatabaseError, match="reaches another database"):
        airflow_migration_plan(deployment=dev, kind=Kind.VARIABLE)


# --- 3. File and network primitives ---------------------------------------------------------------------


def test_no_file_existence_oracle(dev):
    """/etc/passwd exists, /root/.ssh/id_rsa may, /nonexistent does not: the answers are the same."""
    answers = {
        path: _refusal(f"sqlite:///{path}", dev).replace(path, "PATH")
        for path in ("/etc/passwd", "/root/.ssh/id_rsa", "/nonexistent/x.db", "/etc")
    }
    assert len(set(answers.values())) == 1, answers
    assert NOT_ALLOWED in answers["/etc/passwd"]


@pytest.mark.parametrize("query", ["?mode=rwc", "?mode=rwc&x=", "?vfs=unix-none", "#frag"])
def test_url_parameters_never_reach_sqlite_and_no_file_is_created(tmp_path, dev, query):
    (tmp_path / "airflow").mkdir()
    for path in (tmp_path / "airflow" / "new.db", tmp_path / "x.db"):
        assert "takes no parameters" in _refusal(f"sqlite:///{path}{query}", dev)
        assert not path.exists()
    assert "takes no parameters" in _refusal(f"sqlite:///x.db{query}", dev)
    assert not os.path.exists("x.db")


def test_relative_and_special_sqlite_paths_are_refused(tmp_path, dev):
    assert "must be absolute" in _refusal("sqlite:///x.db", dev)
    assert "must be absolute" in _refusal("sqlite:///:memory:", dev)
    assert "names a file on this server" in _refusal("sqlite://host/x.db", dev)


def test_a_fifo_is_refused_at_once(tmp_path, dev):
    folder = tmp_path / "airflow"
    folder.mkdir()
    os.mkfifo(folder / "pipe.db")
    answers = []
    worker = threading.Thread(target=lambda: answers.append(_fifo_answer(folder / "pipe.db", dev)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "opening a FIFO hung the worker"
    assert answers == ["not a regular file"]


def _fifo_answer(path, dev):
    try:
        metadata_db_address(f"sqlite:///{path}")
    except MetadataDatabaseError as exc:
        return "not a regular file" if "is not a regular file" in str(exc) else str(exc)
    return "accepted"


def test_a_folder_and_a_symlink_out_of_the_allowed_folder_are_refused(tmp_path, dev):
    folder = tmp_path / "airflow"
    (folder / "sub.db").mkdir(parents=True)
    (folder / "passwd.db").symlink_to("/etc/passwd")
    assert "is not a regular file" in _refusal(f"sqlite:///{folder}/sub.db", dev)
    assert NOT_ALLOWED in _refusal(f"sqlite:///{folder}/passwd.db", dev)
    assert "/etc/passwd" not in _refusal(f"sqlite:///{folder}/passwd.db", dev)  # where it points is not said


class _Listener:
    """A loopback TCP server that is not PostgreSQL; records what it received."""

    def __init__(self, reply: bytes):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.reply = reply
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(2)
            try:
                self.received += conn.recv(4096)
                conn.sendall(self.reply)
            except OSError:
                pass

    def close(self):
        self.sock.close()


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_postgresql_answers_are_no_port_scan_oracle(dev):
    http = _Listener(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    try:
        targets = {"closed": _closed_port(), "http": http.port}
        if _postgres_available():
            targets["postgresql, no such database"] = 5432
        answers = {
            name: _refusal(f"postgresql://airflow:pw@127.0.0.1:{port}/airflow", dev).replace(str(port), "PORT")
            for name, port in targets.items()
        }
    finally:
        http.close()
    assert len(set(answers.values())) == 1, answers
    assert "Could not connect to an Airflow metadata database" in answers["closed"]


def test_control_characters_never_reach_a_socket(dev):
    listener = _Listener(b"")
    try:
        for url in (
            f"postgresql://air%0D%0Aflow@127.0.0.1:{listener.port}/airflow",
            f"postgresql://airflow@127.0.0.1:{listener.port}/air%0D%0AQUIT",
            f"postgresql://airflow:p%0Aw@127.0.0.1:{listener.port}/airflow",
        ):
            assert "control characters" in _refusal(url, dev)
    finally:
        listener.close()
    assert listener.received == b""


@pytest.mark.parametrize("url, message", [
    ("postgresql://a@127.0.0.1/airflow?options=-c%20search_path%3Devil", "parameter 'options' is not accepted"),
    ("postgresql://a@127.0.0.1/airflow?host=/var/run/postgresql", "one host name or IP address"),
    ("postgresql://a@db1,db2/airflow", "one host name or IP address"),
    ("postgresql://a@127.0.0.1/airflow?sslrootcert=/etc/passwd", "sslrootcert must be 'system' or a certificate file"),
    ("postgresql://a@127.0.0.1/airflow?sslmode=bogus", "sslmode must be one of"),
    ("postgresql://a@127.0.0.1:99999/airflow", "malformed"),
    ("postgresql://127.0.0.1/airflow", "needs a user name"),
    ("postgresql://a@127.0.0.1/", "needs a database name"),
])
def test_only_known_postgresql_parameters_are_accepted(dev, url, message):
    assert message in _refusal(url, dev)


@pytest.mark.parametrize("url", [
    "postgresql://airflow:hunter2-pw@127.0.0.1:1/airflow",
    "postgresql://airflow@127.0.0.1:1/airflow?password=hunter2-pw",
    "postgresql://airflow@127.0.0.1:1/airflow?password=hunter2-pw&options=x",
    "postgresql://airflow:hunter2-pw@127.0.0.1:1/airflow?sslmode=bogus",
    "postgresql://airflow:hunter2-pw%0A@127.0.0.1:1/airflow",
    "mysql://airflow:hunter2-pw@127.0.0.1:1/airflow",
])
def test_errors_never_contain_the_password(dev, url, caplog):
    assert "hunter2-pw" not in _refusal(url, dev)
    assert "hunter2-pw" not in caplog.text


def test_operators_cannot_set_the_url_or_keys_through_the_service(workspace, dev, operator, owner, make_airflow_db):
    url, _ = make_airflow_db(engine="sqlite")
    for secrets in ({"metadata_db_url": url}, {"fernet_keys": AIRFLOW_FERNET_KEY}, {"clear_fernet_keys": True}):
        with pytest.raises(PermissionDenied):
            deployment_update(deployment=dev, actor=operator, **secrets)
    assert deployment_update(deployment=dev, actor=owner, metadata_db_url=url).has_metadata_db_url
    assert deployment_update(deployment=dev, actor=operator, name="dev-2").name == "dev-2"


# --- 4. Two Deployments sharing one metadata database ---------------------------------------------------


def _share_behind_the_services(url, *deployments):
    """Two Deployments given one database before envmanager recorded identities (an upgraded install)."""
    Deployment.objects.filter(pk__in=[d.pk for d in deployments]).update(
        metadata_db_url_encrypted=crypto.encrypt(url), fernet_keys_encrypted=crypto.encrypt(AIRFLOW_FERNET_KEY),
        metadata_db_identity=None,
    )
    return [Deployment.objects.get(pk=d.pk) for d in deployments]


def test_two_deployments_that_shared_a_database_before_cannot_both_migrate_from_it(airflow, dev, other_team_deployment):
    url, db = airflow
    ids = [db.add_connection(f"conn_{i}", "http", host="h") for i in range(5)]
    first, second = _share_behind_the_services(url, dev, other_team_deployment)

    result = airflow_migration_apply(deployment=first, kind=Kind.CONNECTION, source_ids=ids, actor=None)
    assert len(result.migrated) == 5
    with pytest.raises(MetadataDatabaseError, match=CLAIMED):
        airflow_migration_plan(deployment=second, kind=Kind.CONNECTION)
    with pytest.raises(MetadataDatabaseError, match=CLAIMED):
        airflow_migration_apply(deployment=second, kind=Kind.CONNECTION, source_ids=ids, actor=None)
    assert EnvObject.objects.filter(workspace=second.workspace).count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
@pytest.mark.parametrize("engine", ["postgresql"])
def test_two_deployments_sharing_a_database_migrated_at_once_lose_nothing(airflow):
    """Finding 4: 200 connections deleted from Airflow and linked only to the other Deployment."""
    url, db = airflow
    ids = [db.add_connection(f"conn_{i}", "http", host="h") for i in range(200)]
    workspaces = [WorkspaceFactory(name=f"Team {n}") for n in "AB"]
    deployments = _share_behind_the_services(url, *[DeploymentFactory(workspace=w, name="prod") for w in workspaces])
    for workspace in workspaces:
        MembershipFactory(workspace=workspace, user=UserFactory(username=f"owner-{workspace.pk}"), role=Role.OWNER)
    [result], [refusal] = run_together(
        *(partial(airflow_migration_apply, deployment=d, kind=Kind.CONNECTION, source_ids=ids, actor=None)
          for d in deployments),
        timeout=120,
    )
    assert isinstance(refusal, MetadataDatabaseError) and CLAIMED in str(refusal)
    winner = result.run.deployment
    assert len(result.migrated) == 200 and _keys(db, "connection") == set()
    assert EnvObject.objects.filter(workspace_id=winner.workspace_id).count() == 200
    assert EnvObject.objects.exclude(workspace_id=winner.workspace_id).count() == 0


def test_psycopg_reads_no_password_file_of_the_server_account(monkeypatch, tmp_path, dev):
    """libpq would use ~/.pgpass for a URL without a password; envmanager points it at nothing."""
    if not _postgres_available():
        pytest.skip("needs PostgreSQL")
    captured = {}
    real_connect = psycopg.connect

    def spy(**kwargs):
        captured.update(kwargs)
        return real_connect(**kwargs)

    monkeypatch.setattr(psycopg, "connect", spy)
    _refusal(f"{PG_SERVER.replace('postgres://', 'postgresql://')}/no_such_airflow_db", dev)
    assert captured["passfile"].startswith("/nonexistent/") and captured["gssencmode"] == "disable"
    assert "options" in captured and "statement_timeout" in captured["options"]


@pytest.mark.skipif(not _postgres_available(), reason="needs a PostgreSQL server for an Airflow database")
def test_the_identity_falls_back_to_the_server_address_without_pg_control_system(make_airflow_db, monkeypatch):
    from envmanager.airflow_db.database import MetadataDatabase, open_metadata_database

    url, _ = make_airflow_db(engine="postgresql")
    with open_metadata_database(url) as database:
        preferred = database.identity()
    real_execute = MetadataDatabase.execute

    def execute(self, sql, params=()):
        if "pg_control_system" in sql:
            raise MetadataDatabaseError("The Airflow metadata database refused a query: permission denied")
        return real_execute(self, sql, params)

    monkeypatch.setattr(MetadataDatabase, "execute", execute)
    with open_metadata_database(url) as database:
        fallback = database.identity()
    name = url.rsplit("/", 1)[1]
    assert preferred.startswith("postgresql:") and preferred.endswith(f"/{name}")
    assert fallback == f"postgresql:127.0.0.1:5432/{name}"
