import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from envmanager.models import ApiToken, AuditEntry
from envmanager.services import tokens as token_services
from envmanager.targets import Target


def test_created_token_is_stored_only_as_a_hash(dev, owner):
    issued = token_services.api_token_create(actor=owner, name="airflow-dev", target=dev)

    row = ApiToken.objects.get(pk=issued.api_token.pk)
    assert issued.plain.startswith("emt_") and len(issued.plain) == token_services.TOKEN_LENGTH
    assert row.token_hash == token_services.token_hash(issued.plain)
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert issued.plain not in stored
    assert issued.plain[len(row.prefix):] not in stored  # beyond the shown prefix, nothing of it
    assert (row.deployment, row.workspace, row.created_by, row.revoked_at) == (dev, dev.workspace, owner, None)
    assert issued.plain not in repr(issued) and issued.plain not in repr(row)


def test_two_tokens_differ(dev):
    a = token_services.api_token_create(actor=None, name="a", target=dev)
    b = token_services.api_token_create(actor=None, name="b", target=dev)

    assert a.plain != b.plain
    assert a.api_token.token_hash != b.api_token.token_hash


def test_creation_and_revocation_are_audited_without_the_token(dev, owner):
    issued = token_services.api_token_create(actor=owner, name="airflow-dev", target=dev)
    token_services.api_token_revoke(api_token=issued.api_token, actor=owner)

    entries = AuditEntry.objects.filter(target_type="api_token").order_by("id")
    assert [(e.action, e.actor, e.target_id, e.workspace) for e in entries] == [
        ("api_token.create", owner, issued.api_token.pk, dev.workspace),
        ("api_token.revoke", owner, issued.api_token.pk, dev.workspace),
    ]
    assert entries[0].target_label == "API token 'airflow-dev' (Deployment 'dev')"
    text = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert issued.plain not in text
    assert issued.api_token.token_hash not in text
    assert issued.api_token.prefix not in text


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_bad_names_are_refused_and_nothing_is_created(dev, name):
    with pytest.raises(ValidationError):
        token_services.api_token_create(actor=None, name=name, target=dev)

    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.filter(target_type="api_token").exists()


def test_an_active_name_is_unique_per_target_but_reusable_after_revocation(dev, prod):
    first = token_services.api_token_create(actor=None, name="airflow", target=dev)
    token_services.api_token_create(actor=None, name="airflow", target=prod)  # another target: fine

    with pytest.raises(ValidationError, match="already has an active API token named 'airflow'"):
        token_services.api_token_create(actor=None, name="airflow", target=dev)

    token_services.api_token_revoke(api_token=first.api_token, actor=None)
    again = token_services.api_token_create(actor=None, name="airflow", target=dev)
    assert again.api_token.pk != first.api_token.pk


def test_the_database_refuses_a_token_with_two_or_no_targets(dev, workspace):
    from tests.factories import IdeProjectFactory

    project = IdeProjectFactory(workspace=workspace)
    for targets in ({"deployment": dev, "ide_project": project}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ApiToken.objects.create(workspace=workspace, name="x", prefix="emt_x", token_hash=f"h{len(targets)}", **targets)


def test_exactly_one_target_is_required(dev, workspace):
    from tests.factories import IdeProjectFactory

    with pytest.raises(ValidationError, match="exactly one"):
        token_services.api_token_create(actor=None, name="x")
    with pytest.raises(ValidationError, match="exactly one"):
        token_services.api_token_create(
            actor=None, name="x", target=Target(deployment=dev, ide_project=IdeProjectFactory(workspace=workspace))
        )


def test_revoking_twice_is_an_error_and_records_once(dev):
    issued = token_services.api_token_create(actor=None, name="x", target=dev)
    token_services.api_token_revoke(api_token=issued.api_token, actor=None)

    with pytest.raises(ValidationError, match="already revoked"):
        token_services.api_token_revoke(api_token=issued.api_token, actor=None)
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1


def test_authenticate_finds_active_tokens_only(dev):
    issued = token_services.api_token_create(actor=None, name="x", target=dev)

    assert token_services.api_token_authenticate(plain=issued.plain).pk == issued.api_token.pk
    assert token_services.api_token_authenticate(plain=issued.plain.upper()) is None
    token_services.api_token_revoke(api_token=issued.api_token, actor=None)
    assert token_services.api_token_authenticate(plain=issued.plain) is None


def test_tokens_go_away_with_their_deployment(dev):
    token_services.api_token_create(actor=None, name="x", target=dev)
    dev.delete()

    assert not ApiToken.objects.exists()
