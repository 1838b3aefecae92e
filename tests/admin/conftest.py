from dataclasses import dataclass, field

import pytest
from cryptography.fernet import Fernet
from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse

from envmanager.forms.secrets import SecretTextarea
from envmanager.models import Deployment, EnvObject, IdeProject, Link, Membership
from envmanager.services import links as link_services
from envmanager.services import workspaces as workspace_services
from tests.conftest import airflow_url
from tests.factories import (
    ConnectionFactory,
    EnvVarFactory,
    IdeProjectFactory,
    MetricsExportFactory,
    VariableFactory,
)

# Planted in every secret; no admin page may ever contain it.
MARKER = "CANARY-4d1e-s3cr3t"


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests")


@pytest.fixture
def su_client(client, superuser):
    client.force_login(superuser)
    return client


def admin_url(model_or_obj, view: str = "changelist", *args) -> str:
    opts = model_or_obj._meta
    if view in ("change", "history", "delete") and not args:
        args = (model_or_obj.pk,)
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def change_form_data(client, obj, **changes) -> dict:
    """Return what a browser would post from `obj`'s change form, with `changes` applied.

    Secret inputs come back empty, as the page renders them; a change of None leaves a field out.
    """
    response = client.get(admin_url(obj, "change"))
    assert response.status_code == 200
    data = {}
    for bound in response.context["adminform"].form:
        if bound.field.disabled:
            continue
        value = bound.value()
        if isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.name] = "on"
        elif isinstance(bound.field.widget, (forms.PasswordInput, SecretTextarea)):
            data[bound.name] = ""
        else:
            data[bound.name] = "" if value is None else str(value)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def form_errors(response) -> dict:
    """Return the admin form's errors as {field or "__all__": [messages]}."""
    assert response.status_code == 200, "expected the form to be shown again with errors"
    return {name: list(errors) for name, errors in response.context["adminform"].form.errors.items()}


@dataclass
class SecretWorld:
    """Objects of every admin model whose secrets all hold MARKER."""

    staging: Deployment
    fernet_key: str
    connection: EnvObject
    variable: EnvObject
    env_var: EnvObject
    metrics: EnvObject
    ide_project: IdeProject
    override: Link
    exclusion: Link
    variable_link: Link
    membership: Membership
    extra_plaintexts: list[str] = field(default_factory=list)

    def tokens(self) -> list[str]:
        """Return every Fernet token stored anywhere, read fresh from the database."""
        tokens = []
        for env_object in EnvObject.objects.all():
            tokens += env_object.secrets.values()
        for link in Link.objects.all():
            tokens += link.override_secrets.values()
        for deployment in Deployment.objects.all():
            tokens += [t for t in (deployment.metadata_db_url_encrypted, deployment.fernet_keys_encrypted) if t]
        return tokens


@pytest.fixture
def secret_world(workspace, dev, prod, owner) -> SecretWorld:
    fernet_key = Fernet.generate_key().decode()
    staging = workspace_services.deployment_create(
        workspace=workspace, name="staging", metadata_db_url=airflow_url(f"staging-{MARKER}"),
        fernet_keys=fernet_key,
    )
    connection = ConnectionFactory(
        workspace=workspace, key="warehouse", linked_to_all=True,
        fields={"conn_type": "postgres", "host": "db.example.com", "login": "app", "password": MARKER,
                "port": 5432, "extra": {"sslmode": "require", "token": MARKER}},
    )
    variable = VariableFactory(workspace=workspace, key="api_key", is_secret=True, fields={"value": MARKER})
    env_var = EnvVarFactory(
        workspace=workspace, deployment=dev, key="SECRET_ENV", is_secret=True, fields={"value": MARKER}
    )
    metrics = MetricsExportFactory(
        workspace=workspace, key="prom",
        fields={"endpoint": "https://metrics.example.com/api/v1/write", "exporter_type": "prometheus_remote_write",
                "auth_type": "bearer", "password": MARKER, "headers": {"X-Token": MARKER},
                "labels": {"team": "data"}},
    )
    ide_project = IdeProjectFactory(workspace=workspace, name="laptop")
    override = link_services.link_set_override(
        env_object=connection, actor=None, target=prod, fields={"host": "prod-db.example.com", "password": MARKER}
    )
    exclusion = link_services.link_exclude(env_object=connection, actor=None, target=staging)
    variable_link = link_services.link_create(env_object=variable, actor=None, target=dev)
    variable_link = link_services.link_set_override(
        env_object=variable, actor=None, target=dev, fields={"value": f"{MARKER}-dev"}
    )
    link_services.link_create(env_object=variable, actor=None, target=ide_project)
    return SecretWorld(
        staging=staging, fernet_key=fernet_key, connection=connection, variable=variable, env_var=env_var,
        metrics=metrics, ide_project=ide_project, override=override, exclusion=exclusion,
        variable_link=variable_link, membership=Membership.objects.get(user=owner),
    )
