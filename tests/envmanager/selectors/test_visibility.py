"""Every restatement of "which Workspace objects a target receives" agrees with `visible_to_target`.

The rule is stated once in the ORM (`selectors.environment.visible_to_target`, which the effective
environment and the Environment pages use). The link page's "linked" state, the usage counts behind
the delete confirmation and `env_show`'s summary, and `env_list`'s link text restate it in Python;
these tests hold them equal to it over every way an object can reach, or not reach, a target.
"""

import pytest
from django.db.models import Q

from envmanager.management.commands.env_list import link_text
from envmanager.models import EnvObject, Link
from envmanager.selectors.env_objects import Usage, env_object_link_state, env_object_usage
from envmanager.selectors.environment import visible_to_target, with_target_link
from tests.factories import DeploymentFactory, IdeProjectFactory, VariableFactory

# Per object: linked to all?, and its link rows as (target name, excluded, override).
LANDSCAPES = {
    "not linked": (False, []),
    "linked to one": (False, [("dev", False, False)]),
    "linked to one with an override": (False, [("dev", False, True)]),
    "linked to two and an IDE project": (False, [("dev", False, False), ("prod", False, False), ("notebooks", False, False)]),
    "only an IDE project": (False, [("notebooks", False, True)]),
    "all Deployments": (True, []),
    "all Deployments, one excluded": (True, [("prod", True, False)]),
    "all Deployments, one overridden": (True, [("dev", False, True)]),
    "all Deployments, all excluded": (True, [("dev", True, False), ("prod", True, False), ("staging", True, False)]),
    "all Deployments and an IDE project": (True, [("staging", True, False), ("notebooks", False, False)]),
}


@pytest.fixture
def targets(workspace):
    deployments = {name: DeploymentFactory(workspace=workspace, name=name) for name in ("dev", "prod", "staging")}
    ide_projects = {name: IdeProjectFactory(workspace=workspace, name=name) for name in ("notebooks", "laptop")}
    return deployments, ide_projects


def _build(workspace, targets, landscape) -> EnvObject:
    deployments, ide_projects = targets
    linked_to_all, links = LANDSCAPES[landscape]
    env_object = VariableFactory(workspace=workspace, key="shared", fields={"value": "v"}, linked_to_all=linked_to_all)
    for name, excluded, override in links:
        target = {"deployment": deployments[name]} if name in deployments else {"ide_project": ide_projects[name]}
        Link.objects.create(env_object=env_object, excluded=excluded, override_data={"value": "o"} if override else {}, **target)
    return env_object


def _receives(env_object, link_condition: Q, *, include_linked_to_all: bool) -> bool:
    objects = with_target_link(EnvObject.objects.filter(pk=env_object.pk), link_condition)
    return objects.filter(visible_to_target(include_linked_to_all=include_linked_to_all)).exists()


def _truth(env_object, targets) -> tuple[set[str], set[str]]:
    deployments, ide_projects = targets
    return (
        {name for name, d in deployments.items()
         if _receives(env_object, Q(links__deployment_id=d.pk), include_linked_to_all=True)},
        {name for name, p in ide_projects.items()
         if _receives(env_object, Q(links__ide_project_id=p.pk), include_linked_to_all=False)},
    )


def _receivers_of_link_text(text: str, deployment_names) -> tuple[set[str], set[str]]:
    """Read back which targets `env_list`'s text says receive the object."""
    deployments, ide_projects = set(), set()
    if text == "not linked":
        return deployments, ide_projects
    for part in text.split("; "):
        part = part.removesuffix(" (override)")
        if part.startswith("all Deployments"):
            excluded = part.removeprefix("all Deployments").removeprefix(" except ")
            deployments |= set(deployment_names) - set(excluded.split(", "))
        elif part.startswith("IDE project "):
            ide_projects.add(part.removeprefix("IDE project "))
        else:
            deployments.add(part)
    return deployments, ide_projects


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_link_state_usage_and_link_text_agree_with_the_rule(workspace, targets, landscape):
    env_object = _build(workspace, targets, landscape)
    deployments, ide_projects = _truth(env_object, targets)

    state = env_object_link_state(env_object=env_object)
    assert {t.name for t in state.deployments if t.linked} == deployments
    assert {t.name for t in state.ide_projects if t.linked} == ide_projects

    assert env_object_usage(env_object=env_object) == Usage(deployments=len(deployments), ide_projects=len(ide_projects))

    env_object = EnvObject.objects.prefetch_related("links__deployment", "links__ide_project").get(pk=env_object.pk)
    assert _receivers_of_link_text(link_text(env_object), targets[0]) == (deployments, ide_projects)


def test_the_landscapes_cover_receiving_and_not_receiving(workspace, targets):
    """The cases above are not vacuous: some targets receive, some do not, in both kinds of target."""
    seen = set()
    for index, landscape in enumerate(LANDSCAPES):
        env_object = _build(workspace, targets, landscape)
        env_object.key = f"shared_{index}"
        env_object.save(update_fields=["key"])
        deployments, ide_projects = _truth(env_object, targets)
        seen |= {("deployment", bool(deployments)), ("ide", bool(ide_projects)), ("all three", len(deployments) == 3)}
    assert seen >= {("deployment", True), ("deployment", False), ("ide", True), ("ide", False), ("all three", True)}
