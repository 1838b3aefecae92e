"""Compare two targets' effective environments (Deployments or IDE projects of one Workspace).

Keys only in one, keys whose values differ (which fields), and how many are equal. Secrets are compared
by their decrypted value (two tokens of one value differ as text) but no value leaves this module: the
result names fields only. Four queries whatever the number of objects (two per effective environment).
"""

from dataclasses import dataclass, field

from envmanager.models import Deployment, IdeProject
from envmanager.selectors.environment import (
    KIND_ORDER,
    EffectiveEntry,
    EffectiveField,
    Source,
    deployment_effective_environment,
    ide_project_effective_environment,
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


def _value(effective: EffectiveField | None):
    """The field's value for comparing; "" and None are both "no value", as everywhere else."""
    if effective is None:
        return None
    value = effective.reveal() if effective.secret else effective.value
    return None if value in (None, "") else value


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


def compare_targets(*, source: Target, target: Target, kinds: tuple[str, ...] | None = None) -> Comparison:
    """Compare the effective environments of `source` ("from") and `target` ("to")."""
    if source.workspace_id != target.workspace_id:
        raise ValueError("Only targets of one Workspace can be compared.")
    left = {(entry.kind, entry.key): entry for entry in target_effective_environment(source, kinds=kinds)}
    right = {(entry.kind, entry.key): entry for entry in target_effective_environment(target, kinds=kinds)}
    comparison = Comparison(source=source, target=target)
    for ref in sorted(left.keys() | right.keys(), key=lambda ref: (KIND_ORDER[ref[0]], ref[1])):
        mine, theirs = left.get(ref), right.get(ref)
        if theirs is None:
            comparison.only_from.append(KeyRef(*ref))
        elif mine is None:
            comparison.only_to.append(KeyRef(*ref))
        elif names := differing_fields(mine, theirs):
            comparison.differs.append(KeyDifference(*ref, names))
        else:
            comparison.same += 1
    return comparison
