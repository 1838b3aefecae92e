"""Promote to Workspace: the Deployment sees exactly the same values before and after."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.kinds import Kind
from envmanager.models import AuditEntry, EnvObject, Link
from envmanager.selectors.environment import deployment_effective_environment
from envmanager.services import links as link_services
from envmanager.services.promotion import env_object_promote, env_object_promotion_plan
from tests.factories import ConnectionFactory, EnvVarFactory, MetricsExportFactory, VariableFactory

DEPLOYMENT_VALUES = {
    Kind.CONNECTION: (
        ConnectionFactory,
        {"conn_type": "postgres", "host": "db.dev", "login": "dev", "password": "dev-secret", "port": 5433,
         "extra": {"sslmode": "disable"}},
        {},
    ),
    Kind.VARIABLE: (VariableFactory, {"value": "dev-token", "description": "API token"}, {"is_secret": True}),
    Kind.ENV: (EnvVarFactory, {"value": "debug"}, {}),
    Kind.METRICS: (
        MetricsExportFactory,
        {"endpoint": "https://metrics.dev/write", "exporter_type": "prometheus_remote_write", "auth_type": "bearer",
         "password": "bearer-secret", "headers": {"X-Org": "dev"}, "labels": {"env": "dev"}},
        {},
    ),
}
WORKSPACE_VALUES = {
    Kind.CONNECTION: {"conn_type": "postgres", "host": "db.shared", "login": "dev", "password": "shared-secret",
                      "schema": "public"},
    Kind.VARIABLE: {"value": "shared-token"},
    Kind.ENV: {"value": "info"},
    Kind.METRICS: {"endpoint": "https://metrics.shared/write", "exporter_type": "prometheus_remote_write"},
}


def _environment(deployment):
    """Every effective value, secrets decrypted, with the secret-ness of each field."""
    return {
        (e.kind, e.key): {name: (f.reveal(), f.secret) for name, f in e.fields.items()}
        for e in deployment_effective_environment(deployment=deployment)
    }


def _deployment_object(workspace, deployment, kind):
    factory, fields, extra = DEPLOYMENT_VALUES[kind]
    return factory(workspace=workspace, deployment=deployment, key="SHARED_KEY", fields=fields, **extra)


@pytest.mark.parametrize("kind", list(Kind))
def test_promotion_without_a_workspace_object_moves_it_and_keeps_it_linked(workspace, dev, prod, owner, kind):
    own = _deployment_object(workspace, dev, kind)
    before_dev, before_prod = _environment(dev), _environment(prod)
    secrets_before = dict(own.secrets)

    promoted = env_object_promote(env_object=own, actor=owner)

    assert promoted.pk == own.pk and promoted.deployment_id is None
    assert promoted.secrets == secrets_before  # carried over as ciphertext, never re-encrypted
    assert list(promoted.links.values_list("deployment__name", flat=True)) == ["dev"]
    assert _environment(dev) == before_dev
    assert _environment(prod) == before_prod  # not made available elsewhere
    assert deployment_effective_environment(deployment=dev)[0].source == "workspace"


@pytest.mark.parametrize("kind", list(Kind))
def test_promotion_onto_an_existing_workspace_object_adds_an_override_of_differing_fields(
    workspace, dev, prod, owner, kind
):
    factory, _, extra = DEPLOYMENT_VALUES[kind]
    shared = factory(workspace=workspace, key="SHARED_KEY", fields=WORKSPACE_VALUES[kind], linked_to_all=True, **extra)
    own = _deployment_object(workspace, dev, kind)
    before_dev, before_prod = _environment(dev), _environment(prod)

    result = env_object_promote(env_object=own, actor=owner)

    assert result.pk == shared.pk
    assert not EnvObject.objects.filter(pk=own.pk).exists()
    assert EnvObject.objects.filter(kind=kind, key="SHARED_KEY").count() == 1
    assert _environment(dev) == before_dev
    assert _environment(prod) == before_prod
    link = Link.objects.get(env_object=shared, deployment=dev)
    overridden = set(link.override_data) | set(link.override_secrets)
    assert overridden == {
        name for name in shared.spec.field_names
        if before_dev[(kind, "SHARED_KEY")][name] != before_prod[(kind, "SHARED_KEY")][name]
    }


def test_only_differing_fields_become_the_override(workspace, dev, owner):
    shared = ConnectionFactory(workspace=workspace, key="db", fields={"conn_type": "postgres", "host": "a", "password": "same"})
    own = ConnectionFactory(workspace=workspace, deployment=dev, key="db",
                            fields={"conn_type": "postgres", "host": "b", "password": "same"})

    plan = env_object_promotion_plan(env_object=own)
    env_object_promote(env_object=own, actor=owner)

    assert plan.differing_fields == ["host"]
    link = Link.objects.get(env_object=shared, deployment=dev)
    assert link.override_data == {"host": "b"} and link.override_secrets == {}


def test_promotion_includes_an_excluded_deployment_again(workspace, dev, owner):
    shared = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"}, linked_to_all=True)
    link_services.link_exclude(env_object=shared, actor=None, target=dev)
    own = VariableFactory(workspace=workspace, deployment=dev, key="region", fields={"value": "us"})
    before = _environment(dev)

    env_object_promote(env_object=own, actor=owner)

    assert _environment(dev) == before
    assert not Link.objects.get(env_object=shared, deployment=dev).excluded


def test_a_workspace_object_or_override_cannot_be_promoted(workspace, dev, owner):
    shared = VariableFactory(workspace=workspace, key="region")
    link_services.link_create(env_object=shared, actor=None, target=dev)
    with pytest.raises(ValidationError, match="already a Workspace object"):
        env_object_promote(env_object=shared, actor=owner)


def test_secret_deployment_value_is_not_unmasked_onto_a_plain_workspace_variable(workspace, dev, owner):
    VariableFactory(workspace=workspace, key="token", fields={"value": "shown"})
    own = VariableFactory(workspace=workspace, deployment=dev, key="token", fields={"value": "hidden"}, is_secret=True)

    with pytest.raises(ValidationError, match="mark the Workspace one secret first"):
        env_object_promote(env_object=own, actor=owner)
    assert EnvObject.objects.filter(pk=own.pk, deployment=dev).exists()


def test_promotion_writes_one_audit_entry_without_secrets(workspace, dev, owner):
    own = ConnectionFactory(workspace=workspace, deployment=dev, key="db",
                            fields={"conn_type": "http", "password": "audit-marker-91"})
    last = AuditEntry.objects.order_by("-id").first().id

    env_object_promote(env_object=own, actor=owner)

    entries = list(AuditEntry.objects.filter(id__gt=last))
    assert [e.action for e in entries] == ["env_object.promote"]
    assert "audit-marker-91" not in repr(entries[0].changes)
    assert entries[0].changes["after"]["scope"] == "workspace"


def test_promoting_an_object_that_was_deleted_meanwhile_is_a_clear_error(workspace, dev, owner):
    own = VariableFactory(workspace=workspace, deployment=dev, key="gone")
    EnvObject.objects.filter(pk=own.pk).delete()

    with pytest.raises(ValidationError, match="no longer exists"):
        env_object_promote(env_object=own, actor=owner)
