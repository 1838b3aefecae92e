import json

from django.core.management.base import CommandError

from envmanager.airflow_db.database import MetadataDatabaseError
from envmanager.management import cli
from envmanager.selectors.drift import DriftStatus, drift_report
from envmanager.selectors.migration import MigrationNotPossible
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name


class Command(cli.EnvManagerCommand):
    help = (
        "Compare a Deployment's envmanager environment with its own Airflow metadata database: keys both hold\n"
        "(the metastore's copy is shadowed, since Airflow asks the secrets backend first), each 'same' or\n"
        "'differs' (with the field names; secrets are compared but never shown), and keys only in the\n"
        "metastore (candidates for `migrate_from_airflow`)."
    )
    example = """
        manage.py drift_report --deployment prod
        manage.py drift_report --deployment prod --format json
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--deployment", required=True, metavar="NAME", help="The Deployment to check.")
        parser.add_argument(
            "--format", dest="output_format", choices=["text", "json"], default="text",
            help='text (default) or json: {"deployment", "shadowed": [...], "only_in_metastore": [...]}.',
        )

    def handle(self, *args, workspace, deployment, output_format, **options):
        deployment = deployment_by_name(workspace_by_name(workspace), deployment)
        try:
            report = drift_report(deployment=deployment)
        except (MigrationNotPossible, MetadataDatabaseError) as exc:
            raise CommandError(str(exc)) from None
        if output_format == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
            return
        differs = report.count(DriftStatus.DIFFERS)
        self.stdout.write(
            f"Deployment '{deployment.name}': {len(report.shadowed)} shadowed in the metastore "
            f"({report.count(DriftStatus.SAME)} same, {differs} differ{'s' if differs == 1 else ''}), "
            f"{len(report.only_in_metastore)} only in the metastore."
        )
        if report.shadowed:
            self.stdout.write("")
            self.stdout.write("Shadowed (envmanager's value is served):")
            for item in report.shadowed:
                detail = f": {', '.join(item.fields)}" if item.fields else (f": {item.reason}" if item.reason else "")
                self.stdout.write(f"  {item.status:<8} {item.noun} {item.key}{detail}")
        if report.only_in_metastore:
            self.stdout.write("")
            self.stdout.write("Only in the metastore (candidates to migrate):")
            for item in report.only_in_metastore:
                self.stdout.write(f"  {item.noun} {item.key}" + (f": {item.reason}" if item.reason else ""))
