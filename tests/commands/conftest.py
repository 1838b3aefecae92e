import io
import json
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from envmanager.models import AuditEntry, Deployment, EnvObject, IdeProject, Link, Membership, Workspace

# A value no fixture or message contains by accident: if it shows up in output, a secret leaked.
MARKER = "s3cr3t-MARKER-7f2a9c"


@dataclass
class Output:
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


class TerminalInput(io.StringIO):
    """Standard input that claims to be a terminal, holding the user's typed answers."""

    def isatty(self):
        return True


@pytest.fixture
def run():
    """Call a command with captured stdout/stderr and (by default) an empty, non-terminal stdin."""

    def run(command, /, *args, stdin="", **options) -> Output:
        out, err = io.StringIO(), io.StringIO()
        stdin = io.StringIO(stdin) if isinstance(stdin, str) else stdin
        call_command(command, *args, stdout=out, stderr=err, stdin=stdin, **options)
        return Output(out.getvalue(), err.getvalue())

    return run


def audit_text() -> str:
    """Return every audit entry as one string, to search for leaked secrets."""
    return json.dumps(list(AuditEntry.objects.values("target_label", "changes")))


def db_state() -> dict:
    """Return every row the commands write, to prove a failed or dry run changed nothing."""
    models = (Workspace, Deployment, IdeProject, EnvObject, Link, AuditEntry, Membership, get_user_model(), Group)
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}
