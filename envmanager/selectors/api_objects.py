"""Reads of the management API: objects with their links in a fixed number of queries, cursor pages."""

import base64
import binascii

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from envmanager.kinds import Kind
from envmanager.models import Deployment, EnvObject, Link, Workspace

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def objects_with_links(*, workspace: Workspace):
    """The Workspace's objects with their scope and links (and the links' targets): two queries however many."""
    links = Link.objects.select_related("deployment", "ide_project")
    return (
        EnvObject.objects.filter(workspace=workspace)
        .select_related("deployment")
        .prefetch_related(Prefetch("links", queryset=links))
    )


def object_with_links(*, workspace: Workspace, kind: Kind, key: str, deployment: Deployment | None) -> EnvObject | None:
    objects = objects_with_links(workspace=workspace).filter(kind=kind, key=key)
    objects = objects.filter(deployment=deployment) if deployment else objects.filter(deployment__isnull=True)
    return objects.first()


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError({"cursor": "This cursor was not returned by this API."}) from None


def object_page(
    *, workspace: Workspace, deployment: Deployment | None, kind: Kind | None, query: str, cursor: str | None, limit: int
) -> tuple[list[EnvObject], str | None]:
    """Return one page of objects of a scope (oldest first, stable while objects are added) and the next cursor."""
    objects = objects_with_links(workspace=workspace)
    objects = objects.filter(deployment=deployment) if deployment else objects.filter(deployment__isnull=True)
    if kind is not None:
        objects = objects.filter(kind=kind)
    if query:
        objects = objects.filter(key__icontains=query)
    if cursor:
        objects = objects.filter(pk__gt=decode_cursor(cursor))
    page = list(objects.order_by("pk")[: limit + 1])
    if len(page) > limit:
        return page[:limit], encode_cursor(page[limit - 1].pk)
    return page, None
