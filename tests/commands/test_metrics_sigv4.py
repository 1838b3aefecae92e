"""Issue #13: the SigV4 auth type of metrics exports, from env_set to the OpenTelemetry Collector export."""

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from envmanager.kinds import Kind
from envmanager.models import EnvObject
from envmanager.selectors.exports import environment_export
from envmanager.services import env_objects as env_object_services

ROLE = "arn:aws:iam::123456789012:role/amp-writer"


def test_env_set_creates_a_sigv4_metrics_export_the_collector_export_signs(run, workspace, dev):
    run(
        "env_set", type="metrics", key="amp", deployment="dev",
        endpoint="https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
        auth_type="sigv4", sigv4_region="eu-west-1", sigv4_role_arn=ROLE, sigv4_sts_region="us-east-1",
    )
    obj = EnvObject.objects.get(key="amp")
    assert obj.data["auth_type"] == "sigv4" and obj.data["sigv4_role_arn"] == ROLE

    result = run("env_export", deployment="dev", format="otel-collector")
    config = yaml.safe_load(result.out)
    assert config["extensions"] == {
        "sigv4auth/amp": {"region": "eu-west-1", "assume_role": {"arn": ROLE, "sts_region": "us-east-1"}}
    }
    assert config["exporters"]["prometheusremotewrite/amp"]["auth"] == {"authenticator": "sigv4auth/amp"}
    assert config["service"]["extensions"] == ["sigv4auth/amp"]


def test_switching_away_from_sigv4_drops_its_fields_and_sigv4_drops_the_password(workspace, dev):
    obj = env_object_services.env_object_create(
        workspace=workspace, deployment=dev, actor=None, kind=Kind.METRICS, key="m",
        fields={"endpoint": "https://prom.example.com/api/v1/write", "auth_type": "bearer", "password": "tok"},
    )
    obj = env_object_services.env_object_update(
        env_object=obj, actor=None, fields={"auth_type": "sigv4", "sigv4_region": "eu-west-1"}
    )
    assert "password" not in obj.secrets and obj.data["sigv4_region"] == "eu-west-1"
    obj = env_object_services.env_object_update(env_object=obj, actor=None, fields={"auth_type": "none"})
    assert not {"sigv4_region", "sigv4_role_arn", "sigv4_sts_region"} & set(obj.data)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"sigv4_role_arn": "amp-writer"}, "sigv4_role_arn"),
        ({"sigv4_sts_region": "us-east-1"}, "sigv4_sts_region"),
    ],
)
def test_inconsistent_sigv4_settings_are_refused(workspace, fields, field):
    with pytest.raises(ValidationError) as raised:
        env_object_services.env_object_create(
            workspace=workspace, actor=None, kind=Kind.METRICS, key="m",
            fields={"endpoint": "https://prom.example.com/api/v1/write", "auth_type": "sigv4", **fields},
        )
    assert field in raised.value.message_dict
    assert not EnvObject.objects.exists()


def test_env_set_refuses_sigv4_options_on_another_type(run):
    with pytest.raises(CommandError, match="--sigv4-region does not apply"):
        run("env_set", type="variable", key="v", value="1", sigv4_region="eu-west-1")


def test_an_export_with_no_metrics_is_an_empty_collector(workspace, dev):
    export = environment_export(export_format="otel-collector", deployment=dev)
    assert export.count == 0 and yaml.safe_load(export.content)["exporters"] == {}
