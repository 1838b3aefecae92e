"""The effective environment of a Deployment or IDE project: one value per (type, key), with its source.

Resolution, most specific first:
1. a Deployment-scoped object of that Deployment;
2. a Workspace object linked to the target (explicitly, or through "all Deployments" unless the
   Deployment is excluded), with that link's overrides applied field by field.

Two queries whatever the number of objects, and no decryption: secret values stay tokens until a
caller that is allowed to see them asks (`EffectiveEntry.reveal`).
"""

from dataclasses import dataclass, field
from functools import cache

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q

from envmanager import crypto
from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import Deployment, EnvObject, IdeProject
from envmanager.selectors import env_objects
from envmanager.selectors.env_objects import KIND_ORDER
from envmanager.targets import Target


class Source:
    DEPLOYMENT = "deployment"
    WORKSPACE = "workspace"
    OVERRIDE = "override"


ENTRY_SOURCE_LABELS = {
    Source.DEPLOYMENT: "Deployment object",
    Source.WORKSPACE: "Workspace object",
    Source.OVERRIDE: "Workspace + override",
}


@dataclass(slots=True)
class EffectiveField:
    name: str
    secret: bool
    source: str  # Source.DEPLOYMENT | Source.WORKSPACE | Source.OVERRIDE
    value: object = None  # the plain value; always None for a secret
    token: str | None = field(default=None, repr=False)  # the secret's ciphertext, if set

    @property
    def is_set(self) -> bool:
        return self.token is not None if self.secret else self.value not in (None, "")

    def reveal(self):
        """Return the value, decrypting a secret. Only for the API, exports and the secrets backend."""
        return crypto.unseal_value(self.token) if self.secret and self.token is not None else self.value


@dataclass(slots=True)
class EffectiveEntry:
    kind: str
    key: str
    source: str  # where the object comes from: Source.DEPLOYMENT, Source.WORKSPACE or Source.OVERRIDE
    object_id: int
    is_secret: bool
    fields: dict[str, EffectiveField]
    link_id: int | None = None

    @property
    def source_label(self) -> str:
        return ENTRY_SOURCE_LABELS[self.source]

    def reveal(self) -> dict:
        """Return every field's value with secrets decrypted."""
        return {name: effective.reveal() for name, effective in self.fields.items()}

    def redacted(self) -> dict:
        """Return every field's value with secrets shown only as set / not set."""
        return {
            name: (("[secret: set]" if effective.is_set else None) if effective.secret else effective.value)
            for name, effective in self.fields.items()
        }


_VALUE_COLUMNS = ("id", "kind", "key", "is_secret", "data", "secrets")


@cache
def _field_layout(kind: str, is_secret_flag: bool) -> tuple[tuple[str, bool], ...]:
    """Return (field name, is secret) for every field of `kind`; computed once per type and flag."""
    spec = KIND_SPECS[kind]
    return tuple((f.name, spec.is_secret(f.name, is_secret_flag=is_secret_flag)) for f in spec.fields)


def field_layout(kind: str, is_secret_flag: bool) -> tuple[tuple[str, bool], ...]:
    """(field name, is secret) for every field of `kind`, in the type's field order (selectors/compare.py)."""
    return _field_layout(kind, is_secret_flag)


def _entry(row: dict, *, base_source: str, override_plain: dict, override_sealed: dict, link_id=None):
    is_secret_flag = row["is_secret"]
    plain, sealed = row["data"], row["secrets"]
    fields = {}
    for name, secret in _field_layout(row["kind"], is_secret_flag):
        if name in override_plain or name in override_sealed:
            source, values = Source.OVERRIDE, (override_sealed if secret else override_plain)
        else:
            source, values = base_source, (sealed if secret else plain)
        value = values.get(name)
        fields[name] = EffectiveField(name, secret, source, None if secret else value, value if secret else None)
    overridden = bool(override_plain or override_sealed)
    return EffectiveEntry(
        kind=row["kind"], key=row["key"], source=Source.OVERRIDE if overridden else base_source,
        object_id=row["id"], is_secret=is_secret_flag, fields=fields, link_id=link_id,
    )


def effective_entry_from_row(row: dict, *, base_source: str, override_plain=None, override_sealed=None, link_id=None):
    """One effective entry from an object's row (`_VALUE_COLUMNS`, JSON decoded) and a link's override (selectors/compare.py)."""
    return _entry(row, base_source=base_source, override_plain=override_plain or {},
                  override_sealed=override_sealed or {}, link_id=link_id)


def resolve(workspace_rows, deployment_rows=()) -> list[EffectiveEntry]:
    resolved: dict[tuple[str, str], EffectiveEntry] = {}
    for row in workspace_rows:
        resolved[(row["kind"], row["key"])] = _entry(
            row, base_source=Source.WORKSPACE, override_plain=row["link_data"] or {},
            override_sealed=row["link_secrets"] or {}, link_id=row["link_id"],
        )
    for row in deployment_rows:  # a Deployment's own object always wins
        resolved[(row["kind"], row["key"])] = _entry(
            row, base_source=Source.DEPLOYMENT, override_plain={}, override_sealed={}
        )
    return sorted(resolved.values(), key=lambda entry: (KIND_ORDER[entry.kind], entry.key))


# The annotation name the helpers below expect: the one link row of the target (FilteredRelation).
TARGET_LINK = "target_link"
TARGET_LINK_COLUMNS = {
    "link_id": F("target_link__id"),
    "link_data": F("target_link__override_data"),
    "link_secrets": F("target_link__override_secrets"),
}


def with_target_link(objects, link_condition: Q):
    """Annotate `objects` with the target's own link row (or none) as `target_link`."""
    return objects.annotate(**{TARGET_LINK: FilteredRelation("links", condition=link_condition)})


def visible_to_target(*, include_linked_to_all: bool, link: str = TARGET_LINK) -> Q:
    """The rule for which Workspace objects a target receives, for a query annotated by `with_target_link`.

    Linked and not excluded; or, for Deployments, linked to all Deployments with no link row of its own.
    The one statement of the rule in the ORM: the Environment pages' paginated list uses it too, and
    the other restatements (`env_objects.env_object_link_state`, `env_object_usage`, the commands'
    link summaries) are held equal to it by tests/envmanager/selectors/test_visibility.py. `link` names
    the FilteredRelation when a query joins more than one target's link (selectors/compare.py).
    """
    visible = Q(**{f"{link}__id__isnull": False, f"{link}__excluded": False})
    if include_linked_to_all:
        visible |= Q(linked_to_all=True, **{f"{link}__id__isnull": True})
    return visible


def _linked_workspace_rows(workspace_id: int, link_condition: Q, *, include_linked_to_all: bool, filters: dict):
    objects = with_target_link(
        EnvObject.objects.filter(workspace_id=workspace_id, deployment__isnull=True, **filters), link_condition
    )
    return objects.filter(visible_to_target(include_linked_to_all=include_linked_to_all)).values(
        *_VALUE_COLUMNS, **TARGET_LINK_COLUMNS
    )


def _filters(kinds, key) -> dict:
    filters = {}
    if kinds:
        filters["kind__in"] = list(kinds)
    if key is not None:
        filters["key"] = key
    return filters


def deployment_effective_environment(
    *, deployment: Deployment, kinds: tuple[str, ...] | None = None, key: str | None = None
) -> list[EffectiveEntry]:
    """Return the effective environment of `deployment`, ordered by type then key.

    `kinds` and `key` narrow it (one connection, all variables) with the same two queries.
    """
    filters = _filters(kinds, key)
    workspace_rows = _linked_workspace_rows(
        deployment.workspace_id, Q(links__deployment_id=deployment.pk), include_linked_to_all=True, filters=filters
    )
    deployment_rows = EnvObject.objects.filter(deployment_id=deployment.pk, **filters).values(*_VALUE_COLUMNS)
    return resolve(workspace_rows, deployment_rows)


def ide_project_effective_environment(
    *, ide_project: IdeProject, kinds: tuple[str, ...] | None = None, key: str | None = None
) -> list[EffectiveEntry]:
    """Return the effective environment of an IDE project: its linked Workspace objects."""
    workspace_rows = _linked_workspace_rows(
        ide_project.workspace_id, Q(links__ide_project_id=ide_project.pk), include_linked_to_all=False,
        filters=_filters(kinds, key),
    )
    return resolve(workspace_rows)


def target_effective_environment(
    *, target: Target | Deployment | IdeProject | None = None, kinds: tuple[str, ...] | None = None, key: str | None = None
) -> list[EffectiveEntry]:
    """Return the effective environment of one Deployment or one IDE project (two queries)."""
    target = Target.of(target)
    if target.is_deployment:
        return deployment_effective_environment(deployment=target.deployment, kinds=kinds, key=key)
    return ide_project_effective_environment(ide_project=target.ide_project, kinds=kinds, key=key)


def effective_entry(*, deployment: Deployment, kind: str, key: str) -> EffectiveEntry | None:
    """Return the effective value of one (type, key) for `deployment`, or None if it has none."""
    entries = deployment_effective_environment(deployment=deployment, kinds=(kind,), key=key)
    return entries[0] if entries else None


def entry_as_dict(entry: EffectiveEntry, *, reveal: bool) -> dict:
    """Return the JSON shape of one effective entry, shared by the read API and `env_show --format json`.

    With `reveal=False` a secret's value is null and only `is_set` tells whether it has one.
    """
    return {
        "type": entry.kind,
        "key": entry.key,
        "source": entry.source,
        "is_secret": entry.is_secret,
        "fields": {
            name: {
                "value": effective.reveal() if reveal else (None if effective.secret else effective.value),
                "secret": effective.secret,
                "is_set": effective.is_set,
                "source": effective.source,
            }
            for name, effective in entry.fields.items()
        },
    }


# --- The paginated effective environment of the Environment pages ------------------------------

def _source_fields(source: str) -> dict:
    return {"source": source, "source_label": ENTRY_SOURCE_LABELS[source], "overridden_here": source == Source.OVERRIDE}


def _target_source(values, overridden: bool) -> dict:
    if values["deployment_id"] is not None:
        return _source_fields(Source.DEPLOYMENT)
    return _source_fields(Source.OVERRIDE if overridden else Source.WORKSPACE)


def _target_effective_objects(target: Target, **filters):
    """The EnvObject rows making up `target`'s effective environment (one per type and key)."""
    objects = with_target_link(
        EnvObject.objects.filter(workspace_id=target.workspace_id, **filters), target.link_condition
    )
    if target.is_deployment:
        received = visible_to_target(include_linked_to_all=True)
        shadowed = Exists(
            EnvObject.objects.filter(deployment_id=target.pk, kind=OuterRef("kind"), key=OuterRef("key"))
        )
        return objects.filter(Q(deployment_id=target.pk) | (Q(deployment__isnull=True) & received & ~shadowed))
    return objects.filter(Q(deployment__isnull=True) & visible_to_target(include_linked_to_all=False))


def target_kind_counts(*, target) -> dict[str, int]:
    """Return how many effective objects of each type `target` has, in one query (the type menu's counts)."""
    return env_objects.kind_counts(_target_effective_objects(Target.of(target)))


def target_env_object_page(
    *, target, kind: Kind, query: str = "", sort: str = env_objects.DEFAULT_SORT, page=1
) -> env_objects.ObjectPage:
    """Return one page of the effective objects of `kind` in `target`, each with its source.

    Same resolution as `target_effective_environment`, done in one paginated query. A Deployment:
    its own objects, and the Workspace objects it receives that none of them shadows. An IDE
    project: the Workspace objects linked to it.
    """
    target = Target.of(target)
    effective = _target_effective_objects(target, kind=kind)
    values = effective.values(*env_objects.ROW_COLUMNS, deployment_name=F("deployment__name"), **TARGET_LINK_COLUMNS)
    return env_objects.object_page(
        kind, values, query=query, sort=sort, scope=target.audit_type, page=page, total_queryset=effective,
        with_links=target.is_deployment, source_for=_target_source,
    )
