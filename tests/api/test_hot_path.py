"""The hand-written token lookup returns what its ORM twin returns (selectors/hot_path.py)."""

import pytest

from envmanager.models import ApiToken
from envmanager.selectors.hot_path import active_token_by_hash
from envmanager.services import tokens as token_services


def _orm_twin(token_hash: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("workspace", "deployment", "ide_project")
        .filter(token_hash=token_hash, revoked_at__isnull=True)
        .first()
    )


def _shape(api_token: ApiToken | None):
    if api_token is None:
        return None
    target = api_token.deployment if api_token.deployment_id else api_token.ide_project
    return {
        "id": api_token.pk, "name": api_token.name, "prefix": api_token.prefix,
        "last_used_at": api_token.last_used_at,
        "workspace": (api_token.workspace_id, api_token.workspace.pk, api_token.workspace.name),
        "deployment_id": api_token.deployment_id, "ide_project_id": api_token.ide_project_id,
        "target": (type(target).__name__, target.pk, target.workspace_id, target.name),
    }


@pytest.fixture
def tokens(dev, prod, ide_project, other_workspace):
    from tests.factories import DeploymentFactory

    revoked = token_services.api_token_create(actor=None, name="old", target=dev)
    token_services.api_token_revoke(api_token=revoked.api_token, actor=None)
    used = token_services.api_token_create(actor=None, name="used", target=prod)
    token_services.api_token_authenticate(plain=used.plain)  # sets last_used_at
    return {
        "deployment": token_services.api_token_create(actor=None, name="airflow-dev", target=dev),
        "used": used,
        "ide project": token_services.api_token_create(actor=None, name="laptop", target=ide_project),
        "other workspace": token_services.api_token_create(
            actor=None, name="theirs", target=DeploymentFactory(workspace=other_workspace, name="dev")
        ),
        "revoked": revoked,
    }


@pytest.mark.parametrize("which", ["deployment", "used", "ide project", "other workspace", "revoked"])
def test_the_token_lookup_equals_its_orm_twin(tokens, which):
    token_hash = token_services.token_hash(tokens[which].plain)
    fast = _shape(active_token_by_hash(token_hash))
    assert fast == _shape(_orm_twin(token_hash))
    assert (fast is None) == (which == "revoked")


def test_an_unknown_hash_finds_nothing_either_way(tokens):
    unknown = token_services.token_hash("emt_" + "x" * 43)
    assert active_token_by_hash(unknown) is None and _orm_twin(unknown) is None


def _prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres_only
def test_on_postgresql_the_hot_path_runs_prepared_and_still_counts_as_a_query(tokens, dev):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from envmanager.selectors.hot_path import target_effective_entry

    token_hash = token_services.token_hash(tokens["deployment"].plain)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):  # the same answer from the statement's first (preparing) run and the next ones
            assert _shape(active_token_by_hash(token_hash)) == _shape(_orm_twin(token_hash))
            assert target_effective_entry(kind="variable", key="NO_SUCH_KEY", target=dev) is None
    assert sum("envmanager_apitoken t" in query["sql"] for query in queries.captured_queries) == 3
    statements = _prepared_statements()
    assert any("FROM envmanager_apitoken t" in statement for statement in statements)
    assert any("FROM envmanager_envobject o" in statement for statement in statements)


@pytest.mark.postgres_only
def test_prepared_statements_can_be_turned_off(tokens, settings):
    from psycopg import ClientCursor

    from envmanager.selectors import hot_path

    settings.ENVMANAGER_PREPARED_STATEMENTS = False
    with hot_path._cursor() as cursor:
        assert isinstance(cursor.cursor, ClientCursor)  # Django's own: binds on the client, never prepares
    token_hash = token_services.token_hash(tokens["deployment"].plain)
    assert _shape(active_token_by_hash(token_hash)) == _shape(_orm_twin(token_hash))
