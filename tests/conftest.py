import pytest
from cryptography.fernet import Fernet

from accounts.models import Role
from tests.factories import DeploymentFactory, MembershipFactory, UserFactory, WorkspaceFactory

# A fixed key so secrets written in one test step decrypt in the next; tests that rotate set their own.
TEST_ENCRYPTION_KEY = Fernet.generate_key().decode()


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


@pytest.fixture
def owner(workspace):
    return _member(workspace, Role.OWNER)


@pytest.fixture
def operator(workspace):
    return _member(workspace, Role.OPERATOR)


@pytest.fixture
def author(workspace):
    return _member(workspace, Role.AUTHOR)


@pytest.fixture
def member(workspace):
    return _member(workspace, Role.MEMBER)


@pytest.fixture
def outsider(other_workspace):
    """An Owner of another Workspace: powerful there, a stranger here."""
    return _member(other_workspace, Role.OWNER, username="outsider")


def pytest_collection_modifyitems(config, items):
    """Skip tests marked postgres_only when the suite runs on SQLite (the CI runs them on PostgreSQL)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: real row locks between threads (runs in the PostgreSQL pass)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
