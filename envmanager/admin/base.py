"""Building blocks shared by the envmanager ModelAdmins.

Every admin write is a service call, so an admin change is validated and audited exactly like one
made in the UI. The call is made while the form validates (in `_post_clean`, where Django's own
UserCreationForm validates passwords) because only there can a ValidationError from the service
become a form error. The admin's add/change view runs inside one transaction, and the call runs in
a savepoint of its own, so a refused change leaves nothing behind.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy

SECRET_STATUS_SET = "set"
SECRET_STATUS_NOT_SET = "not set"


class WriteOnlyTextarea(forms.Textarea):
    """A textarea that never renders a value back, not even the one just submitted."""

    def format_value(self, value):
        return None


def secret_form_field(label: str, *, is_set: bool, multiline: bool = False, help_text: str = "") -> forms.CharField:
    """Return a write-only input: empty keeps the stored value, and nothing is ever rendered back."""
    if multiline:
        widget = WriteOnlyTextarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"})
    else:
        widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
    status = SECRET_STATUS_SET if is_set else SECRET_STATUS_NOT_SET
    text = f"Secret, currently {status}. Write-only: leave empty to keep the stored value."
    if help_text:
        text = f"{text} {help_text}"
    return forms.CharField(label=label, required=False, strip=False, widget=widget, help_text=text)


def clear_form_field(label: str) -> forms.BooleanField:
    return forms.BooleanField(
        label=f"Clear {label[:1].lower()}{label[1:]}", required=False, help_text="Remove the stored value."
    )


def check_secret_or_clear(form: forms.Form, names) -> None:
    """Add an error where a form both gives a new secret value and asks to clear it."""
    for name in names:
        if form.cleaned_data.get(name) and form.cleaned_data.get(f"clear_{name}"):
            form.add_error(f"clear_{name}", "Enter a new value or clear the stored one, not both.")


def add_service_error(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class ServiceModelForm(forms.ModelForm):
    """A ModelForm whose save is one service call; the service is the only validator of the data.

    Subclasses declare every field themselves (`Meta.fields = ()`), so no model value is copied or
    validated behind the service's back.
    """

    actor = None  # the requesting user, bound per request by ServiceModelAdmin.get_form
    secret_names: tuple[str, ...] = ()  # secret inputs that come with a "clear_<name>" checkbox

    def clean(self):
        cleaned = super().clean()
        check_secret_or_clear(self, [name for name in self.secret_names if f"clear_{name}" in self.fields])
        return cleaned

    def save_through_service(self):
        """Call the service; return the object it made or changed, or None when nothing changed."""
        raise NotImplementedError

    def notices(self) -> list[str]:
        """Say which saved values start or end with whitespace (kept as is); names fields, never values."""
        return []

    def _post_clean(self):
        # No model validation here on purpose: it would duplicate the service's rules with vaguer
        # messages (and the admin passes the model's field names, not ours).
        if self.errors:
            return
        try:
            with transaction.atomic():
                result = self.save_through_service()
        except ValidationError as exc:
            add_service_error(self, exc)
            return
        if result is not None:
            self.instance = result

    def save(self, commit=True):
        return self.instance


@admin.action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
def delete_selected(modeladmin, request, queryset):
    """Django's delete action, but all or nothing, with the service's refusal shown as a message."""
    try:
        with transaction.atomic():
            return django_delete_selected(modeladmin, request, queryset)
    except ValidationError as exc:
        modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
        return None


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose forms save through a service and whose deletions call a service.

    Subclasses implement `service_form(request, obj)` (return a ServiceModelForm class) and, when
    deletion is allowed, `delete_through_service(obj, actor)`.
    """

    actions = [delete_selected]

    def service_form(self, request, obj):
        raise NotImplementedError

    def delete_through_service(self, obj, actor) -> None:
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = self.service_form(request, obj)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        """Nothing to save: the form's service call already saved `obj`. Show the form's notices."""
        for notice in form.notices():
            self.message_user(request, notice, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        """Nothing to do: services save related rows themselves."""

    def delete_model(self, request, obj):
        self.delete_through_service(obj, request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_through_service(obj, request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            # Raised inside the view's transaction: the deletion and its log entry were rolled back.
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Viewable by staff with view permission; nobody adds, changes or deletes, superusers included."""

    actions = None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def secret_status(is_set: bool) -> str:
    return SECRET_STATUS_SET if is_set else SECRET_STATUS_NOT_SET
