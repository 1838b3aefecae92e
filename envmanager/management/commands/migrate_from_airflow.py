from django.core.management.base import CommandError

from envmanager.airflow_db.database import MetadataDatabaseError
from envmanager.kinds import KIND_SPECS, Kind
from envmanager.management import cli, utils
from envmanager.selectors.migration import (
    MIGRATABLE_KINDS,
    MigrationNotPossible,
    MigrationPlan,
    MigrationStatus,
    airflow_migration_plan,
)
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services.migration import MigrationInProgress, MigrationResult, airflow_migration_apply
from envmanager.services.readers import reader_wait_sentence

# Each migratable type by its value and its aliases (kinds.KindSpec.aliases), or all of them.
TYPES = {
    **{name: (kind,) for kind in MIGRATABLE_KINDS for name in (kind.value, *KIND_SPECS[kind].aliases)},
    "all": MIGRATABLE_KINDS,
}
STATUS_LABELS = {MigrationStatus.NEW: "new", MigrationStatus.EXISTS: "exists", MigrationStatus.CANNOT: "cannot"}


class Command(cli.EnvManagerCommand):
    help = (
        "Move connections and Airflow variables out of a standard Deployment's Airflow metadata database\n"
        "into the Workspace. Each becomes a Workspace object linked to that Deployment (or an override on\n"
        "the Workspace object with the same key), then its row is deleted from the metadata database, so\n"
        "the Deployment keeps the same values through the secrets backend. Lists the plan first\n"
        "(new / exists / cannot) and asks for confirmation; re-running after an interruption is safe.\n"
        "Prints the run's number (`run N`): `migrate_restore --run N` undoes it, `migration_runs` lists runs."
    )
    example = """
        manage.py migrate_from_airflow --deployment prod --dry-run
        manage.py migrate_from_airflow --deployment prod --type connections --key warehouse --key s3_logs --yes
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--deployment", required=True, metavar="NAME", help="The standard Deployment to migrate from.")
        parser.add_argument(
            "--type", dest="types", choices=sorted(TYPES), default="all",
            help="connections, variables or all (default).",
        )
        parser.add_argument(
            "--key", dest="keys", action="append", metavar="KEY",
            help="Only this key (repeat for several); default: everything that can be migrated.",
        )
        parser.add_argument(
            "--keep-source", action="store_true",
            help="Copy only: leave the rows in the Airflow metadata database (a restore then removes the copies).",
        )
        cli.add_dry_run_option(parser)
        cli.add_yes_option(parser)

    def handle(self, *args, workspace, deployment, types, keys, dry_run, yes, keep_source, **options):
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment)
        plans = [self._plan(deployment, kind) for kind in TYPES[types]]
        selections = [(plan, self._selected(plan, keys)) for plan in plans]
        if keys:
            self._check_keys(keys, plans)
        for plan, _ in selections:
            self._write_plan(plan, keys)
        total = sum(1 for plan in plans for item in plan.items if item.selectable and (not keys or item.key in keys))
        if dry_run:
            self.stdout.write(f"Would migrate {utils.plural(total, 'object')}.")
            self.dry_run_note()
            return
        if total == 0:
            self.stdout.write("Nothing to migrate.")
            return
        fate = (
            "They stay in its Airflow metadata database (copy only)." if keep_source else
            "They will be removed from its Airflow metadata database (`migrate_restore` writes them back)."
        )
        self.confirm(f"Migrate {utils.plural(total, 'object')} from Deployment '{deployment.name}'? {fate}", yes=yes)
        failed = 0
        for plan, ids in selections:
            if any(item.selectable for item in plan.items if item.source_id in set(ids)):
                result = self._apply(plan, ids, keep_source)
                self._write_result(plan.kind, result)
                failed += len(result.failed)
        if failed:
            raise CommandError(f"{utils.plural(failed, 'object')} could not be migrated; see above. Run it again to retry.")

    def _plan(self, deployment, kind) -> MigrationPlan:
        try:
            return airflow_migration_plan(deployment=deployment, kind=kind)
        except (MigrationNotPossible, MetadataDatabaseError) as exc:
            raise CommandError(f"{exc} Nothing changed.") from None

    @staticmethod
    def _selected(plan: MigrationPlan, keys) -> list[int]:
        # Rows that cannot be migrated go along too, so the summary lists them as skipped with their reason.
        return [item.source_id for item in plan.items if not keys or item.key in keys]

    @staticmethod
    def _check_keys(keys, plans) -> None:
        known = {item.key for plan in plans for item in plan.items}
        if unknown := [key for key in keys if key not in known]:
            raise CommandError(
                f"Not in the Airflow metadata database: {', '.join(unknown)}. Nothing changed."
            )

    def _write_plan(self, plan: MigrationPlan, keys) -> None:
        items = [item for item in plan.items if not keys or item.key in keys]
        label = f"{plan.kind.label}s"
        if not items:
            self.stdout.write(f"{label}: none in the Airflow metadata database.")
            return
        rows = []
        for item in items:
            if item.status == MigrationStatus.EXISTS:
                detail = "override: " + ", ".join(item.differing_fields) if item.differing_fields else "same values: link only"
            elif item.status == MigrationStatus.NEW:
                detail = "new Workspace object, linked to this Deployment"
            else:
                detail = item.reason
            rows.append([STATUS_LABELS[item.status], item.key, detail])
        counts = plan.counts()
        self.stdout.write(f"{label}: {counts['new']} new, {counts['exists']} exist, {counts['cannot']} cannot be migrated")
        for line in utils.table(["STATUS", "KEY", "DETAILS"], rows):
            self.stdout.write("  " + line)

    def _apply(self, plan: MigrationPlan, ids: list[int], keep_source: bool) -> MigrationResult:
        done, waiting_for = 0, None
        with self.progress(f"Migrating {plan.kind.label.lower()}s") as update:
            def on_progress(event, key):
                nonlocal done, waiting_for
                if event == "deleted" or (keep_source and event == "copied"):
                    done += 1
                    update(done, len(ids))
                elif event == "waiting":
                    # Once per change of who is still behind, not per poll.
                    behind = key.split(" (")[0]
                    if behind != waiting_for:
                        waiting_for = behind
                        self.stderr.write(key[0].upper() + key[1:] + "…")

            try:
                return airflow_migration_apply(
                    deployment=plan.deployment, kind=plan.kind, source_ids=ids, actor=None, on_progress=on_progress,
                    keep_source=keep_source,
                )
            except (MigrationNotPossible, MetadataDatabaseError, MigrationInProgress) as exc:
                raise CommandError(str(exc)) from None

    def _write_result(self, kind: Kind, result: MigrationResult) -> None:
        self.success(
            f"{kind.label}s: migrated {len(result.migrated)}, overridden {len(result.overridden)}, "
            f"skipped {len(result.skipped)}, failed {len(result.failed)}."
        )
        run = result.run
        self.stdout.write(f"  run {run.pk} (`migrate_restore --deployment '{run.deployment.name}' --run {run.pk}` undoes it)")
        if wait := result.reader_wait:
            self.stdout.write("  " + reader_wait_sentence(wait))
        for title, pairs in (("Skipped", result.skipped), ("Failed", result.failed)):
            for key, reason in pairs:
                self.stdout.write(f"  {title} {key}: {reason}")
