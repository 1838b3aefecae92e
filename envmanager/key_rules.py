"""What a key of each type may be: one rule per type, read alike by Python, SQLite and PostgreSQL.

`envmanager.kinds` names each type's rule on its KindSpec; the EnvObject CHECK constraint, the API's
JSON Schema and every error message about a key come from the rule here.
"""

import re
from dataclasses import dataclass
from functools import cache

from envmanager.values import describe_character
from envmanager.word_characters import word_class

KEY_MAX_LENGTH = 250  # the column; every rule below is at most this long


@dataclass(frozen=True)
class KeyRule:
    """What a key of one type may be, as one pattern that Python, SQLite and PostgreSQL read alike.

    `pattern` is anchored with `\\A`/`\\Z` (Python's `$` would also accept a final newline) and bounds
    the length, so the database CHECK constraint enforces the length on SQLite too.
    """

    noun: str  # "Airflow connection id"
    allowed: str  # the characters, in words
    source: str  # whose rule it is, for error messages
    # Bracket-expression bodies for the first character and the others; WORD stands for `\w`.
    first: str
    rest: str
    max_length: int = KEY_MAX_LENGTH

    def _pattern(self, start: str, end: str, *, json_schema: bool = False) -> str:
        first, rest = (part.replace(WORD, word_class(json_schema=json_schema)) for part in (self.first, self.rest))
        if first == rest:
            return rf"{start}[{rest}]{{1,{self.max_length}}}{end}"
        return rf"{start}[{first}][{rest}]{{0,{self.max_length - 1}}}{end}"

    @property
    def pattern(self) -> str:
        """The rule for Python's `re`, SQLite and PostgreSQL (the CHECK constraint)."""
        return self._pattern(r"\A", r"\Z")

    @property
    def json_schema_pattern(self) -> str:
        """The rule as an OpenAPI / JSON Schema (ECMA-262) pattern; Python's `re` reads it too."""
        return self._pattern("^", "$", json_schema=True)

    def character_pattern(self, *, first: bool) -> str:
        """Return the pattern of one character of a key, the first one or any other."""
        return rf"\A[{(self.first if first else self.rest).replace(WORD, word_class())}]\Z"

    @property
    def description(self) -> str:
        return f"{self.source}: {self.allowed}, 1 to {self.max_length} characters"

    def error(self, key: str) -> str | None:
        """Return why `key` breaks the rule (naming the first wrong character), or None."""
        if not key:
            return f"The {self.noun} must not be empty."
        if len(key) > self.max_length:
            return f"'{key[:40]}…' is {len(key)} characters long; {self.description}."
        if _matches(self.pattern, key):
            return None
        for position, character in enumerate(key):
            if not _matches(self.character_pattern(first=position == 0), character):
                where = "at the start" if position == 0 else f"at position {position + 1}"
                return (
                    f"'{key}' is not a valid {self.noun}: {describe_character(character)} {where} is not allowed. "
                    f"{self.description}."
                )
        return f"'{key}' is not a valid {self.noun}. {self.description}."  # pragma: no cover - the loop finds it


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _matches(pattern: str, text: str) -> bool:
    return _compiled(pattern).search(text) is not None


WORD = "{word}"  # placeholder in KeyRule classes for Python's Unicode `\w` (envmanager.word_characters)

# Airflow connection ids. Airflow 3.3: airflow/models/connection.py, RE_SANITIZE_CONN_ID =
# r"^[\w#!()\-.:/\\]{1,}$" (Python `re`, Unicode \w) and CONN_ID_MAX_LEN = 250, applied by
# `sanitize_conn_id` in `Connection.__init__`. Airflow 2.10: the same file and names, compiled with
# re2, whose \w is ASCII: Unicode connection ids are Airflow 3 only. (Airflow's CLI and REST API are
# stricter, KEY_REGEX and 200 characters, but a row made through the model may hold any of these.)
CONNECTION_ID_RULE = KeyRule(
    noun="Airflow connection id", allowed="letters, digits, '_' and # ! ( ) - . : / \\",
    source="Airflow's rule (RE_SANITIZE_CONN_ID)", first=WORD + r"#!().:/\\-", rest=WORD + r"#!().:/\\-",
)
# Airflow variable keys: Airflow's key rule, airflow/utils/helpers.py KEY_REGEX = r"^[\w.-]+$" with
# validate_key(max_length=250), the same in 2.10 and 3.3 (Python `re`, Unicode \w; 3.3 repeats it in
# airflow/sdk/definitions/_internal/node.py). Variable.set (airflow/models/variable.py) stores any key
# of the `key` column's String(ID_LEN), ID_LEN = 250, without a pattern; a variable whose key breaks
# KEY_REGEX stays in Airflow ("cannot be migrated", with this rule as the reason).
VARIABLE_KEY_RULE = KeyRule(
    noun="Airflow variable key", allowed="letters, digits, '_', '.' and '-'",
    source="Airflow's rule (KEY_REGEX)", first=WORD + ".-", rest=WORD + ".-",
)
# POSIX (IEEE Std 1003.1, 8.1 Environment Variable Names) portable names: what shells, Docker and
# Kubernetes accept alike.
ENV_NAME_RULE = KeyRule(
    noun="environment variable name", allowed="ASCII letters, digits and '_', not starting with a digit",
    source="POSIX environment variable names", first="A-Za-z_", rest="A-Za-z0-9_",
)
# envmanager's own names (not Airflow objects): they become OpenTelemetry Collector component names.
METRICS_NAME_RULE = KeyRule(
    noun="metrics export name", allowed="ASCII letters, digits, '_', '.' and '-'",
    source="envmanager's rule for metrics export names", first="A-Za-z0-9_.-", rest="A-Za-z0-9_.-",
)


def is_env_name(name: str) -> bool:
    """Return whether `name` can be an environment variable (exports, `AIRFLOW_CONN_<ID>`)."""
    return _matches(ENV_NAME_RULE.pattern, name)
