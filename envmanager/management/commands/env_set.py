import argparse

from django.core.management.base import CommandError

from envmanager.kinds import KIND_SPECS, FieldSpec, Kind
from envmanager.management import cli, utils
from envmanager.selectors.env_objects import env_object_or_none, scope_label
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.services.audit import env_object_label


def _fields_by_name() -> dict[str, list[tuple[Kind, FieldSpec]]]:
    """Return every field name of every type, with the types that have it (options come from kinds).

    Read when the parser is made, so a field added to `kinds.KIND_SPECS` is an option at once.
    """
    fields: dict[str, list[tuple[Kind, FieldSpec]]] = {}
    for kind, spec in KIND_SPECS.items():
        for field_spec in spec.fields:
            fields.setdefault(field_spec.name, []).append((kind, field_spec))
    return fields


METAVARS = {"json_object": "JSON", "url": "URL", "int": "N"}


def _metavar(spec: FieldSpec) -> str:
    return "TYPE" if spec.choices else METAVARS.get(spec.type, "TEXT")


def _option_help(uses: list[tuple[Kind, FieldSpec]]) -> str:
    first = uses[0][1]
    parts = [f"{first.label} ({', '.join(kind.value for kind, _ in uses)})."]
    if first.choices:
        parts.append(f"One of: {', '.join(first.choices)}.")
    if first.type == "json_object":
        parts.append('A JSON object, e.g. \'{"key": "value"}\'.')
    if any(spec.secret for _, spec in uses):
        parts.append("Secret; '-' reads it from standard input.")
    elif any(spec.secret_when_flagged for _, spec in uses):
        parts.append("Secret with --secret; '-' reads it from standard input.")
    return " ".join(parts)


class Command(cli.EnvManagerCommand):
    help = (
        "Create or update one environment object: an Airflow connection, an Airflow variable, an\n"
        "environment variable or a metrics export. Without --deployment it is a Workspace object.\n"
        "Options name fields of the chosen --type; fields not given keep their values. Secret options\n"
        "accept '-' to read the value from standard input (one '-': all of stdin; several: one line\n"
        "each, in the order given). Secret values are never printed."
    )
    example = """
        manage.py env_set --type connection --key warehouse --conn-type postgres --host db.internal --login etl --password - < pw.txt
        manage.py env_set --type variable --key api_token --value - --secret --deployment prod
        manage.py env_set --type env --key LOG_LEVEL --value INFO --link-all
        manage.py env_set --type metrics --key prom --endpoint https://prom.example.com/api/v1/write --auth-type bearer --password -
        manage.py env_set --type connection --key warehouse --clear port
    """  # noqa: E501 (the examples are shown in --help as written)

    def add_arguments(self, parser):
        cli.add_object_options(parser)
        for name, uses in _fields_by_name().items():
            parser.add_argument(
                uses[0][1].cli_option, dest=name, metavar=_metavar(uses[0][1]),
                help=_option_help(uses),
            )
        parser.add_argument(
            "--secret", dest="is_secret", action=argparse.BooleanOptionalAction, default=None,
            help="Variables and environment variables: mark the value secret (masked, write-only), or plain again.",
        )
        parser.add_argument(
            "--clear", action="append", default=[], metavar="FIELD",
            help="Remove the value of FIELD (e.g. port, extra); repeat for several. Existing objects only.",
        )
        parser.add_argument(
            "--link-all", dest="linked_to_all", action=argparse.BooleanOptionalAction, default=None,
            help="Workspace objects: link to every Deployment, present and future (--no-link-all stops it and "
            "drops exclusions).",
        )
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, deployment, key, clear, is_secret, linked_to_all, dry_run, **options):
        kind = cli.kind_from_options(options)
        fields = self._given_fields(kind, options)
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment) if deployment else None
        existing = env_object_or_none(workspace=workspace, kind=kind, key=key, deployment=deployment)
        clear = tuple(cli.field_name(name) for name in clear)
        if existing is None and clear:
            raise CommandError(
                f"--clear applies to existing objects; no {kind.label.lower()} '{key}' in {scope_label(deployment)}."
            )
        if existing is not None and not (fields or clear or is_secret is not None or linked_to_all is not None):
            raise CommandError(
                f"Nothing to change for {env_object_label(existing)}: give field options, --clear, "
                "--secret / --no-secret or --link-all."
            )
        fields = self._read_stdin(kind, fields)
        self.write_notices(kind, fields)
        with utils.changes(dry_run=dry_run):
            if existing is None:
                env_object = env_object_services.env_object_create(
                    workspace=workspace, actor=None, kind=kind, key=key, fields=fields, deployment=deployment,
                    is_secret=bool(is_secret), linked_to_all=bool(linked_to_all),
                )
            else:
                env_object = self._update(existing, fields, clear, is_secret, linked_to_all)
        self._report(env_object, created=existing is None, dry_run=dry_run)

    def _given_fields(self, kind: Kind, options: dict) -> dict:
        """Return {field: value} for the field options given; refuse options of another type."""
        given = {name: options[name] for name in _fields_by_name() if options.get(name) is not None}
        spec = KIND_SPECS[kind]
        foreign = [cli.field_option(name) for name in given if name not in spec.field_names]
        if foreign:
            own = ", ".join(cli.field_option(name) for name in spec.field_names)
            raise CommandError(f"{', '.join(foreign)} does not apply to {kind.label}s; their options are {own}.")
        return given

    def _read_stdin(self, kind: Kind, fields: dict) -> dict:
        """Replace `-` in secret-capable fields with the value read from standard input."""
        capable = {cli.field_option(name): value for name, value in fields.items() if cli.stdin_capable(kind, name)}
        read = self.read_secrets(capable)
        return {name: read.get(cli.field_option(name), value) for name, value in fields.items()}

    def _update(self, env_object, fields, clear, is_secret, linked_to_all):
        env_object = env_object_services.env_object_update(
            env_object=env_object, actor=None, fields=fields, clear=clear, is_secret=is_secret
        )
        if linked_to_all is not None:
            env_object = link_services.env_object_set_linked_to_all(
                env_object=env_object, actor=None, linked_to_all=linked_to_all
            )
        return env_object

    def _report(self, env_object, *, created: bool, dry_run: bool) -> None:
        verb = "create" if created else "update"
        headline = env_object_label(env_object)
        if env_object.linked_to_all:
            headline += ", linked to all Deployments"
        if dry_run:
            self.stdout.write(f"Would {verb} {headline}:")
        else:
            self.success(f"{verb.capitalize()}d {headline}:")
        for line in utils.object_field_lines(env_object):
            self.stdout.write(f"  {line}")
        if dry_run:
            self.dry_run_note()
