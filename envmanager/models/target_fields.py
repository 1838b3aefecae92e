"""The rule of the rows that point at a target (links, API tokens) with two foreign keys.

Exactly one of `deployment` and `ide_project` is set: the database holds it with this CHECK, Python
with `envmanager.targets.Target`.
"""

from django.db import models
from django.db.models import Q

EXACTLY_ONE_TARGET = Q(deployment__isnull=False, ide_project__isnull=True) | Q(
    deployment__isnull=True, ide_project__isnull=False
)


def exactly_one_target(name: str) -> models.CheckConstraint:
    """Return the CHECK constraint `name` that a row has a Deployment or an IDE project, not both, not neither."""
    return models.CheckConstraint(condition=EXACTLY_ONE_TARGET, name=name)
