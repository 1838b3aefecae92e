from django.core.management.base import CommandError

from envmanager.airflow_db.database import MetadataDatabaseError
from envmanager.management import cli, utils
from envmanager.selectors.migration import MigrationNotPossible, migration_run_get
from envmanager.selectors.migration_restore import AirflowStep, EnvmanagerStep, RestorePlan, migration_restore_plan
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services.migration_restore import MigrationInProgress, migration_restore_apply

AIRFLOW_WORDS = {
    AirflowStep.WRITE: "write back", AirflowStep.THERE: "already there", AirflowStep.EXISTS: "skip: key exists again",
    AirflowStep.DONE: "done",
}
ENVMANAGER_WORDS = {
    EnvmanagerStep.REMOVE_OBJECT: "remove object", EnvmanagerStep.UNDO_LINK: "remove link/override",
    EnvmanagerStep.KEEP: "keep", EnvmanagerStep.GONE: "already gone", EnvmanagerStep.DONE: "done",
}


class Command(cli.EnvManagerCommand):
    help = (
        "Undo a *Migrate from Airflow* run: write each row it moved back into the Deployment's Airflow metadata\n"
        "database exactly as it was read (a key that is there again with other values is skipped and reported),\n"
        "and remove envmanager's copy or override where it is unchanged since the migration (otherwise it is\n"
        "kept, and the reason printed). Safe to run again after an interruption."
    )
    example = """
        manage.py migration_runs --deployment prod
        manage.py migrate_restore --deployment prod --run 12 --dry-run
        manage.py migrate_restore --deployment prod --run 12 --yes
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--deployment", required=True, metavar="NAME", help="The Deployment migrated from.")
        parser.add_argument("--run", required=True, metavar="N", help="The run's number (`migration_runs` lists them).")
        cli.add_dry_run_option(parser)
        cli.add_yes_option(parser)

    def handle(self, *args, workspace, deployment, run, dry_run, yes, **options):
        deployment = deployment_by_name(workspace_by_name(workspace), deployment)
        run = migration_run_get(deployment=deployment, run_id=run)
        try:
            plan = migration_restore_plan(deployment=deployment, run=run)
        except (MigrationNotPossible, MetadataDatabaseError) as exc:
            raise CommandError(f"{exc} Nothing changed.") from None
        self._write_plan(plan)
        if plan.nothing_to_do:
            self.stdout.write(f"Run {run.pk} is restored already; nothing to do.")
            return
        writes = len(plan.by_step("airflow", AirflowStep.WRITE))
        removals = len(plan.by_step("envmanager", EnvmanagerStep.REMOVE_OBJECT, EnvmanagerStep.UNDO_LINK))
        what = (f"write {utils.plural(writes, 'row')} back into Airflow and remove envmanager's copy of "
                f"{utils.plural(removals, 'row')}.")
        if dry_run:
            self.stdout.write(f"Would {what}")
            self.dry_run_note()
            return
        self.confirm(f"Restore run {run.pk} to the Airflow of Deployment '{deployment.name}'? It will {what}", yes=yes)
        try:
            result = migration_restore_apply(deployment=deployment, run=run, actor=None)
        except (MigrationNotPossible, MetadataDatabaseError, MigrationInProgress) as exc:
            raise CommandError(f"{exc} Run it again to go on.") from None
        self.success(f"Run {run.pk}: {result.sentence()}")
        for key, state, note in result.rows:
            if note:
                self.stdout.write(f"  {key} ({state}): {note}")

    def _write_plan(self, plan: RestorePlan) -> None:
        rows = [[item.key, AIRFLOW_WORDS[item.airflow], ENVMANAGER_WORDS[item.envmanager], item.reason]
                for item in plan.items]
        self.stdout.write(f"Run {plan.run.pk} ({plan.run.get_kind_display()}): {utils.plural(len(rows), 'row')}")
        for line in utils.table(["KEY", "AIRFLOW", "ENVMANAGER", "DETAILS"], rows):
            self.stdout.write("  " + line)
