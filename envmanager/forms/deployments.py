"""The Deployment settings form: name, execution mode, and the write-only metadata database secrets."""

from django import forms

from envmanager.forms.secrets import SecretInput
from envmanager.models import ExecutionMode


class DeploymentSettingsForm(forms.Form):
    name = forms.CharField(max_length=100)
    execution_mode = forms.ChoiceField(choices=ExecutionMode.choices)
    metadata_db_url = forms.CharField(
        label="Airflow metadata database URL", required=False, strip=True, widget=SecretInput(),
        help_text="postgresql://user:password@host:5432/airflow or sqlite:////path/airflow.db. Write-only: "
        "leave empty to keep the stored URL.",
    )
    clear_metadata_db_url = forms.BooleanField(label="Remove the stored URL", required=False)
    fernet_keys = forms.CharField(
        label="Airflow Fernet keys", required=False, strip=True, widget=SecretInput(),
        help_text="Airflow's [core] fernet_key, comma-separated, newest first. Write-only: leave empty to keep them.",
    )
    clear_fernet_keys = forms.BooleanField(label="Remove the stored keys", required=False)

    SECRET_FIELDS = ("metadata_db_url", "clear_metadata_db_url", "fernet_keys", "clear_fernet_keys")

    def __init__(self, data=None, *, initial=None, can_set_metadata_db: bool):
        super().__init__(data, initial=initial)
        self.can_set_metadata_db = can_set_metadata_db
        if not can_set_metadata_db:  # Owners only: the URL and keys reach into Airflow's own database
            for name in self.SECRET_FIELDS:
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        for name in ("metadata_db_url", "fernet_keys"):
            if cleaned.get(name) and cleaned.get(f"clear_{name}"):
                self.add_error(f"clear_{name}", "Enter a new value or remove the stored one, not both.")
        return cleaned

    def update_kwargs(self) -> dict:
        """Return the arguments of `deployment_update`; empty secrets keep what is stored (None)."""
        data = self.cleaned_data
        kwargs = {"name": data["name"], "execution_mode": data["execution_mode"]}
        if self.can_set_metadata_db:
            kwargs.update(
                metadata_db_url=data["metadata_db_url"] or None, fernet_keys=data["fernet_keys"] or None,
                clear_metadata_db_url=data["clear_metadata_db_url"], clear_fernet_keys=data["clear_fernet_keys"],
            )
        return kwargs


class DeploymentCreateForm(DeploymentSettingsForm):
    """A new Deployment: the settings form without the "remove the stored value" boxes (nothing is stored)."""

    SECRET_FIELDS = ("metadata_db_url", "fernet_keys")

    def __init__(self, data=None, *, initial=None, can_set_metadata_db: bool):
        super().__init__(data, initial=initial, can_set_metadata_db=can_set_metadata_db)
        for name in ("clear_metadata_db_url", "clear_fernet_keys"):
            self.fields.pop(name, None)
        if can_set_metadata_db:  # nothing is stored yet: "leave empty to keep" would mislead
            self.fields["metadata_db_url"].help_text = (
                "Optional. postgresql://user:password@host:5432/airflow or sqlite:////path/airflow.db. Write-only."
            )
            self.fields["fernet_keys"].help_text = "Optional. Airflow's [core] fernet_key, comma-separated, newest first."

    def create_kwargs(self) -> dict:
        """Return the arguments of `deployment_create`."""
        data = self.cleaned_data
        kwargs = {"name": data["name"], "execution_mode": data["execution_mode"]}
        if self.can_set_metadata_db:
            kwargs.update(metadata_db_url=data["metadata_db_url"], fernet_keys=data["fernet_keys"])
        return kwargs
