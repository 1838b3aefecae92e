"""The Workspace-wide search of the Environment pages: every object of the four types whose key or a plain
value contains the query, case-insensitively.

Secret values are never searched: they are ciphertext in `EnvObject.secrets`, and only the fields the kind
registry calls plain (`KindSpec.is_secret`) are read from `data`. The match is made in Python over one query's
rows (keys and plain values only) rather than in SQL, because a JSON column's text differs between
databases (SQLite escapes non-ASCII characters, both write field names) and would match on field names.
"""

import json
from dataclasses import dataclass

from django.db.models import F

from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import EnvObject, Workspace
from envmanager.selectors.env_objects import KIND_ORDER, clean_query

MAX_RESULTS = 100
SNIPPET_LENGTH = 80


@dataclass(frozen=True, slots=True)
class SearchMatch:
    id: int
    kind: Kind
    key: str
    deployment_id: int | None
    deployment_name: str | None
    # The plain field that matched ("" when the key did) and its value, shortened around the match.
    field_label: str = ""
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    matches: list[SearchMatch]
    truncated: bool  # more than MAX_RESULTS matched


def _text(value) -> str:
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _snippet(text: str, start: int) -> str:
    if len(text) <= SNIPPET_LENGTH:
        return text
    begin = max(0, min(start - SNIPPET_LENGTH // 3, len(text) - SNIPPET_LENGTH))
    snippet = text[begin : begin + SNIPPET_LENGTH]
    return ("…" if begin else "") + snippet + ("…" if begin + SNIPPET_LENGTH < len(text) else "")


def _plain_match(row: dict, needle: str) -> tuple[str, str] | None:
    """Return (field label, snippet) of the first plain field of `row` containing `needle`, or None."""
    spec = KIND_SPECS[Kind(row["kind"])]
    for field_spec in spec.fields:
        if spec.is_secret(field_spec.name, is_secret_flag=row["is_secret"]):
            continue
        value = (row["data"] or {}).get(field_spec.name)
        if value in (None, ""):
            continue
        text = _text(value)
        found = text.casefold().find(needle)
        if found != -1:
            return field_spec.label, _snippet(text, found)
    return None


def workspace_search(*, workspace: Workspace, query: str) -> SearchResult:
    """Return the Workspace's objects (Workspace and Deployment scoped) matching `query`, by type then key."""
    query = clean_query(query)
    if not query:
        return SearchResult(query, [], False)
    needle = query.casefold()
    rows = (
        EnvObject.objects.filter(workspace=workspace)
        .values("id", "kind", "key", "is_secret", "deployment_id", "data", deployment_name=F("deployment__name"))
        .order_by("kind", "key", "deployment__name")
    )
    matches = []
    for row in rows.iterator(chunk_size=2000):
        if needle in row["key"].casefold():
            found = ("", "")
        else:
            found = _plain_match(row, needle)
            if found is None:
                continue
        if len(matches) == MAX_RESULTS:
            return SearchResult(query, _by_type(matches), True)
        matches.append(
            SearchMatch(
                row["id"], Kind(row["kind"]), row["key"], row["deployment_id"], row["deployment_name"], *found
            )
        )
    return SearchResult(query, _by_type(matches), False)


def _by_type(matches: list[SearchMatch]) -> list[SearchMatch]:
    return sorted(matches, key=lambda match: KIND_ORDER[match.kind])  # stable: keys stay in order
