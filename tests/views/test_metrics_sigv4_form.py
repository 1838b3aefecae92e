"""Issue #13: the metrics export form offers the SigV4 auth type and its fields."""

from envmanager.models import EnvObject
from tests.views.conftest import sign_in, url

ROLE = "arn:aws:iam::123456789012:role/amp-writer"


def test_the_form_creates_a_sigv4_metrics_export(client, operator, workspace):
    sign_in(client, operator)
    address = url("env-object-create", workspace.pk, "metrics-exports")
    form = client.get(address).content.decode()
    assert 'value="sigv4"' in form and 'name="sigv4_role_arn"' in form and 'name="sigv4_sts_region"' in form

    response = client.post(address, {
        "key": "amp", "endpoint": "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
        "exporter_type": "prometheus_remote_write", "auth_type": "sigv4", "sigv4_region": "eu-west-1",
        "sigv4_role_arn": ROLE, "sigv4_sts_region": "us-east-1", "password": "ignored",
    })

    assert response.status_code == 302
    export = EnvObject.objects.get(key="amp")
    assert (export.data["sigv4_region"], export.data["sigv4_role_arn"], export.data["sigv4_sts_region"]) == (
        "eu-west-1", ROLE, "us-east-1"
    )
    assert "password" not in export.secrets  # SigV4 signs with AWS credentials, not a password


def test_a_bad_role_arn_is_a_form_error_that_changes_nothing(client, operator, workspace):
    sign_in(client, operator)
    response = client.post(url("env-object-create", workspace.pk, "metrics-exports"), {
        "key": "amp", "endpoint": "https://prom.example.com/api/v1/write", "exporter_type": "prometheus_remote_write",
        "auth_type": "sigv4", "sigv4_role_arn": "amp-writer",
    })
    assert response.status_code == 200
    assert "An IAM role ARN starts with" in response.content.decode()
    assert not EnvObject.objects.exists()
