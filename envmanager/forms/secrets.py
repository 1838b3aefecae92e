"""The forms-and-secrets toolkit shared by the pages, the admin and the commands.

A secret is write-only: its widget never renders a value (not the stored one, which forms never
receive, and not the one just submitted when a form comes back with errors), and wherever it is
shown it is only "set" or "not set". A service's ValidationError lands on the form the same way in
the pages and in the admin.
"""

from django import forms
from django.core.exceptions import ValidationError

SECRET_SET = "set"
SECRET_NOT_SET = "not set"


def secret_status(is_set: bool) -> str:
    """Return how a secret is shown everywhere: whether it has a value, never the value."""
    return SECRET_SET if is_set else SECRET_NOT_SET


class SecretInput(forms.PasswordInput):
    """A one-line write-only input."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False)


class SecretTextarea(forms.Textarea):
    """A multi-line write-only input."""

    def format_value(self, value):
        return None

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, {"autocomplete": "off", "spellcheck": "false", **(attrs or {})})


def secret_widget(*, rows: int = 0) -> forms.Widget:
    """Return the write-only widget: a textarea of `rows` rows, or one line when `rows` is 0."""
    return SecretTextarea(attrs={"rows": rows}) if rows else SecretInput()


def secret_help(*, is_set: bool, help_text: str = "") -> str:
    """Return the admin's help for a write-only input: its status, and that empty keeps the stored value."""
    text = f"Secret, currently {secret_status(is_set)}. Write-only: leave empty to keep the stored value."
    return f"{text} {help_text}" if help_text else text


def clear_field(label: str) -> forms.BooleanField:
    """Return the "clear the stored secret" checkbox of a secret input labelled `label`."""
    return forms.BooleanField(
        label=f"Clear {label[:1].lower()}{label[1:]}", required=False, help_text="Remove the stored value."
    )


def check_secret_or_clear(form: forms.Form, names, *, message: str) -> None:
    """Add an error where a form both gives a new secret value and asks to clear it.

    `message` may name the field as `{label}` (lower case).
    """
    for name in names:
        if form.cleaned_data.get(name) and form.cleaned_data.get(f"clear_{name}"):
            form.add_error(f"clear_{name}", message.format(label=form.fields[name].label.lower()))


def add_service_error(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)
