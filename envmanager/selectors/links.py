"""What a Deployment or IDE project could be linked to: the "Link existing Workspace object" picker."""

from dataclasses import dataclass

from django.db.models import BooleanField, Case, Value, When

from envmanager.kinds import Kind
from envmanager.models import EnvObject
from envmanager.selectors.environment import visible_to_target, with_target_link
from envmanager.targets import Target

# The picker shows this many matches; typing more of the key narrows them (the count says how many).
PICKER_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    key: str
    is_secret: bool


@dataclass(frozen=True, slots=True)
class Candidates:
    selected: list[Candidate]
    matches: list[Candidate]
    total: int  # every match of the query, shown or not

    @property
    def more(self) -> int:
        return self.total - len(self.matches)


def link_candidates_queryset(*, target: Target, kind: Kind):
    """The Workspace objects of `kind` that `target` does not receive (so linking would change something).

    The complement of `visible_to_target`, the one statement of what a target receives: an object linked
    to all Deployments but excluded from this one is a candidate (linking includes it again).
    """
    target = Target.of(target)
    objects = with_target_link(
        EnvObject.objects.filter(workspace_id=target.workspace_id, deployment__isnull=True, kind=kind),
        target.link_condition,
    )
    visible = Case(
        When(visible_to_target(include_linked_to_all=target.is_deployment), then=Value(True)),
        default=Value(False), output_field=BooleanField(),
    )
    return objects.alias(visible=visible).filter(visible=False)


def link_candidates(*, target: Target, kind: Kind, query: str = "", selected_ids=()) -> Candidates:
    """Return the candidates whose key contains `query` (the first PICKER_LIMIT, by key) and the ones already
    ticked (`selected_ids`, kept across searches); three queries whatever the number of objects."""
    candidates = link_candidates_queryset(target=target, kind=kind)
    ids = [int(pk) for pk in selected_ids if str(pk).isdigit()][:PICKER_LIMIT * 5]
    selected = _rows(candidates.filter(pk__in=ids)) if ids else []
    matching = candidates.exclude(pk__in=[row.id for row in selected])
    if query:
        matching = matching.filter(key__icontains=query)
    return Candidates(selected=selected, matches=_rows(matching, limit=PICKER_LIMIT), total=matching.count())


def _rows(objects, limit: int | None = None) -> list[Candidate]:
    rows = objects.order_by("key").values_list("id", "key", "is_secret")
    return [Candidate(*row) for row in (rows[:limit] if limit else rows)]
