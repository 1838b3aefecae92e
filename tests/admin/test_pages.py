"""Every admin page loads for a superuser, and none of them shows a secret."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group

from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import AuditEntry, Deployment, EnvObject, IdeProject, Link, Membership, Workspace, WorkspaceRoleGroup
from tests.admin.conftest import MARKER, admin_url

OUR_MODELS = [Workspace, Deployment, IdeProject, EnvObject, Link, AuditEntry, Membership, WorkspaceRoleGroup]
ADDABLE = [Workspace, Deployment, IdeProject, EnvObject, Link, Membership]


def _objects(model):
    return list(model._default_manager.all())


def test_our_models_and_no_permission_tables_are_registered():
    registered = set(admin.site._registry)
    assert set(OUR_MODELS) <= registered
    assert not {m for m in registered if m.__name__.endswith("ObjectPermission")}


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_changelist_loads(su_client, secret_world, model):
    response = su_client.get(admin_url(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model._default_manager.count() > 0


@pytest.mark.parametrize("model", ADDABLE, ids=lambda m: m.__name__)
def test_add_page_loads(su_client, secret_world, model):
    assert su_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("kind", list(Kind), ids=str)
def test_env_object_add_page_is_built_for_the_chosen_kind(su_client, db, kind):
    response = su_client.get(admin_url(EnvObject, "add"), {"kind": kind.value})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(KIND_SPECS[kind].field_names) <= set(form.fields)


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_change_page_loads_for_every_object(su_client, secret_world, model):
    for obj in _objects(model):
        assert su_client.get(admin_url(obj, "change")).status_code == 200, obj


def _every_admin_page(client) -> dict[str, bytes]:
    """Fetch every changelist, add, change, history and delete page of our models (and auth's)."""
    pages = {}

    def fetch(url, data=None, method="get"):
        response = getattr(client, method)(url, data or {})
        assert response.status_code in (200, 403), (url, response.status_code)
        pages[f"{method} {url} {data or ''}"] = response.content

    for model in [*OUR_MODELS, Group, type(Membership.objects.first().user)]:
        fetch(admin_url(model))
        fetch(admin_url(model, "add"))
        for obj in _objects(model):
            for view in ("change", "history", "delete"):
                fetch(admin_url(obj, view))
    for kind in Kind:
        fetch(admin_url(EnvObject, "add"), {"kind": kind.value})
    # The bulk delete confirmation lists the objects and everything deleted with them.
    for model in (EnvObject, Link, Membership):
        selected = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)]
        fetch(admin_url(model), {"action": "delete_selected", "_selected_action": selected}, method="post")
    return pages


def test_no_admin_page_shows_a_secret_or_its_ciphertext(su_client, secret_world):
    # Edit through the admin first, so the history pages have entries too.
    connection = secret_world.connection
    response = su_client.post(admin_url(connection, "change"), {
        "conn_type": "postgres", "host": "db2.example.com", "login": "app", "port": "5432",
        "password": f"{MARKER}-new", "description": "", "schema": "", "linked_to_all": "on",
    })
    assert response.status_code == 302
    assert LogEntry.objects.filter(object_id=str(connection.pk)).exists()
    tokens = secret_world.tokens()
    assert len(tokens) >= 10

    pages = _every_admin_page(su_client)

    assert len(pages) > 50
    for name, content in pages.items():
        text = content.decode()
        assert MARKER not in text, name
        assert secret_world.fernet_key not in text, name
        for token in tokens:
            assert token not in text, name
        assert "gAAAAA" not in text, name  # the prefix every Fernet token starts with
