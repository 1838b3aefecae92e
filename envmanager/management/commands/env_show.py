from envmanager.forms.secrets import secret_status
from envmanager.kinds import Kind
from envmanager.management import cli, utils
from envmanager.selectors.environment import (
    EffectiveEntry,
    Source,
    entry_as_dict,
    target_effective_environment,
)
from envmanager.selectors.workspaces import workspace_by_name


class Command(cli.EnvManagerCommand):
    help = (
        "Show the effective environment of a Deployment or IDE project: one value per (type, key), with\n"
        "where it comes from (Deployment object, Workspace object, or Workspace + override, marking each\n"
        "overridden field). Secret values are never shown, only whether they are set."
    )
    example = """
        manage.py env_show --deployment prod
        manage.py env_show --workspace 'Data Platform' --ide-project notebooks --type connections --format json
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        cli.add_target_options(parser)
        parser.add_argument("--type", metavar="TYPE", help="Only this type: connection, variable, env or metrics.")
        cli.add_format_option(parser)

    def handle(self, *args, workspace, output_format, **options):
        kind = cli.kind_from_options(options)
        kinds = (kind,) if kind else None
        workspace = workspace_by_name(workspace)
        target = cli.target(workspace, options)
        entries = target_effective_environment(target=target, kinds=kinds)
        if output_format == "json":
            self.write_json([entry_as_dict(entry, reveal=False) for entry in entries])
            return
        self.stdout.write(
            f"Effective environment of {target.label} in Workspace '{workspace.name}': {utils.plural(len(entries), 'object')}."
        )
        for entry in entries:
            self._write_entry(entry)

    def _write_entry(self, entry: EffectiveEntry) -> None:
        self.stdout.write("")
        self.stdout.write(f"{Kind(entry.kind).label} '{entry.key}'  [{entry.source_label}]")
        for name, field in entry.fields.items():
            if field.secret:
                shown = secret_status(field.is_set)
            elif field.value is not None:
                shown = utils.show_value(field.value)
            else:
                continue
            note = "  (override)" if field.source == Source.OVERRIDE else ""
            self.stdout.write(f"  {name}: {shown}{note}")
