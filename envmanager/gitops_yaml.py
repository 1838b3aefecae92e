"""The YAML form of a declarative document (docs/gitops.md): written so that it reads back exactly."""

import yaml


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper, value: str):
    # Multi-line values as literal blocks where YAML can keep them exactly; anything else quoted as needed.
    style = "|" if "\n" in value and value == value.rstrip(" \t") and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(document: dict) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=float("inf"))


def from_yaml(text: str):
    """Parse YAML (one document); a syntax error becomes ValueError with its line."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"The file is not valid YAML: {exc}") from None
