import pytest
from django.urls import reverse

from tests.factories import ConnectionFactory, IdeProjectFactory

ROLES = ("owner", "operator", "author", "member")
EDITORS = ("owner", "operator")


@pytest.fixture
def users(owner, operator, author, member, outsider):
    """Every role of the Workspace, and an Owner of another Workspace."""
    return {"owner": owner, "operator": operator, "author": author, "member": member, "outsider": outsider}


@pytest.fixture
def ide(workspace):
    return IdeProjectFactory(workspace=workspace, name="notebooks")


@pytest.fixture
def conn(workspace):
    return ConnectionFactory(
        workspace=workspace,
        key="warehouse",
        fields={
            "conn_type": "postgres", "host": "db.internal", "port": 5432, "login": "etl",
            "password": "hunter2-pw", "extra": {"sslmode": "require"},
        },
    )


def htmx_headers(current_url: str = "/") -> dict:
    return {"HX-Request": "true", "HX-Current-URL": f"http://testserver{current_url}"}


def url(name, *args):
    return reverse(f"envmanager:{name}", args=args)


def sign_in(client, user):
    """Log `user` in. Reloaded first: the user factory sets the password on the instance only, so the
    instance's session hash would not match the stored row and the session would be dropped."""
    user.refresh_from_db()
    client.force_login(user)
    return user
