"""Property tests: any value Airflow can store comes out of envmanager identical, whatever the path.

- Migrate from Airflow -> read API -> secrets backend: the value Airflow holds is the value served.
- env_set -> export -> python-dotenv (`dotenv_values`) / Kubernetes Secret (base64): the value set is
  the value read back.
"""

import base64
import io
import json
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from dotenv import dotenv_values
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from envmanager.airflow_db.sample import create_sample_database
from envmanager.kinds import Kind, key_error
from envmanager.selectors.exports import ExportOptions, environment_export
from envmanager.selectors.migration import airflow_migration_plan
from envmanager.services import tokens as token_services
from envmanager.services.migration import airflow_migration_apply
from envmanager.services.workspaces import deployment_update
from envmanager_airflow.secrets import EnvmanagerSecretsBackend, quote_key
from tests.conftest import AIRFLOW_DB_FERNET_KEY

# Characters that make quoting, trimming and encoding go wrong, mixed into arbitrary Unicode text.
# Airflow-storable: no NUL (PostgreSQL text refuses it) and no lone surrogates (not UTF-8).
AWKWARD = " \t\n\r\x0b\x0c'\"$`\\#=;&|*?!{}()[]<>~%/:@\u00a0\u2028\u200b✓ключ𝐦"
TEXT = st.text(st.sampled_from(AWKWARD), max_size=30) | st.text(
    st.sampled_from(AWKWARD) | st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40
)
VALUE = TEXT.filter(lambda value: value != "")  # "" means "no value" in Airflow forms and in envmanager alike
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT
JSON_OBJECT = st.dictionaries(TEXT, st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                                                 | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6), max_size=4)
# The extra is text: any spacing and escaping Airflow was given stays as it is.
EXTRA_TEXT = st.builds(
    lambda obj, indent, ensure_ascii, pad: pad + json.dumps(obj, indent=indent, ensure_ascii=ensure_ascii) + pad,
    JSON_OBJECT, st.sampled_from([None, 0, 2, "\t"]), st.booleans(), st.sampled_from(["", " ", "\n"]),
)
KEY_CHARACTERS = "abcXYZ_019.-ключ数𝐦ª½"
CONN_ID = st.text(st.sampled_from(KEY_CHARACTERS + "#!():/\\"), min_size=1, max_size=20).filter(
    lambda key: key_error(Kind.CONNECTION, key) is None
)
VARIABLE_KEY = st.text(st.sampled_from(KEY_CHARACTERS), min_size=1, max_size=20)

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@contextmanager
def rolled_back():
    """Undo one example's writes, so each example starts from the same envmanager database."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _backend_through(client, issued) -> EnvmanagerSecretsBackend:
    """The secrets backend with its HTTP request answered by Django's test client (same URL, same JSON)."""
    backend = EnvmanagerSecretsBackend(url="http://testserver", token=issued.plain, mode="lookup", cache_ttl_seconds=0)

    def fetch(collection, key):
        response = client.get(
            f"{urlsplit(backend.api_url).path}/{collection}/{quote_key(key)}", HTTP_AUTHORIZATION=f"Bearer {issued.plain}"
        )
        assert response.status_code in (200, 404), response.content
        return response.json() if response.status_code == 200 else None

    backend._fetch = fetch
    return backend


@PROPERTY
@given(conn_id=CONN_ID, variable_key=VARIABLE_KEY, password=VALUE, login=VALUE, host=VALUE, extra=EXTRA_TEXT,
       value=VALUE, description=VALUE)
def test_what_airflow_holds_is_what_the_read_api_and_the_backend_serve(
    client, tmp_path, dev, conn_id, variable_key, password, login, host, extra, value, description
):
    folder = django_settings.VAR_DIR / "airflow"  # where the default allow-list lets envmanager open SQLite files
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder}/airflow-{uuid.uuid4().hex}.db"
    airflow = create_sample_database(url, fernet_keys=[AIRFLOW_DB_FERNET_KEY])
    airflow.add_connection(conn_id, "postgres", host=host, login=login, password=password, extra=extra,
                           description=description)
    airflow.add_variable(variable_key, value, description=description)
    airflow.close()
    with rolled_back():
        deployment = deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=AIRFLOW_DB_FERNET_KEY)
        for kind in (Kind.CONNECTION, Kind.VARIABLE):
            plan = airflow_migration_plan(deployment=deployment, kind=kind)
            result = airflow_migration_apply(
                deployment=deployment, kind=kind, source_ids=[item.source_id for item in plan.items], actor=None
            )
            assert len(result.migrated) == 1, (result.skipped, result.failed)
        issued = token_services.api_token_create(actor=None, name="property", deployment=deployment)
        backend = _backend_through(client, issued)

        served = json.loads(backend.get_conn_value(conn_id))
        entry = client.get(f"/api/v1/variables/{quote_key(variable_key)}", HTTP_AUTHORIZATION=f"Bearer {issued.plain}")

        assert served == {
            "conn_type": "postgres", "description": description, "login": login, "password": password, "host": host,
            "extra": extra,
        }
        assert entry.json()["fields"]["value"]["value"] == value
        assert entry.json()["fields"]["description"]["value"] == description
        assert backend.get_variable(variable_key) == value


ENV_VALUE = TEXT.filter(lambda value: value != "-")  # "-" asks env_set to read standard input


@PROPERTY
@given(value=ENV_VALUE, secret=st.booleans())
@example(value="it's \"$HOME\" `id` \\", secret=False).via("each quoting case")
@example(value="  \r\n trailing\\", secret=True).via("each quoting case")
def test_what_env_set_stores_is_what_dotenv_and_the_kubernetes_secret_give_back(tmp_path, dev, value, secret):
    with rolled_back():
        call_command(
            "env_set", type="env", key="THE_VALUE", deployment="dev", value=value, is_secret=secret,
            stdout=io.StringIO(), stderr=io.StringIO(),
        )
        call_command(
            "env_set", type="variable", key="the_value", deployment="dev", value=value,
            stdout=io.StringIO(), stderr=io.StringIO(),
        )
        dotenv_file = tmp_path / f"{uuid.uuid4().hex}.env"
        dotenv_file.write_bytes(environment_export(export_format="dotenv", deployment=dev).content.encode())
        secret_manifest = environment_export(
            export_format="k8s-secret", deployment=dev, options=ExportOptions(include_airflow_objects=True)
        ).content

    read_back = dotenv_values(dotenv_file, interpolate=False)
    data = yaml.safe_load(secret_manifest)["data"]
    assert read_back["THE_VALUE"] == value
    assert read_back["AIRFLOW_VAR_THE_VALUE"] == value
    assert base64.b64decode(data["THE_VALUE"]).decode() == value
    assert base64.b64decode(data["AIRFLOW_VAR_THE_VALUE"]).decode() == value


@pytest.mark.parametrize("value", ["${HOME}", "a ${X:-y} b"])
def test_dotenv_with_interpolation_expands_only_what_the_file_names(tmp_path, dev, value):
    """python-dotenv's default interpolation cannot be escaped: the file names the values it would expand."""
    call_command("env_set", type="env", key="TEMPLATE", deployment="dev", value=value, stdout=io.StringIO())
    export = environment_export(export_format="dotenv", deployment=dev)

    assert export.notes == ("TEMPLATE: python-dotenv expands the ${...} in it unless read with interpolate=False.",)
    assert dotenv_values(stream=io.StringIO(export.content), interpolate=False)["TEMPLATE"] == value
