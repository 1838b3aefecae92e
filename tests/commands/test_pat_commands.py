"""pat_create / pat_revoke: the token alone on the last line, hashed at rest, revocation confirmed."""

import pytest
from django.core.management.base import CommandError

from envmanager.models import PersonalAccessToken
from envmanager.services import personal_tokens as pat_services
from tests.commands.conftest import TerminalInput, db_state

pytestmark = pytest.mark.django_db


def test_pat_create_prints_the_token_alone_on_its_last_line(run, owner):
    out = run("pat_create", "--username", "owner", "--name", "ci", "--expires-days", "7").out
    plain = out.strip().splitlines()[-1]

    assert pat_services.PAT_SHAPE.fullmatch(plain)
    token = PersonalAccessToken.objects.get()
    assert pat_services.personal_token_authenticate(plain=plain) == token
    assert (token.expires_at - token.created_at).days == 6 or (token.expires_at - token.created_at).days == 7


@pytest.mark.parametrize("args, message", [
    (["--username", "nobody", "--name", "ci"], "No user named 'nobody'"),
    (["--username", "owner", "--name", "  "], "needs a name"),
    (["--username", "owner", "--name", "ci", "--expires-days", "0"], "1 to 366 days"),
])
def test_pat_create_refuses_bad_input_and_changes_nothing(run, owner, args, message):
    before = db_state()
    with pytest.raises(CommandError, match=message):
        run("pat_create", *args)
    assert db_state() == before and not PersonalAccessToken.objects.exists()


def test_pat_create_dry_run_creates_nothing(run, owner):
    out = run("pat_create", "--username", "owner", "--name", "ci", "--dry-run").out
    assert "Dry run: nothing changed." in out and "emp_" not in out
    assert not PersonalAccessToken.objects.exists()


def test_pat_revoke_asks_and_revokes(run, owner):
    issued = pat_services.personal_token_create(user=owner, name="ci")
    with pytest.raises(CommandError, match="Refusing without confirmation"):
        run("pat_revoke", "--username", "owner", "--name", "ci")
    with pytest.raises(CommandError, match="Cancelled"):
        run("pat_revoke", "--username", "owner", "--name", "ci", stdin=TerminalInput("no\n"))
    assert pat_services.personal_token_authenticate(plain=issued.plain) is not None

    out = run("pat_revoke", "--username", "owner", "--name", "ci", "--yes").out
    assert "Revoked the personal access token 'ci'" in out
    assert pat_services.personal_token_authenticate(plain=issued.plain) is None
    with pytest.raises(CommandError, match="no active personal access token named 'ci'"):
        run("pat_revoke", "--username", "owner", "--name", "ci", "--yes")
