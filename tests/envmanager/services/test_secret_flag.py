"""The secret flag only tightens without a new value: unticking it never unseals a stored secret (issue #10,
finding 5), in the service and in the interfaces that reach it (the admin: tests/admin/test_env_object_admin.py)."""


import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from envmanager.kinds import Kind
from envmanager.models import AuditEntry, EnvObject, Link
from envmanager.selectors.environment import deployment_effective_environment
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.services.audit import SECRET_SET
from tests.factories import EnvVarFactory, VariableFactory
from tests.views.conftest import sign_in, url

OLD_SECRET = "old-secret-7f2a"
OVERRIDE_SECRET = "override-secret-91cc"


@pytest.fixture
def api_key(workspace, dev):
    """A secret Workspace variable linked to dev."""
    variable = VariableFactory(workspace=workspace, key="api_key", is_secret=True, fields={"value": OLD_SECRET})
    link_services.link_create(env_object=variable, actor=None, target=dev)
    return variable


def _stored(env_object) -> EnvObject:
    return EnvObject.objects.get(pk=env_object.pk)


def _nowhere_plain(secret: str) -> None:
    """The secret is in no plain column and no audit entry."""
    assert secret not in repr(list(EnvObject.objects.values_list("data", flat=True)))
    assert secret not in repr(list(Link.objects.values_list("override_data", flat=True)))
    assert secret not in repr(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_unticking_secret_without_a_new_value_is_refused(api_key, author):
    with pytest.raises(ValidationError, match="enter its new value"):
        env_object_services.env_object_update(env_object=api_key, actor=None, is_secret=False)
    stored = _stored(api_key)
    assert stored.is_secret and stored.reveal("value") == OLD_SECRET and stored.data == {}
    _nowhere_plain(OLD_SECRET)


def test_unticking_secret_with_a_new_value_stores_only_the_new_value(api_key, dev):
    env_object_services.env_object_update(env_object=api_key, actor=None, is_secret=False, fields={"value": "public"})

    stored = _stored(api_key)
    assert (stored.is_secret, stored.data, stored.secrets) == (False, {"value": "public"}, {})
    [entry] = deployment_effective_environment(deployment=dev)
    assert entry.reveal()["value"] == "public"
    audit = AuditEntry.objects.filter(action="env_object.update").get()
    assert audit.changes["before"]["fields"]["value"] == SECRET_SET and audit.changes["after"]["fields"]["value"] == "public"
    _nowhere_plain(OLD_SECRET)


def test_an_override_holding_a_secret_value_blocks_making_it_plain(api_key, dev):
    link_services.link_set_override(env_object=api_key, actor=None, target=dev, fields={"value": OVERRIDE_SECRET})

    with pytest.raises(ValidationError, match="Deployment 'dev' overrides the secret value"):
        env_object_services.env_object_update(env_object=api_key, actor=None, is_secret=False, fields={"value": "x"})
    assert _stored(api_key).is_secret
    assert Link.objects.get(env_object=api_key).reveal_override("value") == OVERRIDE_SECRET
    _nowhere_plain(OLD_SECRET)
    _nowhere_plain(OVERRIDE_SECRET)


def test_the_edit_form_asks_for_the_new_value(client, operator, workspace, api_key):
    sign_in(client, operator)
    response = client.post(url("env-object-edit", workspace.pk, api_key.pk), {"value": ""})  # "Secret" unticked

    assert response.status_code == 200 and "enter its new value" in response.text
    assert OLD_SECRET not in response.text and _stored(api_key).is_secret
    client.post(url("env-object-edit", workspace.pk, api_key.pk), {"value": "typed-plain"})
    assert _stored(api_key).data == {"value": "typed-plain"}
    _nowhere_plain(OLD_SECRET)


def test_env_set_no_secret_needs_a_value(workspace, dev):
    EnvVarFactory(workspace=workspace, deployment=dev, key="DB_PASSWORD", is_secret=True, fields={"value": OLD_SECRET})
    with pytest.raises(CommandError, match="enter its new value"):
        call_command("env_set", type="env", key="DB_PASSWORD", deployment="dev", is_secret=False)
    call_command("env_set", type="env", key="DB_PASSWORD", deployment="dev", is_secret=False, value="plain-now")
    assert EnvObject.objects.get(key="DB_PASSWORD").data == {"value": "plain-now"}
    _nowhere_plain(OLD_SECRET)


@pytest.mark.parametrize("kind", [Kind.VARIABLE, Kind.ENV])
def test_making_a_value_secret_still_works_without_a_new_value(workspace, dev, kind):
    factory = VariableFactory if kind == Kind.VARIABLE else EnvVarFactory
    env_object = factory(workspace=workspace, key="K1", fields={"value": "was-plain"})
    link_services.link_create(env_object=env_object, actor=None, target=dev)
    link_services.link_set_override(env_object=env_object, actor=None, target=dev, fields={"value": "dev-plain"})

    env_object_services.env_object_update(env_object=env_object, actor=None, is_secret=True)

    stored = _stored(env_object)
    assert stored.is_secret and stored.data == {} and stored.reveal("value") == "was-plain"
    assert Link.objects.get(env_object=env_object).reveal_override("value") == "dev-plain"
