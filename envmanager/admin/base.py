"""Building blocks shared by the envmanager ModelAdmins.

Every admin write is a service call, so an admin change is validated and audited exactly like one
made in the UI. The call is made while the form validates (in `_post_clean`, where Django's own
UserCreationForm validates passwords) because only there can a ValidationError from the service
become a form error. The admin's add/change view runs inside one transaction, and the call runs in
a savepoint of its own, so a refused change leaves nothing behind.
"""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy

from envmanager.forms.secrets import add_service_error, check_secret_or_clear, secret_help, secret_widget

SECRET_OR_CLEAR = "Enter a new value or clear the stored one, not both."

def secret_form_field(label: str, *, is_set: bool, multiline: bool = False, help_text: str = "") -> forms.CharField:
    """Return a write-only input: empty keeps the stored value, and nothing is ever rendered back."""
    return forms.CharField(
        label=label, required=False, strip=False, widget=secret_widget(rows=3 if multiline else 0),
        help_text=secret_help(is_set=is_set, help_text=help_text),
    )


class ServiceModelForm(forms.ModelForm):
    """A ModelForm whose save is one service call; the service is the only validator of the data.

    Subclasses declare every field themselves (`Meta.fields = ()`), so no model value is copied or
    validated behind the service's back.
    """

    secret_names: tuple[str, ...] = ()  # secret inputs that come with a "clear_<name>" checkbox
    # A service that takes the form's fields as they are, by name, and `actor`: the default save.
    service = None

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor  # the requesting user, given per request by ServiceModelAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        names = [name for name in self.secret_names if f"clear_{name}" in self.fields]
        check_secret_or_clear(self, names, message=SECRET_OR_CLEAR)
        return cleaned

    def save_through_service(self):
        """Call the service; return the object it made or changed, or None when nothing changed."""
        return type(self).service(**self.cleaned_data, actor=self.actor)

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

    Subclasses implement `service_form(request, obj)` (return a ServiceModelForm class, declared
    once: no classes are built per request) and, when deletion is allowed, `delete_through_service(obj,
    actor)`. `get_form` binds the requesting user, and `service_form_kwargs` anything else the form
    needs (as Django's UserAdmin picks its add or change form in `get_form`).
    """

    actions = [delete_selected]

    def service_form(self, request, obj):
        raise NotImplementedError

    def delete_through_service(self, obj, actor) -> None:
        raise NotImplementedError

    def service_form_kwargs(self, request, obj) -> dict:
        return {}

    def get_form(self, request, obj=None, change=False, **kwargs):
        return partial(self.service_form(request, obj), actor=request.user, **self.service_form_kwargs(request, obj))

    def form_field_names(self, request, obj) -> list[str]:
        """Return the names of the inputs the form has for `obj` (its fields may depend on `obj`)."""
        return list(self.get_form(request, obj)(instance=obj).fields)

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


class CreateOnlyModelAdmin(ServiceModelAdmin):
    """Added through the service behind `add_form`; viewable, never changed or deleted, afterwards.

    For models with a create service and no update or delete service yet.
    """

    add_form: type[ServiceModelForm]

    def service_form(self, request, obj):
        return self.add_form

    def get_fields(self, request, obj=None):
        """The add form's inputs; viewing one adds the read-only fields (`created_at`, …) after them."""
        fields = list(self.add_form.base_fields)
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:  # view only: the plain ModelForm with every field read-only
            return admin.ModelAdmin.get_form(self, request, obj, change, **kwargs)
        return super().get_form(request, obj, change, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Viewable by staff with view permission; nobody adds, changes or deletes, superusers included."""

    actions = None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
