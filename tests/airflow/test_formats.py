"""Airflow's formats and the collector configuration, as their real readers read them back.

python-dotenv reads the .env files, PyYAML the collector configuration (a YAML 1.1 reader, stricter
about what it accepts unquoted than the collector's), Airflow's own JSON parsing the connections.
"""

import json

import pytest
import yaml
from dotenv import dotenv_values
from hypothesis import given, settings
from hypothesis import strategies as st

from envmanager_airflow import formats
from envmanager_airflow.otel import collector_config, component_name, to_yaml

# What an environment variable can hold: any text but NUL (and no lone surrogates: not UTF-8).
ENV_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80)
YAML_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(value=ENV_TEXT)
def test_dotenv_values_read_back_exactly_from_a_file(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("dotenv") / "env"
    path.write_text(formats.dotenv({"NAME": value, "AFTER": "x"}), encoding="utf-8")

    assert dotenv_values(path, interpolate=False) == {"NAME": value, "AFTER": "x"}


@pytest.mark.parametrize("value", ["", " ", "  padded  ", "a\nb\r\nc\r", "it's \"q\" \\n \\\\ $HOME `id` # = ✓"])
def test_dotenv_edge_values(tmp_path, value):
    path = tmp_path / "env"
    path.write_text(formats.dotenv({"V": value}), encoding="utf-8")

    assert dotenv_values(path, interpolate=False)["V"] == value


def test_connection_fields_keep_every_value_in_airflows_order():
    values = {"conn_type": "http", "host": " h ", "port": 0, "login": None, "password": " pw ",
              "extra": {"b": 1, "a": [2]}}

    fields = formats.connection_fields(values)

    assert list(fields) == list(formats.CONNECTION_FIELDS)  # every field, in `airflow connections export` order
    assert fields == {"conn_type": "http", "description": None, "login": None, "password": " pw ", "host": " h ",
                      "port": 0, "schema": None, "extra": '{"b": 1, "a": [2]}'}


def test_the_json_connection_format_leaves_out_fields_without_a_value():
    value = formats.connection_json({"conn_type": "http", "host": "", "port": 0, "login": None, "extra": '{"a": 1}'})

    assert json.loads(value) == {"conn_type": "http", "port": 0, "extra": '{"a": 1}'}


def test_local_filesystem_files_are_json_objects_keyed_by_id():
    connections = json.loads(formats.local_filesystem_connections({"db": {"conn_type": "postgres", "port": 5432}}))
    variables = json.loads(formats.local_filesystem_variables({"k": {"value": "v"}, "empty": {"value": None}}))

    assert connections == {"db": {"conn_type": "postgres", "port": 5432}}
    assert variables == {"k": "v", "empty": ""}


# --- The collector configuration -------------------------------------------------------------------

YAML_TREE = st.recursive(
    st.one_of(YAML_TEXT, st.integers(-10**9, 10**9), st.booleans()),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(YAML_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(tree=st.dictionaries(YAML_TEXT, YAML_TREE, max_size=5))
def test_yaml_reads_back_as_the_same_data(tree):
    assert yaml.safe_load(to_yaml(tree)) == (tree or None)


def _export(**values):
    base = {"endpoint": "https://metrics.example.com/write", "exporter_type": "prometheus_remote_write",
            "auth_type": "none"}
    return {**base, **values}


def _config(*exports):
    rendered = collector_config(list(exports))
    parsed = yaml.safe_load(rendered.to_yaml())
    assert parsed == rendered.config
    return rendered, parsed


def test_each_export_gets_its_own_pipeline_from_the_receivers_airflow_sends_to():
    _, config = _config(("prom", _export(labels={"env": "dev"})), ("otlp", _export(exporter_type="otlp_http")))

    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "127.0.0.1:4318"
    assert "statsd" in config["receivers"]
    assert config["service"]["pipelines"] == {
        "metrics/prom": {"receivers": ["otlp", "statsd"], "processors": ["batch"],
                         "exporters": ["prometheusremotewrite/prom"]},
        "metrics/otlp": {"receivers": ["otlp", "statsd"], "processors": ["batch"], "exporters": ["otlphttp/otlp"]},
    }
    assert config["exporters"]["prometheusremotewrite/prom"] == {
        "endpoint": "https://metrics.example.com/write", "external_labels": {"env": "dev"}
    }
    assert "extensions" not in config


@pytest.mark.parametrize(
    ("auth", "extension", "settings_"),
    [
        ({"auth_type": "basic", "username": "u", "password": "p"}, "basicauth/m",
         {"client_auth": {"username": "u", "password": "p"}}),
        ({"auth_type": "bearer", "password": "tok"}, "bearertokenauth/m", {"token": "tok"}),
        ({"auth_type": "sigv4", "sigv4_region": "eu-west-1", "sigv4_role_arn": "arn:aws:iam::1:role/r",
          "sigv4_sts_region": "us-east-1"}, "sigv4auth/m",
         {"region": "eu-west-1", "assume_role": {"arn": "arn:aws:iam::1:role/r", "sts_region": "us-east-1"}}),
    ],
)
@pytest.mark.parametrize(("exporter_type", "collector"), [
    ("prometheus_remote_write", "prometheusremotewrite"), ("otlp_http", "otlphttp"), ("otlp_grpc", "otlp"),
])
def test_auth_types_become_the_collectors_auth_extensions(auth, extension, settings_, exporter_type, collector):
    _, config = _config(("m", _export(exporter_type=exporter_type, headers={"X-Org": "7"}, **auth)))

    assert config["extensions"] == {extension: settings_}
    assert config["service"]["extensions"] == [extension]
    exporter = config["exporters"][f"{collector}/m"]
    assert exporter["auth"] == {"authenticator": extension}
    assert exporter["headers"] == {"X-Org": "7"}


def test_labels_of_non_prometheus_exports_become_resource_attributes():
    _, config = _config(("o", _export(exporter_type="otlp_http", labels={"team": "data"})))

    assert config["processors"]["resource/o"] == {
        "attributes": [{"key": "team", "value": "data", "action": "upsert"}]
    }
    assert config["service"]["pipelines"]["metrics/o"]["processors"] == ["resource/o", "batch"]


def test_datadog_uses_the_token_as_its_api_key_and_labels_as_tags():
    _, config = _config(("dd", _export(exporter_type="datadog", endpoint="https://api.datadoghq.eu",
                                       auth_type="bearer", password="dd-key", labels={"env": "prod"})))

    assert config["exporters"]["datadog/dd"] == {
        "api": {"key": "dd-key"}, "metrics": {"endpoint": "https://api.datadoghq.eu"},
        "host_metadata": {"tags": ["env:prod"]},
    }
    assert "extensions" not in config


def test_grpc_to_a_plain_http_endpoint_is_insecure():
    _, config = _config(("g", _export(exporter_type="otlp_grpc", endpoint="http://collector:4317")))

    assert config["exporters"]["otlp/g"]["tls"] == {"insecure": True}


def test_an_exporter_type_the_collector_cannot_send_to_is_left_out_with_the_reason():
    rendered, config = _config(("s", _export(exporter_type="statsd")), ("p", _export()))

    assert list(config["exporters"]) == ["prometheusremotewrite/p"]
    assert rendered.skipped == ["metrics export 's': exporter type 'statsd' has no collector exporter"]
    assert "# Left out: metrics export 's'" in rendered.to_yaml()


def test_component_names_are_safe_and_unique():
    taken = set()

    assert [component_name(key, taken) for key in ["a b", "a_b", "x/y", "ключ", ""]] == [
        "a_b", "a_b_2", "x_y", "ключ", "export"
    ]


def test_the_configuration_never_shows_in_a_repr():
    rendered = collector_config([("p", _export(auth_type="bearer", password="very-secret"))])

    assert "very-secret" not in repr(rendered)
