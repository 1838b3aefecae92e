"""The declarative document of a Workspace (docs/gitops.md, `version: 1`): what `env_dump` writes and
what `env_apply` compares a file with. Secret values are never part of it.
"""

from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import EnvObject, Link, Workspace
from envmanager.selectors.api_objects import objects_with_links
from envmanager.selectors.env_objects import KIND_ORDER

DOCUMENT_VERSION = 1


def object_address(kind: str, key: str, deployment: str | None) -> tuple[str, str, str | None]:
    return (kind, key, deployment)


def address_label(address: tuple) -> str:
    kind, key, deployment = address
    scope = f"Deployment '{deployment}'" if deployment else "Workspace"
    return f"{Kind(kind).label.lower()} '{key}' ({scope})"


def plain_values(kind: str, is_secret_flag: bool, values: dict) -> dict:
    """The values the document carries: plain fields that have a value, in the registry's order."""
    spec = KIND_SPECS[Kind(kind)]
    return {
        name: values[name]
        for name in spec.field_names
        if values.get(name) is not None and not spec.is_secret(name, is_secret_flag=is_secret_flag)
    }


def link_target(link: Link) -> tuple[str, str]:
    return ("deployment", link.deployment.name) if link.deployment_id else ("ide_project", link.ide_project.name)


def _link_entry(env_object: EnvObject, link: Link) -> dict:
    target_type, name = link_target(link)
    entry = {target_type: name}
    if link.excluded:
        entry["excluded"] = True
    override = plain_values(env_object.kind, env_object.is_secret, link.override_data)
    if override:
        entry["override"] = override
    return entry


def object_entry(env_object: EnvObject) -> dict:
    entry = {"type": env_object.kind, "key": env_object.key}
    if env_object.deployment_id:
        entry["deployment"] = env_object.deployment.name
    if env_object.spec.has_secret_flag:
        entry["is_secret"] = env_object.is_secret
    if env_object.is_workspace_scoped:
        entry["linked_to_all"] = env_object.linked_to_all
    entry["fields"] = plain_values(env_object.kind, env_object.is_secret, env_object.data)
    if env_object.is_workspace_scoped:
        links = sorted(env_object.links.all(), key=link_target)
        entry["links"] = [_link_entry(env_object, link) for link in links]
    return entry


def workspace_objects(*, workspace: Workspace) -> list[EnvObject]:
    """Every object of the Workspace with its links: Workspace objects first, then by Deployment, type, key."""
    objects = objects_with_links(workspace=workspace)
    return sorted(objects, key=lambda o: (o.deployment_id is not None, o.deployment.name if o.deployment_id else "",
                                          KIND_ORDER[o.kind], o.key))


def workspace_document(*, workspace: Workspace) -> dict:
    """The Workspace as a version-1 document (three queries whatever its size)."""
    return {
        "version": DOCUMENT_VERSION,
        "workspace": workspace.name,
        "objects": [object_entry(env_object) for env_object in workspace_objects(workspace=workspace)],
    }
