"""factory_boy factories. Objects with business rules are made through the services, so tests see
the same rows (role groups, permissions, encrypted secrets) that the app makes."""

import factory
from django.contrib.auth import get_user_model

from envmanager.kinds import Kind
from envmanager.models import Role
from envmanager.services import env_objects as env_object_services
from envmanager.services import workspaces as workspace_services
from envmanager.services.members import membership_set


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")


class _ServiceFactory(factory.Factory):
    """Builds through `service(actor=None, **attributes)` instead of saving a model."""

    class Meta:
        model = dict

    @classmethod
    def _create(cls, model_class, **kwargs):
        return cls.service(actor=None, **kwargs)


class WorkspaceFactory(_ServiceFactory):
    service = staticmethod(workspace_services.workspace_create)
    name = factory.Sequence(lambda n: f"Workspace {n}")


class DeploymentFactory(_ServiceFactory):
    service = staticmethod(workspace_services.deployment_create)
    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"deployment-{n}")


class IdeProjectFactory(_ServiceFactory):
    service = staticmethod(workspace_services.ide_project_create)
    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"ide-{n}")


class MembershipFactory(_ServiceFactory):
    service = staticmethod(membership_set)
    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class _EnvObjectFactory(_ServiceFactory):
    service = staticmethod(env_object_services.env_object_create)
    workspace = factory.SubFactory(WorkspaceFactory)
    deployment = None


class ConnectionFactory(_EnvObjectFactory):
    kind = Kind.CONNECTION
    key = factory.Sequence(lambda n: f"conn_{n}")
    fields = factory.LazyFunction(lambda: {"conn_type": "postgres", "host": "db.example.com", "login": "app"})


class VariableFactory(_EnvObjectFactory):
    kind = Kind.VARIABLE
    key = factory.Sequence(lambda n: f"var_{n}")
    fields = factory.LazyFunction(lambda: {"value": "plain value"})


class EnvVarFactory(_EnvObjectFactory):
    kind = Kind.ENV
    key = factory.Sequence(lambda n: f"ENV_VAR_{n}")
    fields = factory.LazyFunction(lambda: {"value": "1"})


class MetricsExportFactory(_EnvObjectFactory):
    kind = Kind.METRICS
    key = factory.Sequence(lambda n: f"metrics_{n}")
    fields = factory.LazyFunction(
        lambda: {"endpoint": "https://metrics.example.com/api/v1/write", "exporter_type": "prometheus_remote_write"}
    )
