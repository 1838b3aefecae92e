"""Declarative sync: compare a document with the Workspace, describe the plan, apply it all or nothing.

The plan names each object to create, update or delete (secret fields by name only). Applying it
calls the ordinary services (so every change has its audit entry) inside one transaction: any error
rolls back everything, and is reported with the object's path in the document.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from envmanager import crypto
from envmanager.models import EnvObject, Link, Workspace
from envmanager.selectors.declarative import address_label, plain_values, workspace_objects
from envmanager.services import env_objects as object_services
from envmanager.services import links as link_services
from envmanager.services.declarative_document import DesiredLink, DesiredObject, DocumentInvalid
from envmanager.targets import Target

SYMBOLS = {"create": "+", "update": "~", "delete": "-"}


@dataclass
class Change:
    action: str  # create | update | delete
    path: str
    label: str
    details: list[str] = field(default_factory=list)
    steps: list[Callable[[object], object]] = field(default_factory=list)

    @property
    def line(self) -> str:
        details = f": {'; '.join(self.details)}" if self.details else ""
        return f"{SYMBOLS[self.action]} {self.action} {self.label}{details}"


@dataclass
class Plan:
    changes: list[Change]

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def summary(self) -> str:
        return (f"Plan: {self.count('create')} to create, {self.count('update')} to update, "
                f"{self.count('delete')} to delete.")

    @property
    def lines(self) -> list[str]:
        return [change.line for change in self.changes]


def _names(plain_changed, secret_changed, cleared=()) -> str:
    names = sorted(plain_changed) + [f"{n} (secret)" for n in sorted(secret_changed)] + [f"{n} (cleared)" for n in cleared]
    return ", ".join(names)


def _differing_secrets(desired: dict, tokens: dict) -> list[str]:
    return [n for n, v in desired.items() if not tokens.get(n) or crypto.unseal_value(tokens[n]) != v]


def _override_steps(obj: DesiredObject, want: DesiredLink, link: Link | None, env_object_ref) -> tuple[list, list]:
    current_plain = {} if link is None else {k: v for k, v in link.override_data.items() if v is not None}
    tokens = {} if link is None else link.override_secrets
    changed = {n: v for n, v in want.override.items() if current_plain.get(n) != v}
    cleared = [n for n in current_plain if n not in want.override]
    secrets = {n: want.secrets[n] for n in _differing_secrets(want.secrets, tokens)}
    if not (changed or cleared or secrets):
        return [], []
    label = f"override for {want.target.label}: {_names(changed, secrets, cleared)}"
    step = lambda actor: link_services.link_set_override(  # noqa: E731
        env_object=env_object_ref(), actor=actor, target=want.target, fields={**changed, **secrets}, clear=tuple(cleared))
    return [label], [step]


def _link_steps(obj: DesiredObject, current_links: dict, env_object_ref, *, prune: bool) -> tuple[list, list]:
    details, steps = [], []

    def step(service, target: Target):
        return lambda actor: service(env_object=env_object_ref(), actor=actor, target=target)

    wanted = {want.target.label: want for want in obj.links}
    for want in obj.links:
        link = current_links.get(want.target.label)
        target = want.target
        if want.excluded:
            if link is None or not link.excluded:
                details.append(f"exclude {target.label}")
                steps.append(step(link_services.link_exclude, target))
            continue
        receives = link is not None and not link.excluded
        if not receives and not (target.is_deployment and obj.linked_to_all and link is None):
            details.append(f"{'include' if link is not None and link.excluded else 'link'} {target.label}")
            steps.append(step(link_services.link_create, target))
            link = None if link is None or link.excluded else link
        more_details, more_steps = _override_steps(obj, want, link if receives else None, env_object_ref)
        details += more_details
        steps += more_steps
    if prune:
        for label, link in current_links.items():
            if label in wanted:
                continue
            target = Target.of_row(link)
            if link.excluded:
                details.append(f"include {label} (not excluded in the file)")
                steps.append(step(link_services.link_include, target))
            elif obj.linked_to_all and target.is_deployment:
                if link.has_override:
                    details.append(f"remove the override for {label}")
                    steps.append(step(link_services.link_clear_override, target))
            else:
                details.append(f"unlink {label}")
                steps.append(step(link_services.link_delete, target))
    return details, steps


def _create(obj: DesiredObject, workspace: Workspace) -> Change:
    created = {}

    def create(actor):
        created["object"] = object_services.env_object_create(
            workspace=workspace, actor=actor, kind=obj.kind, key=obj.key, fields={**obj.fields, **obj.secrets},
            deployment=obj.deployment, is_secret=obj.is_secret, linked_to_all=obj.linked_to_all,
        )

    details, steps = _link_steps(obj, {}, lambda: created["object"], prune=False)
    fields = _names(obj.fields, obj.secrets)
    return Change("create", obj.path, address_label(obj.address), ([f"fields {fields}"] if fields else []) + details,
                  [create, *steps])


def _update(obj: DesiredObject, env_object: EnvObject, *, prune: bool) -> Change | None:
    details, steps = [], []
    ref = lambda: env_object  # noqa: E731  (services re-read and lock the row themselves)
    current_plain = plain_values(env_object.kind, obj.is_secret, env_object.data)
    changed = {n: v for n, v in obj.fields.items() if current_plain.get(n) != v}
    cleared = [n for n in current_plain if n not in obj.fields]
    secret_tokens = env_object.secrets if obj.is_secret == env_object.is_secret else {}
    secrets = {n: obj.secrets[n] for n in _differing_secrets(obj.secrets, secret_tokens)}
    flag_changed = env_object.spec.has_secret_flag and obj.is_secret != env_object.is_secret
    if changed or cleared or secrets or flag_changed:
        details.append(("is_secret " + str(obj.is_secret).lower() + "; " if flag_changed else "")
                       + f"fields {_names(changed, secrets, cleared)}".rstrip())
        steps.append(lambda actor: object_services.env_object_update(
            env_object=env_object, actor=actor, fields={**changed, **secrets}, clear=tuple(cleared),
            is_secret=obj.is_secret if flag_changed else None))
    if env_object.is_workspace_scoped and obj.linked_to_all != env_object.linked_to_all:
        details.append(f"linked_to_all {str(obj.linked_to_all).lower()}")
        steps.append(lambda actor: link_services.env_object_set_linked_to_all(
            env_object=env_object, actor=actor, linked_to_all=obj.linked_to_all))
    links = {Target.of_row(link).label: link for link in env_object.links.all()}
    if not obj.linked_to_all:  # turning link-to-all off drops exclusions with it
        links = {label: link for label, link in links.items() if not link.excluded}
    more_details, more_steps = _link_steps(obj, links, ref, prune=prune)
    if not (details or more_details):
        return None
    return Change("update", obj.path, address_label(obj.address), details + more_details, steps + more_steps)


def workspace_plan(*, workspace: Workspace, desired: list[DesiredObject], prune: bool = False) -> Plan:
    """Compare `desired` (from `read_document`) with the Workspace; return what applying would change."""
    current = {}
    for env_object in workspace_objects(workspace=workspace):
        address = (env_object.kind, env_object.key, env_object.deployment.name if env_object.deployment_id else None)
        current[address] = env_object
    changes = []
    for obj in desired:
        env_object = current.pop(obj.address, None)
        change = _create(obj, workspace) if env_object is None else _update(obj, env_object, prune=prune)
        if change is not None:
            changes.append(change)
    if prune:
        for address, env_object in current.items():
            changes.append(Change("delete", "", address_label(address), [], [
                lambda actor, o=env_object: object_services.env_object_delete(env_object=o, actor=actor)]))
    return Plan(changes)


def plan_apply(*, plan: Plan, actor, dry_run: bool = False) -> None:
    """Apply every change in one transaction (rolled back for a dry run, which so checks everything).

    Raises DocumentInvalid naming the object whose change failed; then nothing is changed.
    """
    with transaction.atomic():
        for change in plan.changes:
            try:
                for step in change.steps:
                    step(actor)
            except ValidationError as exc:
                path = change.path or change.label
                raise DocumentInvalid([{"path": path, "message": " ".join(exc.messages)}]) from None
        if dry_run:
            transaction.set_rollback(True)
