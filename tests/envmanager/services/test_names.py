"""The one rule for the names of Workspaces, Deployments, IDE projects and tokens (services/names.py)."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.services.names import clean_name


def test_a_name_loses_only_its_surrounding_white_space():
    assert clean_name("  prod  eu\t", what="Deployment", max_length=20) == "prod  eu"


@pytest.mark.parametrize("name", ["", "   ", None])
def test_an_empty_name_is_refused_on_the_name_field(name):
    with pytest.raises(ValidationError) as caught:
        clean_name(name, what="Deployment", max_length=20)
    assert caught.value.message_dict == {"name": ["The Deployment needs a name."]}


def test_the_refusal_may_suggest_a_name():
    with pytest.raises(ValidationError) as caught:
        clean_name(" ", what="token", max_length=20, example="the CI pipeline that uses it")
    assert caught.value.message_dict == {"name": ["The token needs a name, e.g. the CI pipeline that uses it."]}


def test_a_name_longer_than_the_limit_is_refused_after_trimming():
    assert clean_name(" " + "x" * 5 + " ", what="IDE project", max_length=5) == "xxxxx"
    with pytest.raises(ValidationError) as caught:
        clean_name("x" * 6, what="IDE project", max_length=5)
    assert caught.value.message_dict == {"name": ["The IDE project name is longer than 5 characters."]}
