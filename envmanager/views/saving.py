"""The POST step the team administration pages share: validate the form, call one service, answer."""

from collections.abc import Callable

from django.core.exceptions import ValidationError

from envmanager.forms.secrets import add_service_error
from envmanager.views.base import action_done


def save_form(request, form, save: Callable, *, message: Callable[[object], str], redirect_to: Callable[[object], str]):
    """On a valid POST call `save(cleaned_data)` and answer with `action_done`; else return None.

    A service's ValidationError goes onto the form (None again: the caller renders the form with it).
    `message` and `redirect_to` get what `save` returned.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = save(form.cleaned_data)
    except ValidationError as exc:
        add_service_error(form, exc)
        return None
    return action_done(request, message(saved), redirect_to=redirect_to(saved))
