"""Bulk actions of the Workspace Environment page: link, unlink or delete many objects at once.

Each object goes through the same service as the single action (so each writes its own audit entry and
version), all of them in one transaction: one refusal (an object not linked, deleted meanwhile) rolls
back the whole batch and nothing changes.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from envmanager.models import EnvObject
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.targets import Target


class BulkAction:
    LINK = "link"
    UNLINK = "unlink"
    DELETE = "delete"
    CHOICES = (LINK, UNLINK, DELETE)
    NEEDS_TARGET = (LINK, UNLINK)


@transaction.atomic
def env_objects_bulk_apply(*, env_objects: list[EnvObject], action: str, actor, target: Target | None = None) -> int:
    """Apply `action` to every object (to `target` for link / unlink); return how many were changed."""
    if action not in BulkAction.CHOICES:
        raise ValidationError(f"Unknown bulk action '{action}'.")
    if action in BulkAction.NEEDS_TARGET and target is None:
        raise ValidationError("Choose the Deployment or IDE project to link to or unlink from.")
    if not env_objects:
        raise ValidationError("Select at least one object.")
    for env_object in env_objects:
        if action == BulkAction.DELETE:
            env_object_services.env_object_delete(env_object=env_object, actor=actor)
        elif action == BulkAction.LINK:
            link_services.link_create(env_object=env_object, actor=actor, target=target)
        else:
            link_services.link_delete(env_object=env_object, actor=actor, target=target)
    return len(env_objects)
