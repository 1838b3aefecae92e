"""Form fields and widgets for environment object values, secret ones included.

`spec_form_field` is the one builder of a form field from a `kinds.FieldSpec` (what
`FieldSpec.formfield()` returns), for the pages and the admin alike. Secret inputs use the
write-only widgets of `forms.secrets`.
"""

import json

from django import forms
from django.core.exceptions import ValidationError

from envmanager.forms.secrets import SecretTextarea, secret_widget
from envmanager.kinds import JSON_HELP, FieldSpec, bounds_error, whole_number_error

JSON_TYPES = ("json_object", "json_text")


class JSONObjectField(forms.CharField):
    """A JSON object typed as text; cleans to a dict (or, with `keep_text`, to the text as typed), None when empty."""

    widget = forms.Textarea

    def __init__(self, *, secret: bool = False, keep_text: bool = False, **kwargs):
        kwargs.setdefault("widget", SecretTextarea(attrs={"rows": 3}) if secret else forms.Textarea(attrs={"rows": 3}))
        kwargs.setdefault("strip", False)
        self.keep_text = keep_text
        super().__init__(**kwargs)

    def has_changed(self, initial, data):
        """Compare what the JSON says, not its spelling (the admin shows a stored object as indented text)."""
        try:
            new = self.to_python(data)
            old = json.loads(initial) if isinstance(initial, str) and not self.keep_text else initial
        except (ValidationError, json.JSONDecodeError):
            return True
        return (old or None) != (new or None)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, indent=2, sort_keys=True)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"{self.label} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).", code="json"
            ) from None
        if not isinstance(parsed, dict):
            raise ValidationError(
                f'{self.label} must be a JSON object, like {{"key": "value"}}.', code="json_object"
            )
        return value if self.keep_text else parsed


class KeyValueWidget(forms.Widget):
    """Rows of name/value inputs posted as `<name>_key` and `<name>_value` lists."""

    template_name = "envmanager/widgets/key_value.html"
    blank_rows = 1

    def __init__(self, *, secret: bool = False, key_label: str = "Name", value_label: str = "Value", attrs=None):
        super().__init__(attrs)
        self.secret = secret
        self.key_label = key_label
        self.value_label = value_label

    def value_from_datadict(self, data, files, name):
        keys = data.getlist(f"{name}_key") if hasattr(data, "getlist") else data.get(f"{name}_key", [])
        values = data.getlist(f"{name}_value") if hasattr(data, "getlist") else data.get(f"{name}_value", [])
        return list(zip(keys, values, strict=False))

    def value_omitted_from_data(self, data, files, name):
        return f"{name}_key" not in data

    def format_value(self, value):
        if self.secret or not value:
            return []
        if isinstance(value, dict):
            return [(str(key), "" if item is None else str(item)) for key, item in value.items()]
        return [(key, item) for key, item in value]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = self.format_value(value)
        blank = max(self.blank_rows, 2 - len(rows))
        context["widget"].update(
            rows=rows + [("", "")] * blank,
            secret=self.secret,
            key_label=self.key_label,
            value_label=self.value_label,
        )
        return context

    def id_for_label(self, id_):
        return f"{id_}_key_0" if id_ else id_


class KeyValueField(forms.Field):
    """Name/value rows that clean to a dict of strings, or None when every row is empty.

    Names and values are kept exactly as typed; a name with whitespace around it is an error (a
    header or label name with a stray space is a typo, and names are never trimmed).
    """

    def __init__(self, *, secret: bool = False, key_label: str = "Name", value_label: str = "Value", **kwargs):
        kwargs.setdefault("widget", KeyValueWidget(secret=secret, key_label=key_label, value_label=value_label))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, dict):
            return value or None
        result = {}
        for key, item in value or []:
            if key == "" and item == "":
                continue
            if not key.strip():
                raise ValidationError(f"{self.label}: every value needs a name.", code="key_missing")
            if key != key.strip():
                raise ValidationError(
                    f"{self.label}: the name '{key}' starts or ends with whitespace; remove it (names are not trimmed).",
                    code="key_whitespace",
                )
            if key in result:
                raise ValidationError(f"{self.label}: '{key}' is given twice.", code="key_duplicate")
            result[key] = item
        return result or None

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial, data):
        return self.to_python(data) != (initial or None)


def _choices(spec: FieldSpec, *, required: bool) -> list[tuple[str, str]]:
    choices = [(value, value.replace("_", " ")) for value in spec.choices]
    return choices if required else [("", "—"), *choices]


def suggestions_id(spec: FieldSpec) -> str:
    """Return the id of the <datalist> offering a field's suggestions."""
    return f"{spec.name.replace('_', '-')}-choices"


def spec_form_field(spec: FieldSpec, *, secret: bool, required: bool, key_value_rows: bool = True) -> forms.Field:
    """Return the form field for one field of a type; a secret one never renders a value.

    Text inputs never strip (`strip=False`): a value is stored exactly as typed. `key_value_rows`
    False enters name/value fields as JSON text (the admin, which has no script to add rows).
    """
    common = {"label": spec.label, "required": required, "help_text": spec.help_text}
    if spec.key_value_labels and key_value_rows:
        key_label, value_label = spec.key_value_labels
        return KeyValueField(secret=secret, key_label=key_label, value_label=value_label, **common)
    if spec.type in JSON_TYPES:
        common["help_text"] = spec.help_text or JSON_HELP
        return JSONObjectField(secret=secret, keep_text=spec.type == "json_text", **common)
    if spec.type == "int":
        # The kinds' own messages, so pages, admin and commands word an error alike.
        bounds = bounds_error(spec)
        return forms.IntegerField(
            min_value=spec.min_value, max_value=spec.max_value,
            error_messages={"invalid": whole_number_error(spec), "min_value": bounds, "max_value": bounds}, **common,
        )
    if spec.choices:
        return forms.ChoiceField(choices=_choices(spec, required=required), **common)
    if secret:
        return forms.CharField(widget=secret_widget(rows=spec.rows), strip=False, **common)
    if spec.rows:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": spec.rows}), strip=False, **common)
    if spec.type == "url":
        return forms.CharField(widget=forms.URLInput(attrs={"placeholder": "https://"}), strip=False, **common)
    if spec.suggestions:
        attrs = {"list": suggestions_id(spec), "autocomplete": "off"}
        return forms.CharField(widget=forms.TextInput(attrs=attrs), strip=False, **common)
    return forms.CharField(strip=False, **common)


# The range of a database id (a signed 64-bit integer); nothing outside it can name a row.
ID_MIN, ID_MAX = -(2**63), 2**63 - 1


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows by id where an id outside the database's range is an invalid choice.

    Django would pass it to the database, where SQLite raises OverflowError (an HTTP 500).
    """

    def _check_values(self, value):
        for pk in value or ():
            try:
                in_range = ID_MIN <= int(str(pk)) <= ID_MAX
            except ValueError:
                in_range = True  # not a number: Django's own check names it
            if not in_range:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk})
        return super()._check_values(value)
