"""`env_object_links_set`: the links dialog's one Save, all or nothing; an exclusion that drops an override
only when confirmed; `target_links_add`: the picker's Link."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import AuditEntry, Link, ObjectVersion
from envmanager.services import link_sets
from envmanager.services import links as link_services
from tests.concurrency import run_together
from tests.factories import IdeProjectFactory, VariableFactory


def test_an_unconfirmed_exclusion_of_an_override_names_it_and_changes_nothing(workspace, dev, prod):
    region = VariableFactory(workspace=workspace, key="region")
    link_services.link_create(env_object=region, actor=None, target=dev)
    link_services.link_set_override(env_object=region, actor=None, target=dev, fields={"value": "x"})
    ide = IdeProjectFactory(workspace=workspace)
    before = AuditEntry.objects.count()
    with pytest.raises(link_sets.ExclusionDropsOverrides) as refused:
        link_sets.env_object_links_set(
            env_object=region, actor=None, linked_to_all=True, deployments=[], ide_projects=[ide], excluded=[dev, prod]
        )
    assert refused.value.deployments == [dev] and "'dev'" in str(refused.value)
    region.refresh_from_db()
    assert not region.linked_to_all and not Link.objects.filter(ide_project=ide).exists()
    assert Link.objects.get(env_object=region, deployment=dev).override_data == {"value": "x"}
    assert AuditEntry.objects.count() == before


def test_a_confirmed_exclusion_drops_the_override_and_its_history_says_so(workspace, dev):
    region = VariableFactory(workspace=workspace, key="region", linked_to_all=True)
    link_services.link_set_override(env_object=region, actor=None, target=dev, fields={"value": "x"})
    link_sets.env_object_links_set(
        env_object=region, actor=None, linked_to_all=True, deployments=[], ide_projects=[], excluded=[dev],
        drop_overrides=True,
    )
    link = Link.objects.get(env_object=region, deployment=dev)
    assert link.excluded and not link.has_override
    assert ObjectVersion.objects.filter(object_id=region.pk, link_deployment=dev, change="deleted").exists()


def test_target_links_add_is_all_or_nothing(workspace, dev, other_workspace):
    mine, theirs = VariableFactory(workspace=workspace), VariableFactory(workspace=other_workspace)
    with pytest.raises(ValidationError, match="another Workspace"):
        link_sets.target_links_add(target=dev, env_objects=[mine, theirs], actor=None)
    assert not Link.objects.exists()
    with pytest.raises(ValidationError, match="at least one"):
        link_sets.target_links_add(target=dev, env_objects=[], actor=None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_two_saves_at_once_leave_one_of_them_whole(workspace, dev, prod):
    region = VariableFactory(workspace=workspace, key="region")

    def save(excluded):
        return lambda: link_sets.env_object_links_set(
            env_object=region, actor=None, linked_to_all=True, deployments=[], ide_projects=[], excluded=excluded
        )

    results, errors = run_together(save([dev]), save([prod]))
    assert not errors and len(results) == 2
    excluded = set(Link.objects.filter(env_object=region, excluded=True).values_list("deployment__name", flat=True))
    assert excluded in ({"dev"}, {"prod"})  # the later Save, whole; never both, never none
