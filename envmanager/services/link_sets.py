"""Set every link of a Workspace object at once, as the links dialog submits them."""

from django.core.exceptions import ValidationError
from django.db import transaction

from envmanager.models import Deployment, EnvObject, IdeProject
from envmanager.services import links as link_services


class ExclusionDropsOverrides(ValidationError):
    """Excluding these Deployments would drop their overrides, and that was not confirmed."""

    def __init__(self, deployments: list[Deployment]):
        self.deployments = deployments
        names = ", ".join(f"'{deployment.name}'" for deployment in deployments)
        super().__init__(f"Excluding {names} drops its override; confirm to drop it, or keep it linked.")


@transaction.atomic
def env_object_links_set(
    *,
    env_object: EnvObject,
    actor,
    linked_to_all: bool,
    deployments: list[Deployment],
    ide_projects: list[IdeProject],
    excluded: list[Deployment] = (),
    drop_overrides: bool = False,
) -> EnvObject:
    """Make `env_object` linked to exactly the given targets (or to all Deployments but `excluded`).

    One call, one transaction: links, link-to-all and exclusions change together or not at all, each
    change audited by the service that makes it. With `linked_to_all`, `deployments` is ignored; without
    it, `excluded` is. Unlinking a target drops its overrides; excluding a Deployment that overrides the
    object does so only with `drop_overrides`, else `ExclusionDropsOverrides` names them.
    """
    if not env_object.is_workspace_scoped:
        raise ValidationError("Only Workspace objects can be linked.")
    for target in [*deployments, *ide_projects, *excluded]:
        if target.workspace_id != env_object.workspace_id:
            raise ValidationError(f"'{target.name}' is in another Workspace.")

    env_object = link_services.env_object_set_linked_to_all(  # locks the object: the read below is current
        env_object=env_object, actor=actor, linked_to_all=linked_to_all
    )
    current = list(env_object.links.select_related("deployment", "ide_project"))
    if linked_to_all:
        _set_exclusions(env_object, actor, current, excluded, drop_overrides)
    else:
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


def _set_exclusions(env_object, actor, current, excluded, drop_overrides: bool) -> None:
    """Exclude exactly the `excluded` Deployments from an object linked to all of them."""
    rows = {link.deployment_id: link for link in current if link.deployment_id}
    wanted = {deployment.pk: deployment for deployment in excluded}
    newly = [deployment for pk, deployment in wanted.items() if not (pk in rows and rows[pk].excluded)]
    losing = [deployment for deployment in newly if deployment.pk in rows and rows[deployment.pk].has_override]
    if losing and not drop_overrides:
        raise ExclusionDropsOverrides(losing)
    for deployment in newly:
        # An override written since the check above is refused, not dropped unconfirmed.
        link_services.link_exclude(env_object=env_object, actor=actor, target=deployment, drop_override=drop_overrides)
    for pk, link in rows.items():
        if link.excluded and pk not in wanted:
            link_services.link_include(env_object=env_object, actor=actor, target=link.deployment)


@transaction.atomic
def target_links_add(*, target, env_objects: list[EnvObject], actor) -> list:
    """Link several Workspace objects to one Deployment or IDE project, all or none (the picker's Link)."""
    if not env_objects:
        raise ValidationError("Choose at least one object to link.")
    return [link_services.link_create(env_object=env_object, actor=actor, target=target) for env_object in env_objects]
