"""Form fields and widgets for environment object values, secret ones included.

A secret widget never renders a value: not the stored one (forms never receive it) and not the
one just submitted when the form comes back with errors.
"""

import json

from django import forms
from django.core.exceptions import ValidationError


class SecretInput(forms.PasswordInput):
    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False)


class SecretTextarea(forms.Textarea):
    def format_value(self, value):
        return None

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, {"autocomplete": "off", "spellcheck": "false", **(attrs or {})})


class JSONObjectField(forms.CharField):
    """A JSON object typed as text; cleans to a dict (or, with `keep_text`, to the text as typed), None when empty."""

    widget = forms.Textarea

    def __init__(self, *, secret: bool = False, keep_text: bool = False, **kwargs):
        kwargs.setdefault("widget", SecretTextarea(attrs={"rows": 3}) if secret else forms.Textarea(attrs={"rows": 3}))
        kwargs.setdefault("strip", False)
        self.keep_text = keep_text
        super().__init__(**kwargs)

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
