"""Reading the files a bulk import takes, into rows of (type, key, fields), values exactly as the file holds them.

- `dotenv`: a `.env` file, read with python-dotenv's own parser (the reader of the files envmanager's
  dotenv export writes), so each value is what a program loading the file gets: quotes and escapes are
  the file's syntax; nothing else is changed. Each entry becomes an environment variable.
- `connections`: what `airflow connections export` writes as JSON or YAML, `{conn_id: {conn_type, description,
  login, password, host, port, schema, extra}}` (airflow/cli/commands/connection_command.py
  `_connection_to_dict`); `extra` is the JSON text Airflow stores, or an object (`extra_dejson`, as
  `airflow connections import` also reads), written as Airflow would (`json.dumps`).
- `variables`: what `airflow variables export` writes, `{key: value}` or `{key: {"value", "description"}}`
  (airflow/cli/commands/variable_command.py); a value that is not a string is stored as Airflow's
  `Variable.set(serialize_json=True)` does, JSON text (`json.dumps(value, indent=2)`).
"""

import io
import json
import re
from dataclasses import dataclass, field

import yaml
from dotenv.parser import parse_stream

from envmanager.kinds import Kind
from envmanager.sensitive_names import is_sensitive_name


class ImportFormat:
    DOTENV = "dotenv"
    CONNECTIONS = "connections"
    VARIABLES = "variables"


IMPORT_FORMATS = (ImportFormat.DOTENV, ImportFormat.CONNECTIONS, ImportFormat.VARIABLES)
IMPORT_KINDS = {ImportFormat.DOTENV: Kind.ENV, ImportFormat.CONNECTIONS: Kind.CONNECTION,
                ImportFormat.VARIABLES: Kind.VARIABLE}
MAX_IMPORT_BYTES = 5 * 1024 * 1024
# Airflow's JSON connection fields (Connection.__init__ parameters it reads from a file).
CONNECTION_FILE_FIELDS = ("conn_type", "description", "login", "password", "host", "port", "schema", "extra")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not JSON, not an object, ...): nothing is imported."""


@dataclass(frozen=True)
class ImportRow:
    position: str  # "line 3" or the key's place in the file, for messages
    kind: Kind
    key: str
    fields: dict = field(repr=False)  # values exactly as the file holds them
    is_secret: bool = False  # variables and environment variables whose names Airflow hides
    problem: str | None = None  # why the row cannot be imported, decided while reading
    notices: tuple[str, ...] = ()


def parse_import(text: str, import_format: str) -> list[ImportRow]:
    """Return the rows of `text` in `import_format`; raise ImportFileError if the file cannot be read at all."""
    if import_format not in IMPORT_FORMATS:
        raise ImportFileError(f"Unknown import format '{import_format}'. Use one of: {', '.join(IMPORT_FORMATS)}.")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_IMPORT_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it.")
    if import_format == ImportFormat.DOTENV:
        return _dotenv_rows(text)
    document = _document(text, yaml_too=import_format == ImportFormat.CONNECTIONS)
    if import_format == ImportFormat.CONNECTIONS:
        return [_connection_row(str(key), value) for key, value in document.items()]
    return [_variable_row(str(key), value) for key, value in document.items()]


def _document(text: str, *, yaml_too: bool) -> dict:
    if not text.strip():
        raise ImportFileError("The file is empty.")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if not yaml_too:
            raise ImportFileError(f"Not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as yaml_exc:
            mark = getattr(yaml_exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            problem = getattr(yaml_exc, "problem", None) or "unreadable"
            raise ImportFileError(f"Neither JSON nor YAML{where}: {problem}.") from None
    if not isinstance(document, dict):
        raise ImportFileError("The file must hold one object, {key: ...}, as Airflow's export writes it.")
    return document


_UNQUOTED_TRAILING_SPACE = re.compile(r"""=[ \t]*[^'"\s#][^#]*?[ \t]+(\r?\n)?\Z""")


def _dotenv_rows(text: str) -> list[ImportRow]:
    rows, seen = [], {}
    for binding in parse_stream(io.StringIO(text)):
        position = f"line {binding.original.line}"
        if binding.error:
            # The line itself is not shown: it may hold a secret value.
            rows.append(ImportRow(position, Kind.ENV, "", {}, problem=(
                "cannot be read as KEY=value (an unclosed quote, or text that is not an entry)"
            )))
            continue
        if binding.key is None:  # a blank line or a comment
            continue
        notices = ()
        if _UNQUOTED_TRAILING_SPACE.search(binding.original.string):
            notices = ("spaces after an unquoted value are not part of it in a .env file; quote the value to keep them",)
        problem = None
        if binding.value is None:
            problem = "has no '=': a .env entry needs KEY=value"
        elif binding.key in seen:
            problem = f"the key is given again ({seen[binding.key]} too); a .env file holds one value per key"
        seen.setdefault(binding.key, position)
        rows.append(ImportRow(position, Kind.ENV, binding.key, {"value": binding.value},
                              is_secret=is_sensitive_name(binding.key), problem=problem, notices=notices))
    return rows


def _connection_row(conn_id: str, value) -> ImportRow:
    position = f"connection {conn_id!r}"
    if isinstance(value, str):
        return ImportRow(position, Kind.CONNECTION, conn_id, {}, problem=(
            "is a connection URI; envmanager imports the JSON or YAML form `airflow connections export` writes"
        ))
    if not isinstance(value, dict):
        return ImportRow(position, Kind.CONNECTION, conn_id, {}, problem="must be an object of connection fields")
    value = dict(value)
    if "conn_id" in value and value.pop("conn_id") != conn_id:
        return ImportRow(position, Kind.CONNECTION, conn_id, {}, problem="its conn_id differs from its key")
    if "extra_dejson" in value:
        if "extra" in value:
            return ImportRow(position, Kind.CONNECTION, conn_id, {}, problem="has both extra and extra_dejson")
        value["extra"] = value.pop("extra_dejson")
    unknown = sorted(set(value) - set(CONNECTION_FILE_FIELDS))
    if unknown:
        return ImportRow(position, Kind.CONNECTION, conn_id, {}, problem=(
            f"has fields Airflow does not read: {', '.join(unknown)}"
        ))
    fields = {name: value.get(name) for name in CONNECTION_FILE_FIELDS}
    if fields["extra"] is not None and not isinstance(fields["extra"], str):
        fields["extra"] = json.dumps(fields["extra"])  # as Airflow's Connection(extra=dict) stores it
    return ImportRow(position, Kind.CONNECTION, conn_id, fields)


def _variable_row(key: str, value) -> ImportRow:
    description = None
    if isinstance(value, dict) and "value" in value:  # Airflow's {value, description} shape
        value, description = value["value"], value.get("description")
    if not isinstance(value, str):
        value = json.dumps(value, indent=2)  # Variable.set(serialize_json=True)
    fields = {"value": value, "description": description}
    return ImportRow(f"variable {key!r}", Kind.VARIABLE, key, fields, is_secret=is_sensitive_name(key))


def decode_import(data: bytes) -> str:
    """Return the file's text (UTF-8, a leading byte-order mark dropped as every reader does); ImportFileError
    if it is not UTF-8. Bytes in, so line endings inside values come through as the file holds them."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"The file is not UTF-8 text (byte {exc.start}).") from None
