"""`Target`: exactly one Deployment or IDE project, and what every caller used to compute from the pair."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import Link
from envmanager.targets import Target
from tests.factories import VariableFactory


def test_exactly_one_of_the_two_is_required(dev, ide_project):
    for wrong in ({}, {"deployment": dev, "ide_project": ide_project}):
        with pytest.raises(ValidationError, match="exactly one Deployment or one IDE project"):
            Target(**wrong)
    for wrong in (None, "dev", dev.workspace):
        with pytest.raises(ValidationError, match="exactly one"):
            Target.of(wrong)


def test_a_deployment_and_an_ide_project_as_targets(workspace, dev, ide_project):
    deployment, project = Target.of(dev), Target.of(ide_project)
    assert Target.of(deployment) is deployment
    assert (deployment.label, project.label) == ("Deployment 'dev'", "IDE project 'notebooks'")
    assert (deployment.audit_type, project.audit_type) == ("deployment", "ide_project")
    assert (deployment.instance, project.instance) == (dev, ide_project)
    assert deployment.workspace_id == project.workspace_id == workspace.pk
    assert deployment.url("tokens") == f"/workspaces/{workspace.pk}/deployments/{dev.pk}/api-tokens/"
    assert project.url("export", "dotenv") == f"/workspaces/{workspace.pk}/ide-projects/{ide_project.pk}/export/dotenv/"


def test_row_filter_and_of_row_name_the_link_rows_target(workspace, dev, prod, ide_project):
    shared = VariableFactory(workspace=workspace, key="shared")
    Link.objects.create(env_object=shared, deployment=dev)
    Link.objects.create(env_object=shared, deployment=prod)
    Link.objects.create(env_object=shared, ide_project=ide_project)
    for instance in (dev, prod, ide_project):
        link = Link.objects.get(**Target.of(instance).row_filter)
        assert Target.of_row(link).instance == instance
