"""The override dialog's Extra key by key (`OverrideForm` with `ExtraRowsField`): rows start from what the
Deployment gets, sensitive values stay write-only and an empty one is kept from where it came (the override,
else the Workspace object), unchanged rows change nothing, an error keeps what was typed but never a secret."""

import json

import pytest
from django.http import QueryDict

from envmanager.forms.environment import OverrideForm
from envmanager.models import Link
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory

WORKSPACE_EXTRA = '{"region_name":  "eu-west-1", "aws_secret_access_key": "WS-SK-canary", "timeout": 5, "label": "5"}'
OVERRIDE_EXTRA = '{"region_name": "us-east-1",   "aws_secret_access_key": "OV-SK-canary", "timeout": 7, "label": "5"}'
SECRETS = ("WS-SK-canary", "OV-SK-canary")


@pytest.fixture
def aws(workspace, dev):
    obj = ConnectionFactory(workspace=workspace, key="aws", fields={"conn_type": "aws", "extra": WORKSPACE_EXTRA})
    link_services.link_create(env_object=obj, actor=None, target=dev)
    return obj


@pytest.fixture
def overridden(aws, dev):
    return link_services.link_set_override(env_object=aws, actor=None, target=dev, fields={"extra": OVERRIDE_EXTRA})


def _link(aws, dev):
    return Link.objects.filter(env_object=aws, deployment=dev).first()


def _form(aws, dev, rows=None, **fields):
    data = QueryDict(mutable=True)
    for name, value in fields.items():
        data[name] = value
    if rows is not None:
        for part, index in (("key", 0), ("value", 1), ("type", 2), ("original", 3)):
            data.setlist(f"extra_rows_{part}", [row[index] for row in rows])
    return OverrideForm(data, env_object=aws, link=_link(aws, dev))


def _unbound(aws, dev):
    return OverrideForm(env_object=aws, link=_link(aws, dev))


def _rows_html(form) -> str:
    return str(form["extra_rows"])


# The rows the dialog shows for each stored Extra, posted back as they were.
WORKSPACE_ROWS = [("region_name", "eu-west-1", "text", "region_name"),
                  ("aws_secret_access_key", "", "text", "aws_secret_access_key"),
                  ("timeout", "5", "json", "timeout"), ("label", "5", "text", "label"), ("", "", "text", "")]
OVERRIDE_ROWS = [("region_name", "us-east-1", "text", "region_name"),
                 ("aws_secret_access_key", "", "text", "aws_secret_access_key"),
                 ("timeout", "7", "json", "timeout"), ("label", "5", "text", "label"), ("", "", "text", "")]


def test_the_rows_start_from_the_workspace_extra_without_an_override(aws, dev):
    html = _rows_html(_unbound(aws, dev))
    assert 'value="eu-west-1"' in html and 'value="region_name"' in html and 'value="aws_secret_access_key"' in html
    assert "set in the Workspace object; leave empty to keep" in html
    assert not any(secret in html for secret in SECRETS)


def test_the_rows_start_from_the_override_when_the_target_overrides_extra(aws, dev, overridden):
    html = _rows_html(_unbound(aws, dev))
    assert 'value="us-east-1"' in html and 'value="7"' in html and 'value="eu-west-1"' not in html
    assert "set in this Deployment&#x27;s override; leave empty to keep" in html
    assert not any(secret in html for secret in SECRETS)


def test_editing_a_key_overrides_the_extra_keeping_the_workspace_secret(aws, dev):
    rows = [("region_name", "ap-south-1", "text", "region_name"), *WORKSPACE_ROWS[1:]]
    form = _form(aws, dev, rows)
    assert form.is_valid(), form.errors
    assert form.override_kwargs()["clear"] == ()
    extra = form.override_kwargs()["fields"]["extra"]
    assert list(json.loads(extra).items()) == [
        ("region_name", "ap-south-1"), ("aws_secret_access_key", "WS-SK-canary"), ("timeout", 5), ("label", "5"),
    ]


def test_editing_a_key_of_an_override_keeps_the_override_secret(aws, dev, overridden):
    rows = [*OVERRIDE_ROWS[:3], ("label", "5", "json", "label")]  # "5" the text becomes 5 the number
    form = _form(aws, dev, rows, override_extra="on")
    assert form.is_valid(), form.errors
    assert json.loads(form.override_kwargs()["fields"]["extra"]) == {
        "region_name": "us-east-1", "aws_secret_access_key": "OV-SK-canary", "timeout": 7, "label": 5,
    }


def test_text_and_json_values_stay_apart(aws, dev):
    rows = [*WORKSPACE_ROWS[:3], ("label", "5", "json", "label"), ("retries", "5", "text", "")]
    form = _form(aws, dev, rows)
    assert form.is_valid(), form.errors
    extra = json.loads(form.override_kwargs()["fields"]["extra"])
    assert (extra["label"], extra["retries"], extra["timeout"]) == (5, "5", 5)


def test_a_sensitive_value_typed_replaces_the_one_received(aws, dev):
    rows = [WORKSPACE_ROWS[0], ("aws_secret_access_key", "new-SK", "text", "aws_secret_access_key"), *WORKSPACE_ROWS[2:]]
    form = _form(aws, dev, rows)
    assert form.is_valid(), form.errors
    assert json.loads(form.override_kwargs()["fields"]["extra"])["aws_secret_access_key"] == "new-SK"


def test_unchanged_rows_without_an_override_change_nothing(aws, dev):
    form = _form(aws, dev, WORKSPACE_ROWS)
    assert not form.is_valid()
    assert form.non_field_errors() == ["Nothing to change: tick “Override” next to a field and enter its value."]

    form = _form(aws, dev, WORKSPACE_ROWS, host="dev-host")  # another field changed: Extra stays the Workspace's
    assert form.is_valid(), form.errors
    assert form.override_kwargs() == {"fields": {"host": "dev-host"}, "clear": ()}


def test_unchanged_rows_keep_an_extra_override_as_it_is(aws, dev, overridden):
    form = _form(aws, dev, OVERRIDE_ROWS, override_extra="on", host="dev-host")
    assert form.is_valid(), form.errors
    assert form.override_kwargs() == {"fields": {"host": "dev-host"}, "clear": ()}  # no Extra written


def test_unticking_override_removes_the_extra_override(aws, dev, overridden):
    form = _form(aws, dev, OVERRIDE_ROWS)
    assert form.is_valid(), form.errors
    assert form.override_kwargs() == {"fields": {}, "clear": ("extra",)}


def test_ticked_with_unchanged_rows_and_no_override_is_an_error(aws, dev):
    form = _form(aws, dev, WORKSPACE_ROWS, override_extra="on")
    assert not form.is_valid()
    assert form.errors["extra"] == ["Change a key of the Extra for this Deployment, or untick “Override”."]


def test_removing_every_key_gives_an_extra_with_no_keys(aws, dev, overridden):
    rows = [("", "", "text", original) for _key, _value, _type, original in OVERRIDE_ROWS]
    form = _form(aws, dev, rows, override_extra="on")
    assert form.is_valid(), form.errors
    assert form.override_kwargs()["fields"] == {"extra": "{}"}


@pytest.mark.parametrize("with_override", [False, True], ids=["workspace-extra", "override"])
def test_an_error_keeps_what_was_typed_but_never_a_secret(aws, dev, request, with_override):
    if with_override:
        request.getfixturevalue("overridden")
    rows = [("region_name", "typed-region", "text", "region_name"),
            ("aws_secret_access_key", "", "text", "aws_secret_access_key"),
            ("api_token", "typed-TOKEN-canary", "text", ""), ("retries", "{not json", "json", ""),
            ("region_name", "twice", "text", "")]
    form = _form(aws, dev, rows)
    assert not form.is_valid()
    assert form.errors["extra_rows"] == [
        "Extra key 'retries': not valid JSON (Expecting property name enclosed in double quotes); choose text for a"
        " plain string.",
        "Extra key 'region_name' is given twice.",
    ]
    html = _rows_html(form)
    assert 'value="typed-region"' in html and 'value="{not json"' in html and 'value="api_token"' in html
    assert 'value="twice"' in html
    assert "typed-TOKEN-canary" not in html and not any(secret in html for secret in SECRETS)


def test_rows_and_the_whole_text_together_are_refused(aws, dev):
    rows = [("region_name", "x", "text", "region_name"), *WORKSPACE_ROWS[1:]]
    form = _form(aws, dev, rows, extra='{"a": 1}')
    assert not form.is_valid()
    assert form.errors["extra"] == ["Either edit the Extra keys or paste the whole Extra, not both."]


def test_the_whole_text_is_kept_exactly_as_typed(aws, dev):
    form = _form(aws, dev, WORKSPACE_ROWS, extra='{ "b":1,  "a" : "x" }')
    assert form.is_valid(), form.errors
    assert form.override_kwargs()["fields"] == {"extra": '{ "b":1,  "a" : "x" }'}


def test_a_post_without_rows_leaves_the_extra_alone(aws, dev, overridden):
    form = _form(aws, dev, None, override_extra="on", host="h")
    assert form.is_valid(), form.errors
    assert form.override_kwargs() == {"fields": {"host": "h"}, "clear": ()}
