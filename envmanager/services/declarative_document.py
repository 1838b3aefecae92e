"""Reading a declarative document (docs/gitops.md, version 1) into what the Workspace should hold.

Every problem is collected with its path in the document (`objects[3].fields.port`), so one run
reports them all; nothing is applied while any remains. Secret values never appear in a document:
a secret field is left out (keep what is stored) or given as a reference that a resolver reads.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from envmanager.kinds import KIND_SPECS, Kind, clean_field_value, key_error
from envmanager.models import Deployment, IdeProject, Workspace
from envmanager.selectors.declarative import DOCUMENT_VERSION, object_address
from envmanager.targets import Target
from envmanager.values import structured_type_error

TOP_MEMBERS = {"version", "workspace", "objects"}
OBJECT_MEMBERS = {"type", "key", "deployment", "is_secret", "linked_to_all", "fields", "links"}
LINK_MEMBERS = {"deployment", "ide_project", "excluded", "override"}
REFERENCES = ("from_env", "from_file")

SecretResolver = Callable[[dict], str]


class DocumentInvalid(ValidationError):
    """The document has errors; `errors` is a list of {"path", "message"}."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__([f"{e['path']}: {e['message']}" for e in errors])


class UnresolvableReference(Exception):
    """A secret reference that cannot be resolved (its message says why)."""


def operator_resolver(reference: dict) -> str:
    """Resolve references on the operator's machine (`env_apply`): an environment variable or a file, as is."""
    (how, name), = reference.items()
    if how == "from_env":
        if name not in os.environ:
            raise UnresolvableReference(f"the environment variable '{name}' is not set.")
        return os.environ[name]
    try:
        with open(name, encoding="utf-8", newline="") as file:  # newline="": the value exactly as stored
            return file.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UnresolvableReference(f"cannot read the file '{name}' ({exc.__class__.__name__}).") from None


def server_resolver(reference: dict) -> str:
    """The HTTP apply: the server reads neither its environment nor its files for a caller (borders)."""
    raise UnresolvableReference(
        "references are resolved by `manage.py env_apply` on the operator's machine; the API resolves none "
        "(the server never reads its own environment or files for a request). Leave the field out to keep it."
    )


@dataclass
class DesiredLink:
    path: str
    target: Target
    excluded: bool = False
    override: dict = field(default_factory=dict)
    secrets: dict = field(default_factory=dict)


@dataclass
class DesiredObject:
    path: str
    kind: Kind
    key: str
    deployment: Deployment | None
    is_secret: bool
    linked_to_all: bool
    fields: dict
    secrets: dict
    links: list[DesiredLink]

    @property
    def address(self):
        return object_address(self.kind.value, self.key, self.deployment.name if self.deployment else None)


class _Reader:
    def __init__(self, workspace: Workspace, resolver: SecretResolver):
        self.workspace, self.resolver, self.errors = workspace, resolver, []
        self.deployments = {d.name: d for d in Deployment.objects.filter(workspace=workspace)}
        self.ide_projects = {p.name: p for p in IdeProject.objects.filter(workspace=workspace)}

    def error(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def mapping(self, value, path: str, members: set[str]) -> dict | None:
        if not isinstance(value, dict):
            self.error(path, "must be a mapping.")
            return None
        for name in sorted(set(value) - members, key=str):
            self.error(f"{path}.{name}", f"unknown member; allowed: {', '.join(sorted(members))}.")
        return value

    def flag(self, value, path: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.error(path, "must be true or false.")
            return False
        return value

    def values(self, kind: Kind, is_secret_flag: bool, given, path: str) -> tuple[dict, dict]:
        """Return (plain values, resolved secrets) of a `fields` or `override` mapping."""
        if given is None:
            return {}, {}
        if not isinstance(given, dict):
            self.error(path, "must be a mapping of field names to values.")
            return {}, {}
        spec, plain, secrets = KIND_SPECS[kind], {}, {}
        for name, value in given.items():
            at = f"{path}.{name}"
            if name not in spec.field_names:
                self.error(at, f"{kind.label}s have no field '{name}'; fields: {', '.join(spec.field_names)}.")
            elif spec.is_secret(name, is_secret_flag=is_secret_flag):
                resolved = self.reference(value, at)
                if resolved is not None:
                    secrets[name] = resolved
            else:
                plain[name] = self.plain(spec.field(name), value, at)
        return plain, secrets

    def plain(self, field_spec, value, path: str):
        problem = structured_type_error(field_spec.type, value)
        if problem:
            self.error(path, f"{field_spec.label} {problem}")
            return None
        try:
            return clean_field_value(field_spec, value)
        except ValidationError as exc:
            self.error(path, " ".join(exc.messages))
            return None

    def reference(self, value, path: str) -> str | None:
        if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in REFERENCES
                and isinstance(next(iter(value.values())), str)):
            self.error(path, "is a secret: its value is never written in the file. Leave it out to keep the stored "
                       'value, or give {"from_env": "NAME"} or {"from_file": "path"}.')
            return None
        try:
            return self.resolver(value)
        except UnresolvableReference as exc:
            self.error(path, f"{next(iter(value))}: {exc}")
            return None

    def target(self, entry: dict, path: str) -> Target | None:
        named = [m for m in ("deployment", "ide_project") if m in entry]
        if len(named) != 1 or not isinstance(entry[named[0]], str):
            self.error(path, "names exactly one target: deployment: NAME or ide_project: NAME.")
            return None
        member, name = named[0], entry[named[0]]
        known = self.deployments if member == "deployment" else self.ide_projects
        if name not in known:
            noun = "Deployment" if member == "deployment" else "IDE project"
            self.error(f"{path}.{member}", f"no {noun} named '{name}' in Workspace '{self.workspace.name}'.")
            return None
        return Target(deployment=known[name]) if member == "deployment" else Target(ide_project=known[name])

    def links(self, obj: DesiredObject, given, path: str) -> list[DesiredLink]:
        if given is None:
            return []
        if obj.deployment is not None:
            self.error(path, "only Workspace objects are linked; a Deployment's object has no links.")
            return []
        if not isinstance(given, list):
            self.error(path, "must be a list.")
            return []
        links, seen = [], set()
        for j, entry in enumerate(given):
            at = f"{path}[{j}]"
            if self.mapping(entry, at, LINK_MEMBERS) is None:
                continue
            target = self.target(entry, at)
            excluded = self.flag(entry.get("excluded"), f"{at}.excluded")
            plain, secrets = self.values(obj.kind, obj.is_secret, entry.get("override"), f"{at}.override")
            if target is None:
                continue
            if target.label in seen:
                self.error(at, f"{target.label} is listed twice.")
            seen.add(target.label)
            if excluded and not (target.is_deployment and obj.linked_to_all):
                self.error(f"{at}.excluded", "only a Deployment of an object linked to all Deployments is excluded.")
            if excluded and (plain or secrets):
                self.error(f"{at}.override", "an excluded Deployment receives nothing; it has no override.")
            links.append(DesiredLink(at, target, excluded, plain, secrets))
        return links

    def object(self, entry, path: str) -> DesiredObject | None:
        if self.mapping(entry, path, OBJECT_MEMBERS) is None:
            return None
        if entry.get("type") not in Kind.values:
            self.error(f"{path}.type", f"must be one of {', '.join(Kind.values)}.")
            return None
        kind, key = Kind(entry["type"]), entry.get("key")
        if not isinstance(key, str):
            self.error(f"{path}.key", "must be text.")
            return None
        if problem := key_error(kind, key):
            self.error(f"{path}.key", problem)
        deployment = None
        if entry.get("deployment") is not None:
            deployment = self.deployments.get(entry["deployment"]) if isinstance(entry["deployment"], str) else None
            if deployment is None:
                self.error(f"{path}.deployment", f"no Deployment named '{entry['deployment']}' in Workspace "
                           f"'{self.workspace.name}'.")
                return None
        is_secret = self.flag(entry.get("is_secret"), f"{path}.is_secret")
        if is_secret and not KIND_SPECS[kind].has_secret_flag:
            self.error(f"{path}.is_secret", f"{kind.label}s have no secret flag; their secret fields always are.")
        linked_to_all = self.flag(entry.get("linked_to_all"), f"{path}.linked_to_all")
        if linked_to_all and deployment is not None:
            self.error(f"{path}.linked_to_all", "only Workspace objects are linked to all Deployments.")
        plain, secrets = self.values(kind, is_secret, entry.get("fields"), f"{path}.fields")
        obj = DesiredObject(path, kind, key, deployment, is_secret, linked_to_all, plain, secrets, [])
        obj.links = self.links(obj, entry.get("links"), f"{path}.links")
        return obj


def read_document(document, *, workspace: Workspace, resolver: SecretResolver) -> list[DesiredObject]:
    """Return the document's objects, or raise DocumentInvalid with every error and its path."""
    reader = _Reader(workspace, resolver)
    if reader.mapping(document, "(document)", TOP_MEMBERS) is None:
        raise DocumentInvalid(reader.errors)
    if document.get("version") != DOCUMENT_VERSION:
        reader.error("version", f"must be {DOCUMENT_VERSION} (the only version this envmanager reads).")
    if document.get("workspace") not in (None, workspace.name):
        reader.error("workspace", f"the file is for Workspace '{document['workspace']}', not '{workspace.name}'.")
    entries = document.get("objects") or []
    if not isinstance(entries, list):
        reader.error("objects", "must be a list.")
        entries = []
    objects, seen = [], {}
    for i, entry in enumerate(entries):
        obj = reader.object(entry, f"objects[{i}]")
        if obj is None:
            continue
        if obj.address in seen:
            reader.error(obj.path, f"the same object as {seen[obj.address]}.")
        seen.setdefault(obj.address, obj.path)
        objects.append(obj)
    if reader.errors:
        raise DocumentInvalid(reader.errors)
    return objects
