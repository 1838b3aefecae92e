from envmanager.management import cli, utils
from envmanager.selectors.migration import migration_runs, run_state_label
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name


class Command(cli.EnvManagerCommand):
    help = (
        "List a Deployment's *Migrate from Airflow* runs, newest first: number, when, who, counts and state\n"
        "(with copy only and restored). `migrate_restore --run N` writes a run's rows back into Airflow."
    )
    example = """
        manage.py migration_runs --deployment prod
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--deployment", required=True, metavar="NAME", help="The Deployment.")

    def handle(self, *args, workspace, deployment, **options):
        deployment = deployment_by_name(workspace_by_name(workspace), deployment)
        runs = migration_runs(deployment=deployment)
        if not runs:
            self.stdout.write(f"Deployment '{deployment.name}' has no migration runs.")
            return
        rows = []
        for run in runs:
            summary = run.summary or {}
            counts = ", ".join(
                f"{len(summary.get(name, []))} {name}" for name in ("migrated", "overridden", "skipped", "failed")
            )
            rows.append([
                str(run.pk), f"{run.started_at:%Y-%m-%d %H:%M:%S}", run.started_by_name, run.get_kind_display(),
                counts, run_state_label(run),
            ])
        for line in utils.table(["RUN", "STARTED (UTC)", "BY", "TYPE", "COUNTS", "STATE"], rows):
            self.stdout.write(line)
