"""The YAML form of a declarative document (docs/gitops.md): written so that it reads back exactly."""

import re

import yaml


class _Dumper(yaml.SafeDumper):
    pass


# Characters YAML treats as line breaks or that PyYAML's plain and single-quoted styles do not keep.
_ESCAPED = re.compile(r"[^\x20-\x7e\n\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]")


def _literal_block_keeps(value: str) -> bool:
    lines = value.split("\n")
    return (
        "\n" in value.rstrip("\n") and not value.startswith((" ", "\t")) and not value.endswith("\n\n")
        and all(line == line.rstrip(" \t") for line in lines)
    )


def _text(dumper, value: str):
    # Anything YAML could read back differently is double-quoted, with escapes (exact for every
    # character); multi-line text that a literal block keeps exactly is written as one, for review.
    if _ESCAPED.search(value):
        style = '"'
    elif _literal_block_keeps(value):
        style = "|"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(document: dict) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=float("inf"))


def from_yaml(text: str):
    """Parse YAML (one document); a syntax error becomes ValueError with its line."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ValueError(f"The file is not valid YAML: {problem}{where}.") from None
