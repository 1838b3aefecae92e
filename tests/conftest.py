import pytest
from cryptography.fernet import Fernet

from envmanager.airflow_db.sample import create_sample_database
from envmanager.models import Role
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from envmanager.services.workspaces import deployment_update
from tests.factories import (
    ConnectionFactory,
    DeploymentFactory,
    EnvVarFactory,
    IdeProjectFactory,
    MembershipFactory,
    MetricsExportFactory,
    UserFactory,
    VariableFactory,
    WorkspaceFactory,
)
from tests.live_server_sqlite import install as serialize_the_live_server_on_sqlite

serialize_the_live_server_on_sqlite()

# A fixed key so secrets written in one test step decrypt in the next; tests that rotate set their own.
TEST_ENCRYPTION_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The read API's failed-token counters live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # files the app writes beside its database (demo Airflow database)
    settings.ENVMANAGER_ENCRYPTION_KEYS = [TEST_ENCRYPTION_KEY]
    # Password hashing is slow on purpose; tests create many users and never attack them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Data Platform")


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory(name="Other Team")


@pytest.fixture
def dev(workspace):
    return DeploymentFactory(workspace=workspace, name="dev")


@pytest.fixture
def prod(workspace):
    return DeploymentFactory(workspace=workspace, name="prod")


def _member(workspace, role, username=None):
    user = UserFactory(username=username or role)
    MembershipFactory(workspace=workspace, user=user, role=role)
    return user


def _role_fixture(role: Role):
    """A fixture for a member of `workspace` with `role`, named (and with the username) after it."""

    @pytest.fixture(name=role.value)
    def member_with_role(workspace):
        return _member(workspace, role)

    member_with_role.__doc__ = f"A user who is {role.label} of `workspace`."
    return member_with_role


owner, operator, author, member = (_role_fixture(role) for role in (Role.OWNER, Role.OPERATOR, Role.AUTHOR, Role.MEMBER))


@pytest.fixture
def outsider(other_workspace):
    """An Owner of another Workspace: powerful there, a stranger here."""
    return _member(other_workspace, Role.OWNER, username="outsider")


@pytest.fixture
def ide_project(workspace):
    return IdeProjectFactory(workspace=workspace, name="notebooks")


# --- What a Deployment receives (read API, exports, the Airflow secrets backend) ---------------------

# Marker secrets: tests assert they appear where the feature delivers them and nowhere else.
WAREHOUSE_PASSWORD = "wh-workspace-pw-5b1e"
WAREHOUSE_DEV_PASSWORD = "wh-dev-override-pw-77c2"
API_KEY_VALUE = "sk-dev-variable-secret-9d4a"


@pytest.fixture
def warehouse(workspace, dev):
    """A Workspace connection linked to all Deployments; dev overrides its host and password."""
    connection = ConnectionFactory(
        workspace=workspace, key="warehouse", linked_to_all=True,
        fields={
            "conn_type": "postgres", "host": "db.internal", "login": "etl", "password": WAREHOUSE_PASSWORD,
            "port": 5432, "schema": "analytics", "extra": {"sslmode": "require"}, "description": "Main warehouse",
        },
    )
    link_services.link_set_override(
        env_object=connection, actor=None, target=dev,
        fields={"host": "db-dev.internal", "password": WAREHOUSE_DEV_PASSWORD},
    )
    return connection


@pytest.fixture
def environment(workspace, dev, prod, warehouse):
    """A small environment: a Workspace connection linked to all (dev overrides it), Deployment objects on dev."""
    shared_var = VariableFactory(workspace=workspace, key="region", fields={"value": "eu-west-1", "description": "Cloud region"})
    link_services.link_create(env_object=shared_var, actor=None, target=dev)
    link_services.link_create(env_object=shared_var, actor=None, target=prod)
    VariableFactory(workspace=workspace, deployment=dev, key="api_key", is_secret=True, fields={"value": API_KEY_VALUE})
    VariableFactory(workspace=workspace, deployment=prod, key="prod_only", fields={"value": "prod value"})
    EnvVarFactory(workspace=workspace, deployment=dev, key="LOG_LEVEL", fields={"value": "debug"})
    MetricsExportFactory(
        workspace=workspace, deployment=dev, key="prometheus",
        fields={"endpoint": "https://metrics.example.com/api/v1/write", "exporter_type": "prometheus_remote_write"},
    )
    return {"warehouse": warehouse, "region": shared_var}


@pytest.fixture
def dev_token(dev):
    return token_services.api_token_create(actor=None, name="airflow-dev", target=dev)


# --- An Airflow metadata database to migrate from ----------------------------------------------------

# Planted as the warehouse password in `airflow_db`: a migration moves it and must never show it.
AIRFLOW_DB_SECRET = "migrate-airflow-secret-3f9a"
AIRFLOW_DB_FERNET_KEY = Fernet.generate_key().decode()


@pytest.fixture
def airflow_db(tmp_path, workspace, dev):
    """dev's Airflow database: a connection, one with an invalid key, and a variable that exists in the Workspace."""
    url = f"sqlite:///{tmp_path}/airflow/airflow.db"  # <VAR_DIR>/airflow: the default allow-list
    db = create_sample_database(url, fernet_keys=[AIRFLOW_DB_FERNET_KEY])
    db.add_connection("warehouse", "postgres", host="db", password=AIRFLOW_DB_SECRET)
    db.add_connection("bad key", "http")
    db.add_variable("region", "eu")
    db.add_variable("shared", "dev-value")
    VariableFactory(workspace=workspace, key="shared", fields={"value": "workspace-value"})
    deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=AIRFLOW_DB_FERNET_KEY)
    yield db
    db.close()


def airflow_url(name: str = "airflow", *, layout: str = "3") -> str:
    """Create an empty Airflow metadata database (SQLite) in `<VAR_DIR>/airflow/` and return its URL.

    The folder the default ENVMANAGER_METADATA_DB_ALLOWED opens SQLite files in. `name` may hold a marker
    secret: the URL is a secret, and tests assert it is never shown.
    """
    from django.conf import settings

    url = f"sqlite:///{settings.VAR_DIR}/airflow/{name}.db"
    create_sample_database(url, layout=layout, fernet_keys=[]).close()
    return url


def airflow_db_keys(db, table: str) -> set[str]:
    """Return the keys still in `table` ("connection" or "variable") of an Airflow database."""
    column = "conn_id" if table == "connection" else '"key"'
    return {row[0] for row in db.conn.execute(f"SELECT {column} FROM {table}")}


def pytest_collection_modifyitems(config, items):
    """Skip tests marked postgres_only when the suite runs on SQLite (the CI runs them on PostgreSQL), and
    tests marked layout on PostgreSQL (how a page looks does not depend on the database; bin/test runs
    the SQLite pass first, so they still run in every bin/test)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        marker, reason = "layout", "layout only: runs in the SQLite pass"
    else:
        marker, reason = "postgres_only", "needs PostgreSQL (row locks, prepared statements): runs in the PostgreSQL pass"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if marker in item.keywords:
            item.add_marker(skip)
