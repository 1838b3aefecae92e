"""Confirmations before an action that loses something or reveals secrets (unlink, remove an override,
revoke a token, export): a GET shows what is lost or revealed, the POST to the same URL does it.

One template, `confirm.html`, with a `confirm` partial the dialog shows (as `target_delete.html` does).
"""

from dataclasses import dataclass, field

from envmanager.kinds import KIND_SPECS
from envmanager.views.base import render_page, wants_fragment


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation says: "<verb> <subject><tail>?", what follows, and the button."""

    verb: str
    subject: str
    tail: str
    action_url: str
    back_url: str
    submit_label: str
    items: tuple[str, ...] = ()  # what is lost or revealed, one sentence each
    skipped: tuple[str, ...] = ()  # what the action leaves alone, and why (the bulk actions' ticked rows)
    lead: str = ""
    note: str = ""
    hidden: tuple[tuple[str, str], ...] = field(default=())  # form fields the POST repeats
    download: bool = False  # the POST answers a file: a plain form, not htmx
    hx_target: str = "this"  # what the POST's answer replaces in the dialog ("this": the form, emptying it)


def override_fields_lost(link, kind: str) -> tuple[str, ...]:
    """Name the fields a link overrides, secrets only as "(secret)": never a value."""
    if link is None:
        return ()
    spec = KIND_SPECS[kind]
    names = [name for name in spec.field_names if name in link.override_data or name in link.override_secrets]
    return tuple(
        f"{spec.field(name).label}" + (" (secret)" if name in link.override_secrets else "") for name in names
    )


# Appended to an htmx answer that replaces something outside the dialog: empties the dialog, which closes it.
CLOSE_DIALOG = b'<div id="modal-body" hx-swap-oob="innerHTML"></div>'


def render_confirmation(request, workspace, confirmation: Confirmation, *, error: str | None = None, status=200):
    context = {"workspace": workspace, "confirm": confirmation, "error": error, "dialog": wants_fragment(request)}
    return render_page(request, "envmanager/confirm.html", context, fragment="confirm", status=status)
