"""Create, change and delete environment objects of every type and scope."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from envmanager import crypto
from envmanager.kinds import (
    KIND_SPECS,
    Kind,
    check_consistency,
    check_required,
    clean_fields,
    defaults,
    unused_fields,
    validate_key,
)
from envmanager.models import AuditEntry, Deployment, EnvObject, IdeProject, Link, Workspace
from envmanager.selectors.env_objects import scope_label
from envmanager.services.audit import (
    audit_record,
    changed_secret_names,
    env_object_label,
    env_object_snapshot,
)
from envmanager.services.versions import Change, deleted_links, version_record
from envmanager.targets import Target


def _duplicate_error(kind: Kind, key: str, deployment: Deployment | None) -> ValidationError:
    return ValidationError({"key": f"{kind.label} '{key}' already exists in {scope_label(deployment)}."})


@sensitive_variables("fields", "cleaned", "given")
def apply_field_values(
    *, kind: Kind, is_secret_flag: bool, plain: dict, sealed: dict, fields: dict, clear: tuple[str, ...] = ()
) -> None:
    """Write validated `fields` into `plain` / `sealed` (field -> token), in place.

    A secret field given as None or "" keeps its stored value (forms leave it empty); `clear`
    names fields to remove. A plain field given as None or "" is removed.
    """
    spec = KIND_SPECS[kind]
    given = {
        name: value
        for name, value in fields.items()
        if not (spec.is_secret(name, is_secret_flag=is_secret_flag) and value in (None, ""))
    }
    cleaned = clean_fields(kind, given)
    for name in clear:
        spec.field(name)  # unknown field names are an error, not a silent no-op
        plain.pop(name, None)
        sealed.pop(name, None)
    for name, value in cleaned.items():
        if spec.is_secret(name, is_secret_flag=is_secret_flag):
            sealed[name] = crypto.seal_value(value)
        elif value is None:
            plain.pop(name, None)
        else:
            plain[name] = value


def drop_unused_fields(kind: Kind, plain: dict, sealed: dict) -> None:
    """Remove stored values the object's other values make meaningless (see `kinds.unused_fields`)."""
    for name in unused_fields(kind, plain):
        plain.pop(name, None)
        sealed.pop(name, None)


def check_complete(kind: Kind, plain: dict, sealed: dict) -> None:
    values = {**plain, **{name: True for name in sealed}}
    check_required(kind, values)
    check_consistency(kind, values)


@sensitive_variables("fields")
@transaction.atomic
def env_object_create(
    *,
    workspace: Workspace,
    actor,
    kind: Kind | str,
    key: str,
    fields: dict,
    deployment: Deployment | None = None,
    is_secret: bool = False,
    linked_to_all: bool = False,
) -> EnvObject:
    """Create a Workspace-scoped object, or a Deployment-scoped one when `deployment` is given."""
    kind = Kind(kind)
    key = key or ""
    validate_key(kind, key)  # checked as given: a key is never trimmed or otherwise altered
    if deployment is not None and deployment.workspace_id != workspace.pk:
        raise ValidationError("The Deployment belongs to another Workspace.")
    if is_secret and not KIND_SPECS[kind].has_secret_flag:
        raise ValidationError({"is_secret": f"{kind.label}s have no secret flag; their secret fields always are."})
    if linked_to_all and deployment is not None:
        raise ValidationError({"linked_to_all": "Only Workspace objects can be linked to all Deployments."})
    plain, sealed = defaults(kind), {}
    apply_field_values(kind=kind, is_secret_flag=is_secret, plain=plain, sealed=sealed, fields=fields)
    drop_unused_fields(kind, plain, sealed)
    check_complete(kind, plain, sealed)

    target_lock(deployment)
    scope = EnvObject.objects.filter(workspace=workspace, kind=kind, key=key)
    scope = scope.filter(deployment=deployment) if deployment else scope.filter(deployment__isnull=True)
    if scope.exists():
        raise _duplicate_error(kind, key, deployment)
    env_object = EnvObject(
        workspace=workspace, deployment=deployment, kind=kind, key=key, is_secret=is_secret,
        linked_to_all=linked_to_all, data=plain, secrets=sealed,
    )
    try:
        with transaction.atomic():
            env_object.save()
    except IntegrityError:
        # Someone created the same key between the check and the insert.
        raise _duplicate_error(kind, key, deployment) from None
    version_record(env_object=env_object, actor=actor, change=Change.CREATED)
    audit_record(
        actor=actor, action=AuditEntry.Action.ENV_OBJECT_CREATE, workspace=workspace,
        target_type=AuditEntry.TargetType.ENV_OBJECT,
        target_id=env_object.pk, target_label=env_object_label(env_object), after=env_object_snapshot(env_object),
    )
    return env_object


def target_lock(target: Target | Deployment | IdeProject | None) -> None:
    """Lock the Deployment (or IDE project) row a new row will point at, as its delete does first: a write
    racing the delete then waits for it and fails with this clear error, or commits first and goes with it."""
    if target is None:
        return
    target = Target.of(target)
    instance = target.instance
    if not type(instance).objects.select_for_update().filter(pk=instance.pk).exists():
        raise ValidationError(f"{target.label} was deleted; nothing was saved.")


def env_object_lock(env_object: EnvObject) -> EnvObject:
    """Re-read `env_object` under a row lock so concurrent edits apply one after the other."""
    try:
        return EnvObject.objects.select_for_update(of=("self",)).select_related("deployment", "workspace").get(pk=env_object.pk)
    except EnvObject.DoesNotExist:
        raise ValidationError(f"{env_object.get_kind_display()} '{env_object.key}' no longer exists.") from None


def _seal_value(plain: dict, sealed: dict) -> None:
    """Move a plain 'value' into sealed storage (the secret flag was ticked)."""
    if "value" in plain:
        sealed["value"] = crypto.seal_value(plain.pop("value"))


def _make_value_plain(env_object: EnvObject, *, actor, fields: dict, clear: tuple[str, ...]) -> None:
    """Untick the secret flag: only with a new value, and never by unsealing a stored secret.

    The object's sealed value is dropped (the new value replaces it). An override that holds a secret value
    for a Deployment or IDE project would become readable, so it has to be removed first.
    """
    if fields.get("value") is None and "value" not in clear:
        raise ValidationError({
            "value": "To make the value plain, enter its new value: a secret is never turned back into plain text."
        })
    env_object.secrets.pop("value", None)
    for link in env_object.links.select_for_update(of=("self",)).select_related("deployment", "ide_project"):
        if "value" not in link.override_secrets:
            continue
        if link.override_secrets["value"] is not None:
            raise ValidationError({
                "is_secret": f"{Target.of_row(link).label} overrides the secret value; remove that override before "
                "making the value plain (its secret is never turned into plain text)."
            })
        # An override "to empty" holds no secret: it stays an override to empty.
        link.override_data = {**link.override_data, "value": None}
        link.override_secrets = {k: v for k, v in link.override_secrets.items() if k != "value"}
        Link.objects.filter(pk=link.pk).update(override_data=link.override_data, override_secrets=link.override_secrets)
        version_record(env_object=env_object, actor=actor, change=Change.CHANGED, link=link)


def secret_flag_set(env_object: EnvObject, *, actor, is_secret: bool, fields: dict, clear: tuple[str, ...]) -> None:
    """Tick or untick the secret flag of a locked object, in place, sealing (or refusing) its overrides too."""
    if not env_object.spec.has_secret_flag:
        raise ValidationError({"is_secret": f"{env_object.get_kind_display()}s have no secret flag."})
    env_object.is_secret = is_secret  # first: the overrides' versions record the new flag
    if is_secret:
        _seal_value(env_object.data, env_object.secrets)
        for link in env_object.links.select_for_update():
            if "value" not in link.override_data:
                continue
            _seal_value(link.override_data, link.override_secrets)
            Link.objects.filter(pk=link.pk).update(override_data=link.override_data, override_secrets=link.override_secrets)
            version_record(env_object=env_object, actor=actor, change=Change.CHANGED, link=link)
    else:
        _make_value_plain(env_object, actor=actor, fields=fields, clear=clear)


@sensitive_variables("fields")
@transaction.atomic
def env_object_update(
    *,
    env_object: EnvObject,
    actor,
    fields: dict | None = None,
    clear: tuple[str, ...] = (),
    is_secret: bool | None = None,
) -> EnvObject:
    """Change some fields of an object; fields not named keep their values."""
    env_object = env_object_lock(env_object)
    before = env_object_snapshot(env_object)
    before_tokens = dict(env_object.secrets)
    kind = Kind(env_object.kind)

    if is_secret is not None and is_secret != env_object.is_secret:
        secret_flag_set(env_object, actor=actor, is_secret=is_secret, fields=fields or {}, clear=clear)
    plain, sealed = dict(env_object.data), dict(env_object.secrets)

    apply_field_values(
        kind=kind, is_secret_flag=env_object.is_secret, plain=plain, sealed=sealed, fields=fields or {}, clear=clear
    )
    drop_unused_fields(kind, plain, sealed)
    check_complete(kind, plain, sealed)
    env_object.data, env_object.secrets = plain, sealed
    env_object.save()
    version_record(env_object=env_object, actor=actor, change=Change.CHANGED)
    audit_record(
        actor=actor, action=AuditEntry.Action.ENV_OBJECT_UPDATE, workspace=env_object.workspace,
        target_type=AuditEntry.TargetType.ENV_OBJECT,
        target_id=env_object.pk, target_label=env_object_label(env_object), before=before,
        after=env_object_snapshot(env_object),
        extra={"secrets_written": changed_secret_names(before_tokens, env_object.secrets)},
    )
    return env_object


@transaction.atomic
def env_object_delete(*, env_object: EnvObject, actor) -> None:
    """Delete an object with its links and overrides."""
    env_object = env_object_lock(env_object)
    snapshot = env_object_snapshot(env_object)
    label = env_object_label(env_object)
    links = list(env_object.links.select_related("deployment", "ide_project"))
    snapshot["links"] = [
        {"target": link.deployment.name if link.deployment_id else link.ide_project.name, "excluded": link.excluded}
        for link in links
    ]
    object_id, workspace = env_object.pk, env_object.workspace
    version_record(env_object=env_object, actor=actor, change=Change.DELETED, links=deleted_links(env_object))
    env_object.delete()
    audit_record(
        actor=actor, action=AuditEntry.Action.ENV_OBJECT_DELETE, workspace=workspace,
        target_type=AuditEntry.TargetType.ENV_OBJECT,
        target_id=object_id, target_label=label, before=snapshot,
    )

