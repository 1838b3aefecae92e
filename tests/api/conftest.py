import pytest

from envmanager.kinds import Kind
from envmanager.services import tokens as token_services

# The marker secrets live beside the shared `warehouse` fixture; the API tests import them from here.
from tests.conftest import API_KEY_VALUE, WAREHOUSE_DEV_PASSWORD, WAREHOUSE_PASSWORD  # noqa: F401
from tests.factories import (
    ConnectionFactory,
    VariableFactory,
)


@pytest.fixture
def prod_token(prod):
    return token_services.api_token_create(actor=None, name="airflow-prod", target=prod)


@pytest.fixture
def revoked_token(dev):
    issued = token_services.api_token_create(actor=None, name="old", target=dev)
    token_services.api_token_revoke(api_token=issued.api_token, actor=None)
    return issued


@pytest.fixture
def ide_token(ide_project):
    return token_services.api_token_create(actor=None, name="laptop", target=ide_project)


@pytest.fixture
def other_deployment_token(other_workspace):
    """A valid token of a Deployment in another Workspace, whose objects share keys with ours."""
    from tests.factories import DeploymentFactory

    elsewhere = DeploymentFactory(workspace=other_workspace, name="dev")
    ConnectionFactory(workspace=other_workspace, deployment=elsewhere, key="warehouse",
                      fields={"conn_type": "mysql", "host": "other.internal", "password": "other-team-pw"})
    VariableFactory(workspace=other_workspace, deployment=elsewhere, key="region", fields={"value": "us-east-1"})
    return token_services.api_token_create(actor=None, name="theirs", target=elsewhere)


def bearer(issued) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issued.plain}"}


KINDS = tuple(Kind)


def login(client, user):
    """Log `user` in as the database has them.

    UserFactory sets the password without saving it (`skip_postgeneration_save`), so the in-memory
    user's session hash would not match the stored row and the session would be dropped.
    """
    client.force_login(type(user).objects.get(pk=user.pk))
