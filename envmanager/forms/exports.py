"""The choices an export download takes besides its format (the URL names the format)."""

from django import forms

from envmanager.selectors.exports import AIRFLOW_VERSIONS, ExportOptions


class ExportOptionsForm(forms.Form):
    airflow = forms.TypedChoiceField(
        label="Airflow version", choices=[(str(v), f"Airflow {v}") for v in AIRFLOW_VERSIONS], coerce=int,
        required=False, empty_value=3,
        help_text="Variables: the Airflow major version whose `airflow variables import` reads the file.",
    )
    include_airflow_objects = forms.BooleanField(
        label="With Airflow connections and variables", required=False,
        help_text="Kubernetes Secret: add AIRFLOW_CONN_<ID> and AIRFLOW_VAR_<KEY> entries, which Airflow reads.",
    )

    def options(self) -> ExportOptions:
        return ExportOptions(
            airflow_version=self.cleaned_data["airflow"],
            include_airflow_objects=self.cleaned_data["include_airflow_objects"],
        )
