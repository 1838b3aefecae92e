from django.core.management.base import CommandError

from envmanager.kinds import Kind
from envmanager.management import cli, utils
from envmanager.selectors.env_objects import env_object_get
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services import links as link_services
from envmanager.services.audit import env_object_label


class Command(cli.EnvManagerCommand):
    help = (
        "Give one Deployment (or IDE project) its own values for some fields of a linked Workspace object.\n"
        "The Workspace object and every other target keep their values. A secret field given as FIELD=-\n"
        "reads its value from standard input (one: all of stdin; several: one line each, in order)."
    )
    example = """
        manage.py env_override --type connection --key warehouse --deployment prod --set host=prod-db.internal --set password=-
        manage.py env_override --type connection --key warehouse --deployment prod --clear port
        manage.py env_override --type variable --key batch_size --deployment prod --clear-all
    """

    def add_arguments(self, parser):
        cli.add_object_options(parser, scope_option=False)
        cli.add_target_options(parser)
        parser.add_argument(
            "--set", dest="assignments", action="append", default=[], metavar="FIELD=VALUE",
            help="Override FIELD with VALUE (JSON object for extra/headers/labels); repeat for several.",
        )
        parser.add_argument(
            "--clear", action="append", default=[], metavar="FIELD",
            help="Stop overriding FIELD (the Workspace value applies again); repeat for several.",
        )
        parser.add_argument("--clear-all", action="store_true", help="Remove the whole override.")
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, key, assignments, clear, clear_all, dry_run, **options):
        if not (assignments or clear or clear_all):
            raise CommandError("Nothing to do: give --set FIELD=VALUE, --clear FIELD or --clear-all.")
        if clear_all and (assignments or clear):
            raise CommandError("--clear-all removes the whole override; leave out --set and --clear with it.")
        kind = cli.kind_from_options(options)
        workspace = workspace_by_name(workspace)
        target = cli.target(workspace, options)
        env_object = env_object_get(workspace=workspace, kind=kind, key=key)
        fields = self._read_stdin(env_object, self._parse_assignments(assignments))
        self.write_notices(kind, fields)
        with utils.changes(dry_run=dry_run):
            if clear_all:
                link = link_services.link_clear_override(env_object=env_object, actor=None, target=target)
            else:
                link = link_services.link_set_override(
                    env_object=env_object, actor=None, fields=fields,
                    clear=tuple(cli.field_name(name) for name in clear), target=target,
                )
        self._report(env_object, link, target.label, dry_run=dry_run)

    @staticmethod
    def _parse_assignments(assignments: list[str]) -> dict[str, str]:
        """Return {field: value} from FIELD=VALUE strings (the value may itself contain '=')."""
        fields = {}
        for assignment in assignments:
            name, sep, value = assignment.partition("=")
            if not sep or not name.strip():
                # The text is not echoed: it may be a secret typed without its FIELD= prefix.
                raise CommandError(
                    "--set expects FIELD=VALUE (e.g. --set host=db.internal); one --set has no 'FIELD='."
                )
            name = cli.field_name(name)
            if name in fields:
                raise CommandError(f"--set names field '{name}' twice; give each field once.")
            fields[name] = value
        return fields

    def _read_stdin(self, env_object, fields: dict[str, str]) -> dict[str, str]:
        """Replace FIELD=- of secret fields with the value read from standard input."""
        labels = {f"--set {name}=-": name for name in fields if env_object.is_secret_field(name)}
        read = self.read_secrets({label: fields[name] for label, name in labels.items()})
        return {**fields, **{name: read[label] for label, name in labels.items()}}

    def _report(self, env_object, link, target: str, *, dry_run: bool) -> None:
        label = env_object_label(env_object)
        lines = utils.field_lines(
            Kind(env_object.kind), link.override_data, link.override_secrets,
            is_secret_flag=env_object.is_secret, only_given=True,
        )
        if lines:
            self.stdout.write(f"{target} {'would override' if dry_run else 'overrides'} {label}:")
            for line in lines:
                self.stdout.write(f"  {line}")
        else:
            has = "would have" if dry_run else "has"
            self.stdout.write(f"{target} {has} no override of {label}; it receives the Workspace values.")
        if dry_run:
            self.dry_run_note()
