"""Reads about a Workspace's members."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Case, Exists, IntegerField, Max, OuterRef, Sum, Value, When
from django.http import Http404
from django.utils import timezone

from envmanager.models import Invitation, Membership, Role

_ROLE_ORDER = Case(*[When(role=role, then=Value(i)) for i, role in enumerate(Role.values)], output_field=IntegerField())


def user_by_username(username: str):
    """Return the user called `username`; ValidationError if there is none (the commands' --username)."""
    user = get_user_model()._default_manager.filter(username=username).first()
    if user is None:
        raise ValidationError(f"No user named '{username}'.")
    return user


def workspace_members(*, workspace) -> list[Membership]:
    """Return the Workspace's memberships with their users, Owners first, then by username.

    Each carries `invitation_pending`: invited, and the set-password link is neither used nor expired.
    """
    pending = Invitation.objects.filter(
        workspace=workspace, user=OuterRef("user"), used_at__isnull=True, expires_at__gt=timezone.now()
    )
    return list(
        Membership.objects.filter(workspace=workspace).select_related("user")
        .annotate(role_order=_ROLE_ORDER, invitation_pending=Exists(pending))
        .order_by("role_order", "user__username")
    )


def workspace_member(*, workspace, user_id) -> Membership:
    """Return the membership of user `user_id` in `workspace`; 404 if they are not a member."""
    # The user first: a primary-key lookup answers "none" for an id out of the column's range, where a
    # foreign-key lookup would hand it to the database (SQLite: OverflowError, an HTTP 500).
    user = get_user_model().objects.filter(pk=user_id).first()
    membership = Membership.objects.filter(workspace=workspace, user=user).first() if user else None
    if membership is None:
        raise Http404("No such member.")
    membership.user = user
    return membership


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
