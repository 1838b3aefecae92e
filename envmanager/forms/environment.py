"""Forms for environment objects, their links and their overrides per Deployment or IDE project.

Fields come from `envmanager.kinds`, the one description of each type. The forms turn what was
posted into the arguments of a service; the services still validate everything and decide.
"""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError

from envmanager.forms.extra import UNCHANGED, ExtraRowsField, parse_stored, rows_and_text_error
from envmanager.forms.fields import IdMultipleChoiceField, KeyValueWidget, suggestions_id
from envmanager.forms.secrets import check_secret_or_clear
from envmanager.kinds import (
    KEY_MAX_LENGTH,
    KIND_SPECS,
    FieldSpec,
    Kind,
    clean_field_value,
    is_empty,
    key_error,
    value_notices,
    whitespace_notice,
)
from envmanager.models import EnvObject, Link


@dataclass(frozen=True)
class FieldRow:
    """One field as a form shows it: the input, and for a secret whether it is set and how to clear it."""

    field: forms.BoundField
    secret: bool = False
    is_set: bool = False
    clear: forms.BoundField | None = None
    spec: FieldSpec | None = None
    # Override form only.
    override: forms.BoundField | None = None
    key_rows: forms.BoundField | None = None  # a connection's Extra, key by key (forms/extra.py)
    overridden: bool = False
    workspace_value: object = None
    wide: bool = False  # takes the whole width of a two-column form
    notice: str = ""  # e.g. "This value starts with a space; it is kept as is."

    @property
    def used_when_values(self) -> str:
        """The values of `spec.used_when.field` that show this field (the page's script reads them)."""
        return " ".join(self.spec.used_when.values) if self.spec and self.spec.used_when else ""

    @property
    def datalist(self) -> str:
        return suggestions_id(self.spec) if self.spec and self.spec.suggestions else ""


def _is_wide(spec: FieldSpec, field: forms.Field) -> bool:
    return spec.wide or isinstance(field.widget, (forms.Textarea, KeyValueWidget))


def _is_empty(value) -> bool:
    return is_empty(value) or value == {} or value == []


def _shown_value_notice(bound: forms.BoundField, *, secret: bool) -> str:
    """Return the whitespace notice for the value a plain input shows (as posted, or as stored)."""
    if secret:
        return ""
    value = bound.data if bound.form.is_bound else bound.initial
    return whitespace_notice(value) or ""


class EnvObjectForm(forms.Form):
    """Create an object of one type, or edit one; the key is fixed once created."""

    def __init__(self, data=None, *, kind: Kind, env_object: EnvObject | None = None, workspace_scope: bool = True):
        super().__init__(data)
        self.kind = Kind(kind)
        self.spec = KIND_SPECS[self.kind]
        self.env_object = env_object
        stored_secret = env_object.is_secret if env_object else False
        posted_secret = bool(data and data.get("is_secret")) if self.spec.has_secret_flag else False
        # Mask the value as soon as either the stored object or the submitted form says it is secret.
        self.masked = stored_secret or posted_secret

        if env_object is None:
            # Not stripped: a key with a space around it is an error naming the rule, never trimmed.
            self.fields["key"] = forms.CharField(
                label=self.spec.key_label, max_length=KEY_MAX_LENGTH, strip=False,
                widget=forms.TextInput(attrs={"autofocus": True}),
            )
        for spec in self.spec.fields:
            secret = self.spec.is_secret(spec.name, is_secret_flag=self.masked)
            required = spec.required and not secret
            field = spec.formfield(secret=secret, required=required)
            if env_object is not None and not secret:
                field.initial = env_object.data.get(spec.name)
            if env_object is not None and secret and self._stored_is_set(spec.name):
                field.help_text = "Set. Leave empty to keep the stored value."
            if spec.key_rows:
                stored = env_object.reveal(spec.name) if self._stored_is_set(spec.name) else None
                self.fields[f"{spec.name}_rows"] = ExtraRowsField(stored=parse_stored(stored), label=f"{spec.label} keys")
                field.help_text = (
                    f"Or the whole {spec.label} as JSON text: replaces the keys above, kept exactly as typed."
                    " Keys Airflow treats as sensitive (password, token, api_key, …) are write-only above."
                )
            self.fields[spec.name] = field
            if env_object is not None and secret and self._stored_is_set(spec.name):
                self.fields[f"clear_{spec.name}"] = forms.BooleanField(
                    label=f"Clear the stored {spec.label.lower()}", required=False
                )
        if self.spec.has_secret_flag:
            self.fields["is_secret"] = forms.BooleanField(
                label="Secret", required=False, initial=stored_secret,
                help_text="Masked everywhere; the value can be replaced but never read back here.",
            )
        if env_object is None and workspace_scope:
            self.fields["linked_to_all"] = forms.BooleanField(
                label="Link to all Deployments", required=False,
                help_text="Every Deployment of the Workspace receives it, including ones created later.",
            )

    def _stored_is_set(self, name: str) -> bool:
        return self.env_object is not None and name in self.env_object.secrets

    def _is_secret(self, name: str) -> bool:
        return self.spec.is_secret(name, is_secret_flag=self.masked)

    @property
    def rows(self) -> list[FieldRow]:
        rows = []
        for spec in self.spec.fields:
            secret = self._is_secret(spec.name)
            clear_name = f"clear_{spec.name}"
            if spec.key_rows:
                rows.append(FieldRow(field=self[f"{spec.name}_rows"], wide=True))
            rows.append(
                FieldRow(
                    field=self[spec.name],
                    secret=secret,
                    is_set=secret and self._stored_is_set(spec.name),
                    clear=self[clear_name] if clear_name in self.fields else None,
                    spec=spec,
                    wide=_is_wide(spec, self.fields[spec.name]),
                    notice=_shown_value_notice(self[spec.name], secret=secret),
                )
            )
        return rows

    @property
    def flags(self) -> list[forms.BoundField]:
        """The object's checkboxes shown under its fields: secret, and linked to all Deployments."""
        return [self[name] for name in ("is_secret", "linked_to_all") if name in self.fields]

    @property
    def key_help(self) -> str:
        return self.spec.key_rule.description + "."

    def clean_key(self):
        key = self.cleaned_data["key"]
        if error := key_error(self.kind, key):
            raise ValidationError(error)
        return key

    def notices(self) -> list[str]:
        """Whitespace notices for the values saved (fields named, never values): shown with the result."""
        fields, _ = self._fields_and_clear()
        return value_notices(self.kind, fields)

    def clean(self):
        cleaned = super().clean()
        for spec in self.spec.fields:
            if spec.name not in cleaned or _is_empty(cleaned[spec.name]):
                continue
            try:
                clean_field_value(spec, cleaned[spec.name])
            except ValidationError as exc:
                for message in exc.message_dict.get(spec.name, exc.messages):
                    self.add_error(spec.name, message)
        for spec in self.spec.fields:
            edited = cleaned.get(f"{spec.name}_rows", UNCHANGED)
            if spec.key_rows and edited is not UNCHANGED and not _is_empty(cleaned.get(spec.name)):
                self.add_error(spec.name, rows_and_text_error(spec.label))
        secrets = [f.name for f in self.spec.fields if self._is_secret(f.name) and f"clear_{f.name}" in self.fields]
        check_secret_or_clear(self, secrets, message="Either enter a new {label} or clear it, not both.")
        return cleaned

    def _fields_and_clear(self) -> tuple[dict, tuple[str, ...]]:
        fields, clear = {}, []
        for spec in self.spec.fields:
            value = self.cleaned_data.get(spec.name)
            if self._is_secret(spec.name):
                edited = self.cleaned_data.get(f"{spec.name}_rows", UNCHANGED)
                if self.cleaned_data.get(f"clear_{spec.name}"):
                    clear.append(spec.name)
                elif not _is_empty(value):
                    fields[spec.name] = value
                elif edited is None:  # every key removed: no Extra
                    clear.append(spec.name)
                elif edited is not UNCHANGED:  # keys edited one by one
                    fields[spec.name] = edited
                # An empty secret keeps what is stored.
                continue
            fields[spec.name] = None if _is_empty(value) else value
        return fields, tuple(clear)

    def create_kwargs(self) -> dict:
        """Return the arguments of `env_object_create` (besides workspace, deployment and actor)."""
        fields, _ = self._fields_and_clear()
        kwargs = {"kind": self.kind, "key": self.cleaned_data["key"], "fields": fields}
        if self.spec.has_secret_flag:
            kwargs["is_secret"] = self.cleaned_data.get("is_secret", False)
        if "linked_to_all" in self.fields:
            kwargs["linked_to_all"] = self.cleaned_data.get("linked_to_all", False)
        return kwargs

    def update_kwargs(self) -> dict:
        """Return the arguments of `env_object_update` (besides env_object and actor)."""
        fields, clear = self._fields_and_clear()
        kwargs = {"fields": fields, "clear": clear}
        if self.spec.has_secret_flag:
            kwargs["is_secret"] = self.cleaned_data.get("is_secret", False)
        return kwargs


class OverrideForm(forms.Form):
    """Values for some fields of a linked Workspace object in one Deployment or IDE project.

    A field is overridden when its "Override" box is ticked or a value is typed for it; unticking
    an overridden field and leaving it empty removes that override. A connection's Extra is edited
    key by key, starting from what the target gets (its override, else the Workspace object's Extra);
    changing a key overrides the whole Extra, rows left as they were change nothing.
    """

    def __init__(self, data=None, *, env_object: EnvObject, link: Link | None, target_noun: str = "Deployment"):
        super().__init__(data)
        self.env_object = env_object
        self.link = link
        self.target_noun = target_noun
        self.kind = Kind(env_object.kind)
        self.spec = KIND_SPECS[self.kind]
        self.override_plain = dict(link.override_data) if link else {}
        self.override_sealed_names = set(link.override_secrets) if link else set()
        first = True
        for spec in self.spec.fields:
            secret = env_object.is_secret_field(spec.name)
            self.fields[f"override_{spec.name}"] = forms.BooleanField(
                label=f"Override {spec.label}", required=False, initial=self.is_overridden(spec.name)
            )
            field = spec.formfield(secret=secret, required=False)
            field.help_text = ""
            if not secret and spec.name in self.override_plain:
                field.initial = self.override_plain[spec.name]
            if first:
                field.widget.attrs["autofocus"] = True
                first = False
            if spec.key_rows:
                kept_from = f"this {target_noun}'s override" if self.is_overridden(spec.name) else "the Workspace object"
                self.fields[f"{spec.name}_rows"] = ExtraRowsField(
                    stored=parse_stored(self._received(spec.name)), kept_from=kept_from, label=f"{spec.label} keys"
                )
                field.help_text = "Replaces the keys above, kept exactly as typed."
            self.fields[spec.name] = field

    def is_overridden(self, name: str) -> bool:
        return name in self.override_plain or name in self.override_sealed_names

    def _received(self, name: str):
        """Return what the target gets for field `name`, decrypted: its override, else the Workspace object's value.

        Read only to fill the key rows; a write-only key's value is never rendered.
        """
        if name in self.override_plain:
            return self.override_plain[name]
        if name in self.override_sealed_names:
            return self.link.reveal_override(name)
        if self.env_object.is_secret_field(name):
            return self.env_object.reveal(name)
        return self.env_object.data.get(name)

    @property
    def rows(self) -> list[FieldRow]:
        rows = []
        for spec in self.spec.fields:
            secret = self.env_object.is_secret_field(spec.name)
            rows.append(
                FieldRow(
                    field=self[spec.name],
                    secret=secret,
                    is_set=secret and spec.name in self.override_sealed_names,
                    override=self[f"override_{spec.name}"],
                    overridden=self.is_overridden(spec.name),
                    # A secret shows only whether the Workspace object has one (True / False).
                    workspace_value=(
                        spec.name in self.env_object.secrets if secret else self.env_object.data.get(spec.name)
                    ),
                    key_rows=self[f"{spec.name}_rows"] if spec.key_rows else None,
                    spec=spec,
                    notice=_shown_value_notice(self[spec.name], secret=secret),
                )
            )
        return rows

    def _edited_value(self, spec: FieldSpec, value):
        """Return the value posted for `spec`: as typed, or for a key-rows field whose rows changed, the text they make."""
        edited = self.cleaned_data.get(f"{spec.name}_rows", UNCHANGED) if spec.key_rows else UNCHANGED
        if edited is UNCHANGED:
            return value
        if not _is_empty(value):
            raise ValidationError(rows_and_text_error(spec.label))
        # Every key removed: an Extra with no keys (an empty secret would keep the override instead).
        return "{}" if edited is None else edited

    def clean(self):
        cleaned = super().clean()
        self._fields, self._clear = {}, []
        for spec in self.spec.fields:
            if spec.name in self.errors or f"{spec.name}_rows" in self.errors:
                continue
            try:
                value = self._edited_value(spec, cleaned.get(spec.name))
            except ValidationError as exc:
                self.add_error(spec.name, exc)
                continue
            wanted = cleaned.get(f"override_{spec.name}") or not _is_empty(value)
            secret = self.env_object.is_secret_field(spec.name)
            if wanted and not _is_empty(value):
                try:
                    clean_field_value(spec, value)
                except ValidationError as exc:
                    for message in exc.message_dict.get(spec.name, exc.messages):
                        self.add_error(spec.name, message)
                    continue
                self._fields[spec.name] = value
            elif wanted and secret and spec.name in self.override_sealed_names:
                continue  # an empty secret keeps its override
            elif wanted and spec.key_rows:
                self.add_error(
                    spec.name, f"Change a key of the {spec.label} for this {self.target_noun}, or untick “Override”."
                )
            elif wanted:
                self.add_error(
                    spec.name, f"Enter the {spec.label.lower()} for this {self.target_noun}, or untick “Override”."
                )
            elif self.is_overridden(spec.name):
                self._clear.append(spec.name)
        if not self.errors and not self._fields and not self._clear:
            raise ValidationError("Nothing to change: tick “Override” next to a field and enter its value.")
        return cleaned

    def override_kwargs(self) -> dict:
        """Return the arguments of `link_set_override` (besides env_object, target and actor)."""
        return {"fields": dict(self._fields), "clear": tuple(self._clear)}

    def notices(self) -> list[str]:
        """Whitespace notices for the override values saved (fields named, never values)."""
        return value_notices(self.kind, self._fields)


class LinksForm(forms.Form):
    """Which Deployments and IDE projects receive a Workspace object."""

    MODE_SELECTED = "selected"
    MODE_ALL = "all"

    mode = forms.ChoiceField(
        label="Deployments",
        choices=[(MODE_SELECTED, "Selected Deployments"), (MODE_ALL, "All Deployments, present and future")],
        widget=forms.RadioSelect,
    )

    def __init__(self, data=None, *, deployments, ide_projects, initial=None):
        super().__init__(data, initial=initial)
        self.fields["deployments"] = IdMultipleChoiceField(
            queryset=deployments, required=False, widget=forms.CheckboxSelectMultiple, label="Linked Deployments"
        )
        self.fields["ide_projects"] = IdMultipleChoiceField(
            queryset=ide_projects, required=False, widget=forms.CheckboxSelectMultiple, label="Linked IDE projects"
        )
        self.fields["excluded"] = IdMultipleChoiceField(
            queryset=deployments, required=False, widget=forms.CheckboxSelectMultiple, label="Excluded Deployments"
        )
        # Set by the dialog's confirmation step: excluding a Deployment may drop its override.
        self.fields["drop_overrides"] = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def checked(self, name: str) -> set[str]:
        """Return the ids ticked in field `name`, as posted or as initially linked."""
        value = self[name].value() or []
        return {str(item) for item in value}

    def links_kwargs(self) -> dict:
        """Return the arguments of `env_object_links_set` (besides env_object and actor)."""
        return {
            "linked_to_all": self.cleaned_data["mode"] == self.MODE_ALL,
            "deployments": list(self.cleaned_data["deployments"]),
            "ide_projects": list(self.cleaned_data["ide_projects"]),
            "excluded": list(self.cleaned_data["excluded"]),
            "drop_overrides": self.cleaned_data["drop_overrides"],
        }
