"""Reads about a Workspace's members."""

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from envmanager.models import Membership


def workspace_locked_out_members(*, workspace) -> list[dict]:
    """Return the Workspace's members locked out of signing in, newest first.

    Each is {"username", "failures", "last_attempt"}. django-axes keeps one row per username and address;
    a username is locked when its rows within the cool-off time add up to the limit, as axes counts them.
    """
    usernames = Membership.objects.filter(workspace=workspace).values_list("user__username", flat=True)
    attempts = AccessAttempt.objects.filter(username__in=usernames)
    if settings.AXES_COOLOFF_TIME:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    return list(
        attempts.values("username")
        .annotate(failures=Sum("failures_since_start"), last_attempt=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last_attempt")
    )
