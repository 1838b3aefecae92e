from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.urls import reverse

from envmanager import crypto
from envmanager.airflow_db.confinement import airflow_files_folder
from envmanager.airflow_db.sample import create_sample_database
from envmanager.kinds import Kind
from envmanager.management import cli, utils
from envmanager.models import Deployment, IdeProject, Role, Workspace
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.services import members as member_services
from envmanager.services import workspaces as workspace_services

DEMO_WORKSPACE = "Demo"
DEMO_ADMIN = "demo-admin"
DEMO_USERS = (
    ("demo-owner", Role.OWNER),
    ("demo-operator", Role.OPERATOR),
    ("demo-author", Role.AUTHOR),
    ("demo-member", Role.MEMBER),
)


@dataclass
class DemoPlaces:
    workspace: Workspace
    dev: Deployment
    prod: Deployment
    ide: IdeProject


def places_create() -> DemoPlaces:
    """Create the Demo Workspace with Deployments dev and prod and one IDE project."""
    workspace = workspace_services.workspace_create(
        name=DEMO_WORKSPACE, description="Sample data from `manage.py load_demo`.", actor=None
    )
    return DemoPlaces(
        workspace=workspace,
        dev=workspace_services.deployment_create(workspace=workspace, name="dev", actor=None),
        prod=workspace_services.deployment_create(workspace=workspace, name="prod", actor=None),
        ide=workspace_services.ide_project_create(workspace=workspace, name="notebooks", actor=None),
    )


def objects_create(places: DemoPlaces) -> int:
    """Create objects of all four types, their links, one override, one link-to-all; return how many."""
    dev, prod, ide = places.dev, places.prod, places.ide

    def create(kind, key, fields, *, linked=(), **options):
        env_object = env_object_services.env_object_create(
            workspace=places.workspace, actor=None, kind=kind, key=key, fields=fields, **options
        )
        for target in linked:
            link_services.link_create(env_object=env_object, actor=None, target=target)
        return env_object

    warehouse = create(Kind.CONNECTION, "warehouse", {
        "conn_type": "postgres", "host": "warehouse.demo.internal", "schema": "analytics", "login": "airflow",
        "password": "demo-warehouse-password", "port": 5432, "extra": {"sslmode": "require"},
    }, linked=(dev, prod, ide))
    # Development credentials on dev; prod and the IDE project keep the Workspace values.
    link_services.link_set_override(
        env_object=warehouse, actor=None, target=dev,
        fields={"host": "warehouse-dev.demo.internal", "password": "demo-dev-password"},
    )
    create(Kind.CONNECTION, "slack_alerts", {
        "conn_type": "slack", "description": "Alerts channel", "password": "xoxb-demo-token",
    }, linked=(dev, prod))
    create(Kind.CONNECTION, "s3_lake", {
        "conn_type": "aws", "login": "AKIADEMOKEY", "password": "demo-secret-access-key",
        "extra": {"region_name": "eu-west-1"},
    }, linked=(prod, ide))
    create(Kind.VARIABLE, "alert_email", {"value": "data-platform@example.com"}, linked=(dev, prod))
    create(Kind.VARIABLE, "feature_flags", {"value": '{"new_loader": true}', "description": "JSON flags"},
           linked=(dev, prod, ide))
    create(Kind.VARIABLE, "partner_api_key", {"value": "demo-partner-key"}, is_secret=True, linked=(prod,))
    create(Kind.ENV, "TZ", {"value": "UTC"}, linked=(dev, prod, ide))
    log_level = create(Kind.ENV, "LOG_LEVEL", {"value": "DEBUG"}, linked_to_all=True)
    link_services.link_exclude(env_object=log_level, actor=None, target=prod)
    create(Kind.METRICS, "prometheus", {
        "endpoint": "https://prometheus.demo.example.com/api/v1/write", "exporter_type": "prometheus_remote_write",
        "auth_type": "bearer", "password": "demo-bearer-token", "labels": {"team": "data-platform"},
    }, linked=(dev, prod))
    create(Kind.VARIABLE, "max_active_runs", {"value": "32"}, deployment=prod)
    return places.workspace.env_objects.count()


def airflow_demo_create(places: DemoPlaces, path: Path) -> str:
    """Give prod a demo Airflow metadata database (Airflow 3 layout, encrypted) with rows of every status.

    New: legacy_mysql, etl_batch_size, datadog_api_key. Exists: warehouse and alert_email (values differ:
    an override), slack_alerts (same values). Cannot: an invalid id, an extra that is not a JSON object, a
    row encrypted with a key the Deployment does not have, and max_active_runs (prod has its own).
    """
    path.unlink(missing_ok=True)
    airflow_key = Fernet.generate_key().decode()
    url = f"sqlite:///{path}"
    db = create_sample_database(url, layout="3", fernet_keys=[airflow_key])
    db.add_connection("legacy_mysql", "mysql", host="mysql.demo.internal", schema="legacy", login="etl",
                      password="demo-mysql-password", port=3306, description="Old reporting database")
    db.add_connection("warehouse", "postgres", host="warehouse-prod.demo.internal", schema="analytics",
                      login="airflow", password="demo-prod-airflow-password", port=5432, extra={"sslmode": "require"})
    db.add_connection("slack_alerts", "slack", description="Alerts channel", password="xoxb-demo-token")
    db.add_connection("bad id!", "http", host="example.com")
    db.add_connection("broken_extra", "http", host="api.demo.internal", extra='["not", "an", "object"]')
    db.add_variable("etl_batch_size", "500", description="Rows per insert")
    db.add_variable("datadog_api_key", "demo-datadog-key")
    db.add_variable("alert_email", "oncall@example.com")
    db.add_variable("max_active_runs", "16")
    # A row from before a key rotation the Deployment was not told about: no configured key opens it.
    foreign_key_set = crypto.airflow_key_set([Fernet.generate_key().decode()])
    db.execute(
        "INSERT INTO connection (conn_id, conn_type, password, is_encrypted, is_extra_encrypted) "
        "VALUES ('old_key_conn', 'http', %s, TRUE, FALSE)",
        (crypto.airflow_encrypt(foreign_key_set, "demo-rotated-away"),),
    )
    db.close()
    workspace_services.deployment_update(
        deployment=places.prod, actor=None, metadata_db_url=url, fernet_keys=airflow_key
    )
    return url


def _demo_user(username: str, *, superuser: bool = False) -> tuple:
    """Return (user, fresh password) for a demo account, creating it or giving it a new password."""
    password = utils.generate_password()
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = member_services.user_create(username=username, password=password, superuser=superuser)
    else:
        member_services.user_password_set(user=user, password=password, actor=None)
    return user, password


def members_set(workspace: Workspace) -> list[tuple[str, str, str]]:
    """Give each demo user a fresh random password and their role; return (username, role, password).

    Also a `demo-admin` superuser for the Django admin (a superuser sees every Workspace).
    """
    rows = []
    for username, role in DEMO_USERS:
        user, password = _demo_user(username)
        member_services.membership_set(workspace=workspace, user=user, role=role, actor=None)
        rows.append((username, role.label, password))
    _, password = _demo_user(DEMO_ADMIN, superuser=True)
    rows.append((DEMO_ADMIN, "Superuser (admin)", password))
    return rows


class Command(cli.EnvManagerCommand):
    help = (
        "Load a demo: Workspace 'Demo' with Deployments dev and prod, an IDE project, four users (one per\n"
        "role, random passwords printed once) and environment objects of every type with links, an\n"
        "override, a link-to-all object with an exclusion and a Deployment object. Does nothing if 'Demo'\n"
        "exists; --reset-passwords then prints fresh passwords for the demo users."
    )
    example = """
        manage.py load_demo
        manage.py load_demo --reset-passwords
    """

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords", action="store_true",
            help="When the demo exists: give the demo users new passwords and print them.",
        )
        cli.add_dry_run_option(parser)

    def handle(self, *args, reset_passwords, dry_run, **options):
        workspace = Workspace.objects.filter(name=DEMO_WORKSPACE).first()
        if workspace is not None and not reset_passwords:
            self.stdout.write(
                f"Workspace '{DEMO_WORKSPACE}' already exists; nothing changed. "
                "Use --reset-passwords to print new passwords for the demo users."
            )
            return
        if workspace is None:
            self._create(dry_run=dry_run)
        else:
            self._reset_passwords(workspace, dry_run=dry_run)

    def _create(self, *, dry_run: bool) -> None:
        with utils.changes(dry_run=dry_run):
            places = places_create()
            count = objects_create(places)
            passwords = members_set(places.workspace)
            if not dry_run:
                # In <VAR_DIR>/airflow/: the folder the default ENVMANAGER_METADATA_DB_ALLOWED lets SQLite files be opened in.
                airflow_demo_create(places, airflow_files_folder() / "demo-prod.sqlite3")
        summary = (
            f"Workspace '{DEMO_WORKSPACE}': Deployments 'dev' and 'prod', IDE project '{places.ide.name}', "
            f"{utils.plural(count, 'environment object')} and {utils.plural(len(passwords), 'user')}."
        )
        if not self.report(dry_run=dry_run, would=f"Would create {summary}", done=f"Created {summary}"):
            return
        self.stdout.write(
            "Deployment 'prod' has a demo Airflow metadata database to migrate from: "
            "open prod's Environment tab (Connections or Airflow Variables) and use Migrate from Airflow, "
            "or run `manage.py migrate_from_airflow --deployment prod --dry-run`."
        )
        self._write_passwords(passwords)

    def _reset_passwords(self, workspace: Workspace, *, dry_run: bool) -> None:
        with utils.changes(dry_run=dry_run):
            passwords = members_set(workspace)
        if dry_run:
            self.stdout.write(f"Would set new passwords for {utils.plural(len(passwords), 'demo user')}.")
            self.dry_run_note()
            return
        self.success(f"Set new passwords for {utils.plural(len(passwords), 'demo user')}.")
        self._write_passwords(passwords)

    def _write_passwords(self, passwords: list[tuple[str, str, str]]) -> None:
        """Print the demo logins once; they cannot be shown again (only reset)."""
        self.stdout.write("")
        self.stdout.write("Demo users (passwords are shown only now):")
        for line in utils.table(["USERNAME", "ROLE", "PASSWORD"], [list(row) for row in passwords]):
            self.stdout.write(f"  {line}")
        login, admin = reverse("accounts:login"), reverse("admin:index")
        self.stdout.write("")
        self.stdout.write(
            f"Sign in at {login} (with bin/serve: http://127.0.0.1:8000{login}); "
            f"the Django admin is at {admin} for {DEMO_ADMIN}."
        )
