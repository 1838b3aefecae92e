"""Memberships from the identity provider's role claim (ENVMANAGER_OIDC_ROLE_CLAIM), at each sign-on.

A claim value `envmanager:<workspace>:<role>` makes the user a member of that Workspace with that role
(several values for one Workspace: the strongest role). The claim decides the memberships it granted:
a Workspace it no longer names loses the membership at the next sign-in; memberships an Owner gave by
hand are left alone until the claim names their Workspace. The last Owner of a Workspace is never
removed or demoted this way: members.py refuses it, the membership stays and a warning is logged. Changes go through
`services/members.py`, so each has its audit entry (actor: system).
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from envmanager.models import Membership, Role, SSORoleGrant, Workspace
from envmanager.services.members import membership_remove, membership_set

logger = logging.getLogger(__name__)

CLAIM_PREFIX = "envmanager:"
ROLE_STRENGTH = [Role.MEMBER, Role.AUTHOR, Role.OPERATOR, Role.OWNER]


def role_claim_grants(values) -> dict[str, str]:
    """Return {Workspace name: role} from a role claim's values (a list, or one string); others are ignored."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return {}
    grants: dict[str, str] = {}
    for value in values:
        if not isinstance(value, str) or not value.startswith(CLAIM_PREFIX):
            continue  # the claim may carry the provider's other groups too
        workspace_name, _, role = value[len(CLAIM_PREFIX):].rpartition(":")
        if not workspace_name or role not in Role.values:
            logger.warning("Role claim value %r ignored: expected envmanager:<workspace>:<%s>", value, "|".join(Role.values))
            continue
        if workspace_name not in grants or ROLE_STRENGTH.index(role) > ROLE_STRENGTH.index(grants[workspace_name]):
            grants[workspace_name] = role
    return grants


@transaction.atomic
def sso_memberships_sync(*, user, claims: dict) -> None:
    """Grant and withdraw `user`'s memberships as the role claim in `claims` says; no-op without the setting."""
    claim_name = settings.ENVMANAGER_OIDC_ROLE_CLAIM
    if not claim_name:
        return
    # Two sign-ins of one person at once take turns here, so each grant is made and audited once.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    wanted = role_claim_grants(claims.get(claim_name))
    workspaces = {w.name: w for w in Workspace.objects.filter(name__in=list(wanted))}
    for name in wanted.keys() - workspaces.keys():
        logger.info("Role claim names Workspace '%s', which does not exist: ignored", name)
    granted = set(SSORoleGrant.objects.select_for_update().filter(user=user).values_list("workspace_id", flat=True))
    # No row locks on memberships here: services/members.py locks the Workspace first, then its
    # memberships; taking them in the other order could deadlock with the Members page.
    memberships = {m.workspace_id: m for m in Membership.objects.filter(user=user).select_related("workspace", "user")}
    for name, workspace in workspaces.items():
        role, membership = wanted[name], memberships.get(workspace.pk)
        if membership is None or membership.role != role:
            try:
                membership_set(workspace=workspace, user=user, role=role, actor=None)
            except ValidationError as exc:  # a rule of members.py (the last Owner) refused it
                logger.warning("Role claim could not make %s %s of '%s': %s", user.get_username(), role, name, exc)
                continue
        if workspace.pk not in granted:
            SSORoleGrant.objects.create(workspace=workspace, user=user)
    keep = {w.pk for w in workspaces.values()}
    for workspace_id in granted - keep:
        membership = memberships.get(workspace_id)
        if membership is not None:
            try:
                membership_remove(workspace=membership.workspace, user=user, actor=None)
            except ValidationError as exc:
                name = membership.workspace.name
                logger.warning("Role claim could not remove %s from '%s': %s", user.get_username(), name, exc)
                continue  # the grant stays too: a later sign-in tries again
        SSORoleGrant.objects.filter(workspace_id=workspace_id, user=user).delete()


def on_sso_signed_in(sender, *, user, claims, **kwargs) -> None:
    """`accounts.sso.sso_signed_in` receiver (connected in EnvmanagerConfig.ready)."""
    sso_memberships_sync(user=user, claims=claims)
