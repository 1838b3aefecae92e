"""What counts as a value, in every field of every type: the rules that keep a value exactly as given.

None and "" mean "no value"; whitespace is a value, kept and pointed out; text that no database
can store (NUL, lone surrogates) is refused as given rather than failing in the database.
"""

import re
import unicodedata


def describe_character(character: str) -> str:
    """Name a character for a message: "a space", "'#'", "U+200B (ZERO WIDTH SPACE)"."""
    names = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a carriage return"}
    if character in names:
        return names[character]
    if character.isprintable() and not character.isspace():
        return '"\'"' if character == "'" else f"'{character}'"
    return f"U+{ord(character):04X} ({unicodedata.name(character, 'unnamed character')})"


def is_empty(value) -> bool:
    """Return whether `value` means "no value": None or "". Whitespace is a value and is kept."""
    return value is None or value == ""


def whitespace_notice(value, *, label: str = "This value") -> str | None:
    """Return a notice for text that starts or ends with whitespace, which is stored as is; else None.

    Forms and commands show it: a value is never trimmed, so a stray space must at least be visible.
    """
    if not isinstance(value, str) or not value:
        return None
    if value.isspace():
        return f"{label} is only whitespace ({describe_character(value[0])} …); it is kept as is."
    edges = []
    if value[0].isspace():
        edges.append(f"starts with {describe_character(value[0])}")
    if value[-1].isspace():
        edges.append(f"ends with {describe_character(value[-1])}")
    if not edges:
        return None
    return f"{label} {' and '.join(edges)}; it is kept as is."


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_text(value) -> bool:
    """Return whether `value` (text, or JSON of any depth) holds a NUL or a lone surrogate.

    Neither can be stored (PostgreSQL refuses NUL in text and JSON; lone surrogates are not UTF-8), so such a
    value is refused as it is given rather than failing in the database.
    """
    if isinstance(value, str):
        return bool(_UNSTORABLE.search(value))
    if isinstance(value, dict):
        return any(unstorable_text(key) or unstorable_text(item) for key, item in value.items())
    if isinstance(value, list):
        return any(unstorable_text(item) for item in value)
    return False


# The JSON (or YAML) types a structured document (the management API, env_apply files) may give a
# field of each `FieldSpec.type`: forms send text for everything, structured input says what it means,
# so a number where text is expected is an error there, never silently turned into text.
_STRUCTURED_TYPES = {
    "str": (str,), "url": (str,), "json_or_text": (str,), "json_text": (str, dict), "int": (int,), "json_object": (dict,),
}
_TYPE_NAMES = {str: "text", int: "a whole number", dict: "an object"}


def structured_type_error(field_type: str, value) -> str | None:
    """Return what is wrong with the type of `value` for a field of `field_type`, or None (null is always allowed)."""
    allowed = _STRUCTURED_TYPES[field_type]
    if value is None or (isinstance(value, allowed) and not isinstance(value, bool)):
        return None
    return f"must be {' or '.join(_TYPE_NAMES[t] for t in allowed)} (or null), not {type(value).__name__}."
