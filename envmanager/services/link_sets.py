"""Set every link of a Workspace object at once, as the links dialog submits them."""

from django.core.exceptions import ValidationError
from django.db import transaction

from envmanager.models import Deployment, EnvObject, IdeProject
from envmanager.services import links as link_services


@transaction.atomic
def env_object_links_set(
    *,
    env_object: EnvObject,
    actor,
    linked_to_all: bool,
    deployments: list[Deployment],
    ide_projects: list[IdeProject],
) -> EnvObject:
    """Make `env_object` linked to exactly the given targets (or to all Deployments).

    With `linked_to_all`, `deployments` is ignored: every Deployment receives the object, and
    exclusions are managed one Deployment at a time. Unlinking a target drops its overrides.
    Each change is audited by the service that makes it.
    """
    if not env_object.is_workspace_scoped:
        raise ValidationError("Only Workspace objects can be linked.")
    for target in [*deployments, *ide_projects]:
        if target.workspace_id != env_object.workspace_id:
            raise ValidationError(f"'{target.name}' is in another Workspace.")

    current = list(env_object.links.select_related("deployment", "ide_project"))
    env_object = link_services.env_object_set_linked_to_all(
        env_object=env_object, actor=actor, linked_to_all=linked_to_all
    )
    if not linked_to_all:
        linked = {link.deployment_id for link in current if link.deployment_id and not link.excluded}
        wanted = {deployment.pk: deployment for deployment in deployments}
        for deployment in wanted.values():
            if deployment.pk not in linked:
                link_services.link_create(env_object=env_object, actor=actor, target=deployment)
        for link in current:
            if link.deployment_id and not link.excluded and link.deployment_id not in wanted:
                link_services.link_delete(env_object=env_object, actor=actor, target=link.deployment)

    linked_projects = {link.ide_project_id for link in current if link.ide_project_id}
    wanted_projects = {project.pk: project for project in ide_projects}
    for project in wanted_projects.values():
        if project.pk not in linked_projects:
            link_services.link_create(env_object=env_object, actor=actor, target=project)
    for link in current:
        if link.ide_project_id and link.ide_project_id not in wanted_projects:
            link_services.link_delete(env_object=env_object, actor=actor, target=link.ide_project)
    return env_object
