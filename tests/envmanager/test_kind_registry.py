"""Adding a field to a type is one edit to `kinds.KIND_SPECS`: every reader picks it up.

The tests add two fields to the Airflow variable type at run time (a copy of its spec with the
fields appended, restored afterwards) and show that the page form, the admin form, `env_set`, the
effective environment (and `env_show`), the read API and the OpenAPI document all carry them with no
other edit.
"""

import dataclasses
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from envmanager.api import openapi
from envmanager.forms.environment import EnvObjectForm
from envmanager.kinds import KIND_SPECS, FieldSpec, Kind
from envmanager.models import EnvObject
from envmanager.selectors import environment
from envmanager.selectors.environment import deployment_effective_environment, entry_as_dict
from envmanager.selectors.exports import environment_export
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from tests.factories import VariableFactory

OWNER = FieldSpec("owner", "Owner team", help_text="The team to ask about this variable.")
RETRIES = FieldSpec("retries", "Retries", type="int", min_value=0, max_value=10)


def _forget_what_was_derived_from_the_registry():
    # The registry is fixed while a process runs, so two hot paths compute from it once; a restart after the
    # edit would start them afresh.
    environment._field_layout.cache_clear()
    openapi.openapi_document.cache_clear()


@pytest.fixture
def extended_variable(monkeypatch):
    """The variable type with two more fields, for this test only."""
    spec = KIND_SPECS[Kind.VARIABLE]
    monkeypatch.setitem(KIND_SPECS, Kind.VARIABLE, dataclasses.replace(spec, fields=(*spec.fields, OWNER, RETRIES)))
    _forget_what_was_derived_from_the_registry()
    yield KIND_SPECS[Kind.VARIABLE]
    _forget_what_was_derived_from_the_registry()


def test_the_page_form_has_the_new_fields_with_their_label_help_and_bounds(extended_variable):
    form = EnvObjectForm(kind=Kind.VARIABLE)
    assert [row.field.name for row in form.rows] == ["value", "description", "owner", "retries"]
    html = str(form["owner"]) + form["owner"].help_text + str(form["retries"])
    assert 'name="owner"' in html and "The team to ask about this variable." in html
    assert 'name="retries"' in html and 'max="10"' in html

    bad = EnvObjectForm({"key": "k", "value": "v", "retries": "11"}, kind=Kind.VARIABLE)
    assert not bad.is_valid() and bad.errors["retries"] == ["Retries must be between 0 and 10."]
    good = EnvObjectForm({"key": "k", "value": "v", "owner": "data", "retries": "3"}, kind=Kind.VARIABLE)
    assert good.is_valid(), good.errors
    assert good.create_kwargs()["fields"] == {"value": "v", "description": None, "owner": "data", "retries": 3}


def test_the_create_page_stores_the_new_fields(extended_variable, client, operator, workspace):
    client.force_login(operator)
    address = reverse("envmanager:env-object-create", args=[workspace.pk, "variables"])
    assert 'name="owner"' in client.get(address).content.decode()
    client.post(address, {"key": "from_page", "value": "v", "owner": "data", "retries": "2"})
    assert EnvObject.objects.get(key="from_page").data == {"value": "v", "owner": "data", "retries": 2}


def test_the_admin_form_has_and_saves_the_new_fields(extended_variable, client, workspace):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests"))
    address = reverse("admin:envmanager_envobject_add") + "?kind=variable"
    assert 'name="owner"' in client.get(address).content.decode()
    posted = {"workspace": workspace.pk, "key": "from_admin", "value": "v", "owner": "data"}
    response = client.post(address, {**posted, "retries": "11"})
    assert response.context["adminform"].form.errors["retries"] == ["Retries must be between 0 and 10."]
    client.post(address, {**posted, "retries": "4"})
    assert EnvObject.objects.get(key="from_admin").data == {"value": "v", "owner": "data", "retries": 4}


def _env_set(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("env_set", *args, stdout=out, stderr=err, stdin=io.StringIO(""))
    return out.getvalue()


def test_env_set_has_options_for_the_new_fields(extended_variable, workspace):
    common = ("--workspace", workspace.name, "--type", "variable", "--key", "from_cli")
    with pytest.raises(CommandError, match="Retries must be between 0 and 10."):
        _env_set(*common, "--value", "v", "--retries", "11")
    output = _env_set(*common, "--value", "v", "--owner", "data", "--retries", "5")
    assert "owner: data" in output and "retries: 5" in output
    assert EnvObject.objects.get(key="from_cli").data == {"value": "v", "owner": "data", "retries": 5}
    _env_set(*common, "--clear", "owner")
    assert EnvObject.objects.get(key="from_cli").data == {"value": "v", "retries": 5}


def test_effective_environment_read_api_and_openapi_carry_the_new_fields(extended_variable, client, workspace, dev):
    variable = VariableFactory(workspace=workspace, key="shared", fields={"value": "v", "owner": "data"})
    link_services.link_create(env_object=variable, actor=None, target=dev)
    link_services.link_set_override(env_object=variable, actor=None, target=dev, fields={"retries": 7})

    (entry,) = deployment_effective_environment(deployment=dev, kinds=(Kind.VARIABLE,))
    assert entry.fields["owner"].value == "data" and entry.fields["retries"].value == 7
    assert entry_as_dict(entry, reveal=False)["fields"]["retries"]["source"] == "override"

    shown = io.StringIO()
    call_command("env_show", "--workspace", workspace.name, "--deployment", dev.name, stdout=shown)
    assert "owner: data" in shown.getvalue() and "retries: 7  (override)" in shown.getvalue()

    issued = token_services.api_token_create(actor=None, name="airflow-dev", target=dev)
    response = client.get("/api/v1/variables/shared", HTTP_AUTHORIZATION=f"Bearer {issued.plain}")
    fields = json.loads(response.content)["fields"]
    assert fields["owner"]["value"] == "data" and fields["retries"]["value"] == 7

    schema = openapi.openapi_document()["components"]["schemas"]["VariableEntry"]["properties"]["fields"]
    assert {"owner", "retries"} <= set(schema["required"])

    # Airflow's own file formats keep Airflow's fields (`variables import` reads a value and a description).
    exported = json.loads(environment_export(export_format="variables", target=dev).content)
    assert exported == {"shared": "v"}
