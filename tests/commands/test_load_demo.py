import re

import pytest
from django.contrib.auth import get_user_model

from envmanager.kinds import Kind
from envmanager.models import EnvObject, Link, Membership, Workspace
from envmanager.selectors.environment import Source, deployment_effective_environment, ide_project_effective_environment
from tests.commands.conftest import db_state

User = get_user_model()


def passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(demo-\w+)\s+\w+\s+(\S+)$", output, flags=re.MULTILINE))


@pytest.mark.django_db
def test_creates_the_demo_and_prints_working_logins(run):
    result = run("load_demo")

    demo = Workspace.objects.get(name="Demo")
    assert sorted(demo.deployments.values_list("name", "execution_mode")) == [("dev", "standard"), ("prod", "standard")]
    assert demo.ide_projects.count() == 1
    logins = passwords(result.out)
    assert sorted(logins) == ["demo-author", "demo-member", "demo-operator", "demo-owner"]
    for username, password in logins.items():
        assert User.objects.get(username=username).check_password(password)
    assert dict(Membership.objects.filter(workspace=demo).values_list("user__username", "role")) == {
        "demo-owner": "owner", "demo-operator": "operator", "demo-author": "author", "demo-member": "member",
    }
    assert "/accounts/login/" in result.out


@pytest.mark.django_db
def test_demo_has_every_type_links_an_override_an_exclusion_and_a_deployment_object(run):
    run("load_demo")
    demo = Workspace.objects.get(name="Demo")
    dev, prod = demo.deployments.get(name="dev"), demo.deployments.get(name="prod")

    assert set(EnvObject.objects.filter(workspace=demo).values_list("kind", flat=True)) == set(Kind.values)
    assert EnvObject.objects.filter(kind=Kind.CONNECTION, secrets__has_key="password").count() >= 2
    assert EnvObject.objects.filter(kind=Kind.CONNECTION, secrets__has_key="extra").exists()
    assert EnvObject.objects.filter(kind=Kind.VARIABLE, is_secret=True).exists()
    assert EnvObject.objects.get(kind=Kind.METRICS).data["auth_type"] == "bearer"
    overridden = Link.objects.exclude(override_data={}, override_secrets={})
    assert [link.deployment for link in overridden] == [dev]
    link_all = EnvObject.objects.get(linked_to_all=True)
    assert list(link_all.links.values_list("deployment__name", "excluded")) == [("prod", True)]
    deployment_objects = EnvObject.objects.filter(deployment__isnull=False)
    assert list(deployment_objects.values_list("deployment__name", flat=True)) == ["prod"]

    dev_sources = {entry.key: entry.source for entry in deployment_effective_environment(deployment=dev)}
    prod_keys = {entry.key for entry in deployment_effective_environment(deployment=prod)}
    assert dev_sources["warehouse"] == Source.OVERRIDE
    assert link_all.key in dev_sources and link_all.key not in prod_keys
    assert Source.DEPLOYMENT in {e.source for e in deployment_effective_environment(deployment=prod)}
    assert ide_project_effective_environment(ide_project=demo.ide_projects.get())


@pytest.mark.django_db
def test_running_it_again_changes_nothing_and_says_so(run):
    run("load_demo")
    before = db_state()

    result = run("load_demo")

    assert db_state() == before
    assert "Workspace 'Demo' already exists; nothing changed." in result.out
    assert not passwords(result.out)


@pytest.mark.django_db
def test_reset_passwords_prints_fresh_working_passwords(run):
    first = passwords(run("load_demo").out)
    objects = list(EnvObject.objects.values())

    result = run("load_demo", reset_passwords=True)

    fresh = passwords(result.out)
    assert sorted(fresh) == sorted(first)
    for username, password in fresh.items():
        assert password != first[username]
        assert User.objects.get(username=username).check_password(password)
    assert list(EnvObject.objects.values()) == objects


@pytest.mark.django_db
def test_dry_run_changes_nothing_and_prints_no_password(run):
    before = db_state()

    result = run("load_demo", dry_run=True)

    assert db_state() == before
    assert "Would create Workspace 'Demo'" in result.out
    assert not passwords(result.out)


def test_demo_prod_has_an_airflow_database_showing_every_migration_status(run, db):
    from envmanager.kinds import Kind
    from envmanager.models import Deployment
    from envmanager.selectors.migration import airflow_migration_plan

    run("load_demo")

    prod = Deployment.objects.get(name="prod", workspace__name="Demo")
    statuses = {}
    for kind in (Kind.CONNECTION, Kind.VARIABLE):
        statuses.update({item.key: item.status for item in airflow_migration_plan(deployment=prod, kind=kind).items})
    assert statuses == {
        "legacy_mysql": "new", "warehouse": "exists", "slack_alerts": "exists", "bad id!": "cannot",
        "broken_extra": "cannot", "old_key_conn": "cannot", "etl_batch_size": "new", "datadog_api_key": "new",
        "alert_email": "exists", "max_active_runs": "cannot",
    }
