"""Compare two targets' effective environments (Deployments or IDE projects of one Workspace).

Keys only in one, keys whose values differ (which fields), and how many are equal. Secrets are compared
by their decrypted value (two tokens of one value differ as text) but no value leaves this module: the
result names fields only. Two queries whatever the number of objects (one for two IDE projects).
"""

import json
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import BooleanField, Case, ExpressionWrapper, F, FilteredRelation, JSONField, Q, Value, When

from envmanager import crypto
from envmanager.models import Deployment, EnvObject, IdeProject
from envmanager.selectors.environment import (
    KIND_ORDER,
    EffectiveEntry,
    EffectiveField,
    Source,
    deployment_effective_environment,
    effective_entry_from_row,
    field_layout,
    ide_project_effective_environment,
    visible_to_target,
)

Target = Deployment | IdeProject


@dataclass(frozen=True, slots=True)
class KeyRef:
    kind: str
    key: str

    def as_dict(self) -> dict:
        return {"type": self.kind, "key": self.key}


@dataclass(frozen=True, slots=True)
class KeyDifference:
    kind: str
    key: str
    fields: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"type": self.kind, "key": self.key, "fields": list(self.fields)}


@dataclass(slots=True)
class Comparison:
    source: Target
    target: Target
    only_from: list[KeyRef] = field(default_factory=list)
    only_to: list[KeyRef] = field(default_factory=list)
    differs: list[KeyDifference] = field(default_factory=list)
    same: int = 0

    @property
    def is_identical(self) -> bool:
        return not (self.only_from or self.only_to or self.differs)

    def as_dict(self) -> dict:
        """The JSON shape of `env_diff --format json` (the issue's)."""
        return {
            "only_from": [ref.as_dict() for ref in self.only_from],
            "only_to": [ref.as_dict() for ref in self.only_to],
            "differs": [difference.as_dict() for difference in self.differs],
            "same": self.same,
        }


def target_effective_environment(target: Target, *, kinds: tuple[str, ...] | None = None) -> list[EffectiveEntry]:
    if isinstance(target, Deployment):
        return deployment_effective_environment(deployment=target, kinds=kinds)
    return ide_project_effective_environment(ide_project=target, kinds=kinds)


def _comparable(value):
    """A field's value for comparing: "" and None are both "no value", as everywhere else."""
    return None if value in (None, "") else value


def _value(effective: EffectiveField | None):
    if effective is None:
        return None
    return _comparable(effective.reveal() if effective.secret else effective.value)


def _field_differs(left: EffectiveField | None, right: EffectiveField | None) -> bool:
    # The same ciphertext (a shared Workspace value or override) is the same value: no decryption needed.
    if left is not None and right is not None and left.secret and right.secret and left.token == right.token:
        return False
    return _value(left) != _value(right)


def differing_fields(left: EffectiveEntry, right: EffectiveEntry) -> tuple[str, ...]:
    """Return the names of the fields whose values differ, in the type's field order."""
    if left.object_id == right.object_id and left.source == right.source != Source.OVERRIDE:
        return ()  # one object, reaching both as it is: nothing to compare field by field
    names = list(left.fields)
    names += [name for name in right.fields if name not in left.fields]
    changed = [name for name in names if _field_differs(left.fields.get(name), right.fields.get(name))]
    if left.is_secret != right.is_secret:
        changed.append("is_secret")
    return tuple(changed)


def _is_deployment(target: Target) -> bool:
    return isinstance(target, Deployment)


def _own_keys(source: Target, target: Target, filters: dict) -> Q | None:
    """The Workspace objects whose key one of the two targets has as its own object (a subquery, not an id
    list; the key alone, any type: reading a few values too many is harmless), None for two IDE projects."""
    own_ids = [each.pk for each in (source, target) if _is_deployment(each)]
    if not own_ids:
        return None
    return Q(key__in=EnvObject.objects.filter(deployment_id__in=own_ids, **filters).values("key"))


def _only_if(condition: Q, column: str):
    return Case(When(condition, then=F(column)), default=Value(None), output_field=JSONField())


def _is(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


_SIDES = ("from_link", "to_link")  # the FilteredRelation of each target's link


def _link_columns(link: str, target: Target) -> tuple[Q, Q, dict]:
    """Whether the object reaches `target` (the rule of `visible_to_target`), whether its link overrides
    anything (for `same`: the database decides it, most rows are only counted), and the link's columns:
    id and override as stored (only the rows other than `same` are sent, where "{}" means none)."""
    seen = visible_to_target(include_linked_to_all=_is_deployment(target), link=link)
    overridden = Q(**{f"{link}__id__isnull": False}) & ~(
        Q(**{f"{link}__override_data": {}}) & Q(**{f"{link}__override_secrets": {}})
    )
    return seen, overridden, {
        f"{link}_seen": _is(seen), f"{link}_id": F(f"{link}__id"),
        f"{link}_plain": F(f"{link}__override_data"), f"{link}_sealed": F(f"{link}__override_secrets"),
    }


def _visible_rows(source: Target, target: Target, filters: dict):
    """One row per Workspace object either target receives, with both targets' links side by side, and
    the object's values only where a field-by-field comparison may need them. An object both receive as
    it is (most, usually: neither link overrides it, neither target has its key as an own object) comes
    back as `same`, and only those are counted by the database (`_COUNTED_AND_OTHERS`); of the others,
    those both receive need their values (an override or an own object to compare with), and those one
    receives only when the other has the key as an own object."""
    objects = EnvObject.objects.filter(workspace_id=source.workspace_id, deployment__isnull=True, **filters)
    for link, each in zip(_SIDES, (source, target), strict=True):
        condition = Q(links__deployment_id=each.pk) if _is_deployment(each) else Q(links__ide_project_id=each.pk)
        objects = objects.annotate(**{link: FilteredRelation("links", condition=condition)})
    (seen_from, overridden_from, columns_from), (seen_to, overridden_to, columns_to) = (
        _link_columns(link, each) for link, each in zip(_SIDES, (source, target), strict=True)
    )
    compared = overridden_from | overridden_to
    needs_values = seen_from & seen_to  # not `same`, so compared (and no override tested twice)
    if (own_keys := _own_keys(source, target, filters)) is not None:
        compared |= own_keys
        needs_values |= own_keys
    same = seen_from & seen_to & ~compared
    return objects.filter(seen_from | seen_to).order_by().values(
        "id", "kind", "key", "is_secret", same=_is(same), value_data=_only_if(needs_values, "data"),
        value_secrets=_only_if(needs_values, "secrets"), **columns_from, **columns_to,
    )


def _cursor_rows(queryset, wrap: str = "{sql}"):
    """Run a `.values()` queryset on the cursor, its SQL put in `wrap`: (column names, rows as tuples).

    Django's per-column converters (JSON decoding above all), applied to thousands of rows that are only
    counted or compared as text, cost more than the query (benchmarks/history.py). JSON columns come back
    as text on both databases (Django loads jsonb as text), booleans as 0/1 on SQLite."""
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(wrap.format(sql=sql), params)
        return [column[0] for column in cursor.description], cursor.fetchall()


def _json(text):
    if text == "{}":  # most objects have no secrets or no plain values (and most links no override)
        return {}
    return json.loads(text) if isinstance(text, str) else text


_JSON_COLUMNS = ("value_data", "value_secrets", *(f"{link}_{part}" for link in _SIDES for part in ("plain", "sealed")))


# The database counts the `same` rows and sends only the others: most rows are `same`, and sending them
# to be counted here cost more than computing them (the CTE, read twice, is computed once). The one
# `counted` row always comes back, with NULL columns when no row is other than `same`.
_COUNTED_AND_OTHERS = (
    "WITH visible AS ({sql}) SELECT visible.*, counted.same_count"
    " FROM (SELECT COUNT(*) AS same_count FROM visible WHERE visible.same IS TRUE) counted"
    " LEFT JOIN visible ON visible.same IS NOT TRUE"
)


def _rows_not_same(objects) -> tuple[int, list[dict]]:
    """Run `_visible_rows` and return how many rows are `same` and the others as dicts, their JSON decoded."""
    names, values = _cursor_rows(objects, _COUNTED_AND_OTHERS)
    rows = []
    for each in values:
        row = dict(zip(names, each, strict=True))
        if row["id"] is None:
            continue  # the count alone
        for name in _JSON_COLUMNS:
            row[name] = _json(row[name])
        rows.append(row)
    return values[0][names.index("same_count")], rows


_OWN_COLUMNS = ("id", "kind", "key", "is_secret", "data", "secrets", "deployment_id")


def _received(source: Target, target: Target, filters: dict) -> tuple[int, list[tuple[dict, dict]]]:
    """How many Workspace objects reach both as they are, and ({(type, key): visible row}, {(type, key):
    own object row}) of each target, in two queries. An own object row keeps its `data` and `secrets` as
    the database's text (`_own_entry` decodes the ones that are compared)."""
    same, rows = _rows_not_same(_visible_rows(source, target, filters))
    visible = ({}, {})
    for row in rows:
        base = {"id": row["id"], "kind": row["kind"], "key": row["key"], "is_secret": bool(row["is_secret"]),
                "data": row["value_data"], "secrets": row["value_secrets"]}
        for side, link in enumerate(_SIDES):
            if row[f"{link}_seen"]:
                plain, sealed = row[f"{link}_plain"] or {}, row[f"{link}_sealed"] or {}  # None: no link row
                visible[side][(row["kind"], row["key"])] = base | {
                    "link_id": row[f"{link}_id"], "overridden": bool(plain or sealed),
                    "override_plain": plain, "override_sealed": sealed,
                }
    own: tuple[dict, dict] = ({}, {})
    sides = {each.pk: n for n, each in enumerate((source, target)) if _is_deployment(each)}
    if sides:
        _names, values = _cursor_rows(
            EnvObject.objects.filter(deployment_id__in=list(sides), **filters).order_by().values(*_OWN_COLUMNS)
        )
        for row in values:
            own[sides[row[6]]][(row[1], row[2])] = row  # a tuple in _OWN_COLUMNS order
    return same, list(zip(visible, own, strict=True))


def _same_own_objects(left: tuple, right: tuple) -> bool:
    """Two own objects stored with the same text (secrets under one token) are the same, undecoded."""
    return left[3] == right[3] and left[4] == right[4] and left[5] == right[5]


def _own_differences(left: tuple, right: tuple) -> tuple[str, ...]:
    """`differing_fields` of two own objects of one type and key, read straight from their rows: with no
    override to apply, a field's value is the row's, so no EffectiveEntry is built (thousands per page)."""
    if left[3] != right[3]:
        return differing_fields(_own_entry(left), _own_entry(right))  # the secret flag differs: rare
    left_plain, left_sealed, right_plain, right_sealed = (_json(text) for text in (*left[4:6], *right[4:6]))
    changed = []
    for name, secret in field_layout(left[1], bool(left[3])):
        if secret:
            left_token, right_token = left_sealed.get(name), right_sealed.get(name)
            if left_token == right_token:
                continue  # one ciphertext (or neither set): one value
            differs = _comparable(_unsealed(left_token)) != _comparable(_unsealed(right_token))
        else:
            differs = _comparable(left_plain.get(name)) != _comparable(right_plain.get(name))
        if differs:
            changed.append(name)
    return tuple(changed)


def _unsealed(token: str | None):
    return None if token is None else crypto.unseal_value(token)


def _own_entry(row: tuple) -> EffectiveEntry:
    object_id, kind, key, is_secret, data, secrets, _deployment = row
    return effective_entry_from_row(
        {"id": object_id, "kind": kind, "key": key, "is_secret": bool(is_secret), "data": _json(data),
         "secrets": _json(secrets)},
        base_source=Source.DEPLOYMENT,
    )


def _side(own: tuple | None, visible: dict | None) -> EffectiveEntry | None:
    """One target's effective entry for a key, built as the effective environment builds it."""
    if own is not None:
        return _own_entry(own)
    if visible is None:
        return None
    return effective_entry_from_row(
        visible, base_source=Source.WORKSPACE, override_plain=visible["override_plain"],
        override_sealed=visible["override_sealed"], link_id=visible["link_id"],
    )


def _in_order(refs) -> list[tuple[str, str]]:
    """(type, key) pairs by type, then key: the keys of each type sorted as plain strings (faster than one
    sort of thousands of (order, key) tuples)."""
    keys_by_kind: dict[str, list[str]] = {}
    for kind, key in refs:
        keys_by_kind.setdefault(kind, []).append(key)
    return [(kind, key) for kind in sorted(keys_by_kind, key=KIND_ORDER.__getitem__) for key in sorted(keys_by_kind[kind])]


def compare_targets(*, source: Target, target: Target, kinds: tuple[str, ...] | None = None) -> Comparison:
    """Compare the effective environments of `source` ("from") and `target` ("to").

    Resolution is the effective environment's (a Deployment's own object wins; otherwise the linked
    Workspace object with the target's override), but values are read only where they matter: two
    queries whatever the number of objects.
    """
    if source.workspace_id != target.workspace_id:
        raise ValueError("Only targets of one Workspace can be compared.")
    filters = {"kind__in": list(kinds)} if kinds else {}
    same, ((mine, mine_own_rows), (theirs, theirs_own_rows)) = _received(source, target, filters)
    comparison = Comparison(source=source, target=target, same=same)
    for ref in _in_order(mine.keys() | theirs.keys() | mine_own_rows.keys() | theirs_own_rows.keys()):
        mine_own, theirs_own = mine_own_rows.get(ref), theirs_own_rows.get(ref)
        mine_seen, theirs_seen = mine.get(ref), theirs.get(ref)
        if mine_own is None and mine_seen is None:
            comparison.only_to.append(KeyRef(*ref))
            continue
        if theirs_own is None and theirs_seen is None:
            comparison.only_from.append(KeyRef(*ref))
            continue
        if (
            mine_own is None and theirs_own is None and mine_seen["id"] == theirs_seen["id"]
            and not mine_seen["overridden"] and not theirs_seen["overridden"]
        ):
            comparison.same += 1  # one object reaching both as it is
            continue
        if mine_own is not None and theirs_own is not None:
            names = () if _same_own_objects(mine_own, theirs_own) else _own_differences(mine_own, theirs_own)
        else:
            names = differing_fields(_side(mine_own, mine_seen), _side(theirs_own, theirs_seen))
        if names:
            comparison.differs.append(KeyDifference(*ref, names))
        else:
            comparison.same += 1
    return comparison
