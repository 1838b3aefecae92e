"""Links from Workspace objects to Deployments and IDE projects, overrides, link-to-all and exclusions."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from envmanager.kinds import Kind
from envmanager.models import AuditEntry, Deployment, EnvObject, IdeProject, Link
from envmanager.services.audit import audit_record, changed_secret_names, env_object_label, link_snapshot
from envmanager.services.env_objects import apply_field_values, check_complete, env_object_lock, target_lock
from envmanager.services.versions import Change, version_record
from envmanager.targets import Target


def _check_target(env_object: EnvObject, target: Target) -> None:
    if not env_object.is_workspace_scoped:
        raise ValidationError(
            f"{env_object.get_kind_display()} '{env_object.key}' belongs to a Deployment; only Workspace "
            "objects can be linked."
        )
    if target.workspace_id != env_object.workspace_id:
        raise ValidationError(f"{target.label} is in another Workspace.")


def _deployment_target(target) -> Target:
    target = Target.of(target)
    if not target.is_deployment:
        raise ValidationError(f"Only Deployments are excluded and included; {target.label} is linked or unlinked.")
    return target


def _link_row(env_object: EnvObject, target: Target) -> Link | None:
    links = Link.objects.select_for_update(of=("self",)).select_related("deployment", "ide_project")
    return links.filter(env_object=env_object, **target.row_filter).first()


def _lock_link(env_object: EnvObject, target: Target) -> tuple[EnvObject, Link | None]:
    """Re-read `env_object` under its lock, check it may link to `target`, and lock their link row (None if none)."""
    env_object = env_object_lock(env_object)
    _check_target(env_object, target)
    return env_object, _link_row(env_object, target)


def _audit_link(*, actor, action: str, env_object: EnvObject, target: Target, before=None, after=None, extra=None):
    audit_record(
        actor=actor, action=action, workspace=env_object.workspace, target_type=AuditEntry.TargetType.ENV_OBJECT,
        target_id=env_object.pk, target_label=f"{env_object_label(env_object)} -> {target.label}",
        before=before, after=after, extra=extra,
    )


@transaction.atomic
def link_create(*, env_object: EnvObject, actor, target: Target | Deployment | IdeProject | None = None) -> Link:
    """Make a Workspace object available to one Deployment or IDE project (no-op if it already is)."""
    target = Target.of(target)
    env_object = env_object_lock(env_object)
    target_lock(target)
    _check_target(env_object, target)
    link = _link_row(env_object, target)
    if link is not None and not link.excluded:
        return link
    if link is not None:  # linking an excluded Deployment includes it again
        before = link_snapshot(link)
        link.excluded = False
        link.save(update_fields=["excluded", "updated_at"])
        _audit_link(actor=actor, action=AuditEntry.Action.LINK_INCLUDE, env_object=env_object, target=target,
                    before=before, after=link_snapshot(link))
        return link
    link = Link.objects.create(env_object=env_object, **target.row_filter)
    _audit_link(actor=actor, action=AuditEntry.Action.LINK_CREATE, env_object=env_object, target=target,
    after=link_snapshot(link))
    return link


@transaction.atomic
def link_delete(*, env_object: EnvObject, actor, target: Target | Deployment | IdeProject | None = None) -> None:
    """Remove a link and its overrides."""
    target = Target.of(target)
    env_object, link = _lock_link(env_object, target)
    if target.is_deployment and env_object.linked_to_all:
        raise ValidationError(
            f"{env_object.get_kind_display()} '{env_object.key}' is linked to all Deployments; "
            f"exclude {target.label} instead of unlinking it."
        )
    if link is None or link.excluded:
        raise ValidationError(f"{env_object.get_kind_display()} '{env_object.key}' is not linked to {target.label}.")
    before = link_snapshot(link)
    if link.has_override:  # the override goes with the link: its history says so
        link.override_data, link.override_secrets = {}, {}
        version_record(env_object=env_object, actor=actor, change=Change.DELETED, link=link)
    link.delete()
    _audit_link(actor=actor, action=AuditEntry.Action.LINK_DELETE, env_object=env_object, target=target, before=before)


@sensitive_variables("fields")
@transaction.atomic
def link_set_override(
    *,
    env_object: EnvObject,
    actor,
    target: Target | Deployment | IdeProject | None = None,
    fields: dict | None = None,
    clear: tuple[str, ...] = (),
) -> Link:
    """Set (or with `clear`, remove) per-target values for some fields of a linked Workspace object.

    A plain field given as None is no longer overridden; a secret field given as None or "" keeps
    its override. The Workspace object and every other target are unaffected.
    """
    target = Target.of(target)
    env_object, link = _lock_link(env_object, target)
    if link is None and target.is_deployment and env_object.linked_to_all:
        # Linked through "all Deployments": the override needs a row of its own for this Deployment.
        link = Link(env_object=env_object, deployment=target.deployment)
    if link is None or link.excluded:
        raise ValidationError(
            f"{env_object.get_kind_display()} '{env_object.key}' is not linked to {target.label}; link it before "
            "overriding its values."
        )
    before = link_snapshot(link) if link.pk else None
    before_tokens = dict(link.override_secrets)
    plain, sealed = dict(link.override_data), dict(link.override_secrets)
    apply_field_values(
        kind=Kind(env_object.kind), is_secret_flag=env_object.is_secret, plain=plain, sealed=sealed,
        fields=fields or {}, clear=clear,
    )
    check_complete(Kind(env_object.kind), {**env_object.data, **plain}, {**env_object.secrets, **sealed})
    link.override_data, link.override_secrets = plain, sealed
    link.save()
    version_record(env_object=env_object, actor=actor, change=Change.CHANGED, link=link)
    _audit_link(
        actor=actor, action=AuditEntry.Action.LINK_OVERRIDE, env_object=env_object, target=target, before=before,
        after=link_snapshot(link), extra={"secrets_written": changed_secret_names(before_tokens, sealed)},
    )
    return link


def link_clear_override(
    *, env_object: EnvObject, actor, target: Target | Deployment | IdeProject | None = None
) -> Link:
    """Remove every override of one link; the target sees the Workspace values again."""
    spec_fields = env_object.spec.field_names
    return link_set_override(
        env_object=env_object, actor=actor, target=target, clear=spec_fields
    )


@transaction.atomic
def env_object_set_linked_to_all(*, env_object: EnvObject, actor, linked_to_all: bool) -> EnvObject:
    """Link a Workspace object to every Deployment, present and future, or stop doing so."""
    env_object = env_object_lock(env_object)
    if not env_object.is_workspace_scoped:
        raise ValidationError("Only Workspace objects can be linked to all Deployments.")
    if env_object.linked_to_all == linked_to_all:
        return env_object
    env_object.linked_to_all = linked_to_all
    env_object.save(update_fields=["linked_to_all", "updated_at"])
    dropped = []
    if not linked_to_all:
        # Exclusions only mean something under "all Deployments"; drop them with it.
        excluded = env_object.links.filter(excluded=True).select_related("deployment")
        dropped = [link.deployment.name for link in excluded]
        excluded.delete()
    version_record(env_object=env_object, actor=actor, change=Change.CHANGED)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.ENV_OBJECT_LINK_ALL if linked_to_all else AuditEntry.Action.ENV_OBJECT_UNLINK_ALL,
        workspace=env_object.workspace, target_type=AuditEntry.TargetType.ENV_OBJECT, target_id=env_object.pk,
        target_label=env_object_label(env_object), before={"linked_to_all": not linked_to_all},
        after={"linked_to_all": linked_to_all}, extra={"exclusions_removed": dropped} if dropped else None,
    )
    return env_object


@transaction.atomic
def link_exclude(
    *, env_object: EnvObject, actor, target: Target | Deployment | None = None, drop_override: bool = False
) -> Link:
    """Keep one Deployment from receiving an object that is linked to all Deployments.

    A Deployment that overrides the object is excluded only with `drop_override` (the override is lost,
    as when unlinking); without it the refusal says so.
    """
    target = _deployment_target(target)
    env_object, link = _lock_link(env_object, target)
    if not env_object.linked_to_all:
        raise ValidationError(
            f"{env_object.get_kind_display()} '{env_object.key}' is not linked to all Deployments; unlink "
            f"{target.label} instead."
        )
    if link is not None and link.excluded:
        return link
    if link is not None and link.has_override and not drop_override:
        raise ValidationError(
            f"{target.label} overrides this object and excluding it would drop the override: remove the override "
            "first, or exclude it in the links dialog, which asks to drop it."
        )
    before = link_snapshot(link) if link else None
    if link is not None and link.has_override:  # the override goes with the exclusion: its history says so
        link.override_data, link.override_secrets = {}, {}
        version_record(env_object=env_object, actor=actor, change=Change.DELETED, link=link)
    if link is None:
        link = Link.objects.create(env_object=env_object, deployment=target.deployment, excluded=True)
    else:
        link.excluded = True
        link.save(update_fields=["excluded", "override_data", "override_secrets", "updated_at"])
    _audit_link(actor=actor, action=AuditEntry.Action.LINK_EXCLUDE, env_object=env_object, target=target, before=before,
                after=link_snapshot(link))
    return link


@transaction.atomic
def link_include(*, env_object: EnvObject, actor, target: Target | Deployment | None = None) -> None:
    """Undo `link_exclude`: the Deployment receives the object again."""
    target = _deployment_target(target)
    env_object, link = _lock_link(env_object, target)
    if link is None or not link.excluded:
        raise ValidationError(f"{target.label} is not excluded from {env_object.get_kind_display()} '{env_object.key}'.")
    before = link_snapshot(link)
    link.delete()
    _audit_link(actor=actor, action=AuditEntry.Action.LINK_INCLUDE, env_object=env_object, target=target,
                before=before)
