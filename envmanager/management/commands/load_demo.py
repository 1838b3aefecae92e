from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role
from envmanager.kinds import Kind
from envmanager.management import cli
from envmanager.models import Deployment, IdeProject, Workspace
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.services import workspaces as workspace_services

DEMO_WORKSPACE = "Demo"
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
            target_kind = "deployment" if isinstance(target, Deployment) else "ide_project"
            link_services.link_create(env_object=env_object, actor=None, **{target_kind: target})
        return env_object

    warehouse = create(Kind.CONNECTION, "warehouse", {
        "conn_type": "postgres", "host": "warehouse.demo.internal", "schema": "analytics", "login": "airflow",
        "password": "demo-warehouse-password", "port": 5432, "extra": {"sslmode": "require"},
    }, linked=(dev, prod, ide))
    # Development credentials on dev; prod and the IDE project keep the Workspace values.
    link_services.link_set_override(
        env_object=warehouse, actor=None, deployment=dev,
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
    link_services.deployment_exclude(env_object=log_level, actor=None, deployment=prod)
    create(Kind.METRICS, "prometheus", {
        "endpoint": "https://prometheus.demo.example.com/api/v1/write", "exporter_type": "prometheus_remote_write",
        "auth_type": "bearer", "password": "demo-bearer-token", "labels": {"team": "data-platform"},
    }, linked=(dev, prod))
    create(Kind.VARIABLE, "max_active_runs", {"value": "32"}, deployment=prod)
    return places.workspace.env_objects.count()


def members_set(workspace: Workspace) -> list[tuple[str, str, str]]:
    """Give each demo user a fresh random password and their role; return (username, role, password)."""
    rows = []
    for username, role in DEMO_USERS:
        password = cli.generate_password()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            user = account_services.user_create(username=username, password=password)
        else:
            account_services.user_password_set(user=user, password=password, actor=None)
        account_services.membership_set(workspace=workspace, user=user, role=role, actor=None)
        rows.append((username, role.label, password))
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
        with cli.changes(dry_run=dry_run):
            places = places_create()
            count = objects_create(places)
            passwords = members_set(places.workspace)
        summary = (
            f"Workspace '{DEMO_WORKSPACE}': Deployments 'dev' and 'prod', IDE project '{places.ide.name}', "
            f"{cli.plural(count, 'environment object')} and {cli.plural(len(passwords), 'user')}."
        )
        if dry_run:
            self.stdout.write(f"Would create {summary}")
            self.dry_run_note()
            return
        self.success(f"Created {summary}")
        self._write_passwords(passwords)

    def _reset_passwords(self, workspace: Workspace, *, dry_run: bool) -> None:
        with cli.changes(dry_run=dry_run):
            passwords = members_set(workspace)
        if dry_run:
            self.stdout.write(f"Would set new passwords for {cli.plural(len(passwords), 'demo user')}.")
            self.dry_run_note()
            return
        self.success(f"Set new passwords for {cli.plural(len(passwords), 'demo user')}.")
        self._write_passwords(passwords)

    def _write_passwords(self, passwords: list[tuple[str, str, str]]) -> None:
        """Print the demo logins once; they cannot be shown again (only reset)."""
        self.stdout.write("")
        self.stdout.write("Demo users (passwords are shown only now):")
        for line in cli.table(["USERNAME", "ROLE", "PASSWORD"], [list(row) for row in passwords]):
            self.stdout.write(f"  {line}")
        login = reverse("accounts:login")
        self.stdout.write("")
        self.stdout.write(
            f"Log in at http://127.0.0.1:8000{login} after `manage.py runserver` (or {login} on your server)."
        )
