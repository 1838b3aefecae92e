"""Make one Deployment see given values through a Workspace object: the override that does it.

Shared by Promote to Workspace and Migrate from Airflow, which both hand a Deployment's own values to an
existing Workspace object without changing what the Deployment sees.
"""

from envmanager import crypto
from envmanager.models import Deployment, EnvObject, Link
from envmanager.selectors.env_objects import differing_fields
from envmanager.services.versions import version_record


def override_for(existing: EnvObject, values: dict, names: list[str]) -> tuple[dict, dict]:
    """Return (plain, sealed) override columns that show `values[name]` for each of `names`."""
    plain, sealed = {}, {}
    for name in names:
        value = values.get(name)
        if existing.is_secret_field(name):
            # None is stored as an override "to empty": the Deployment had no value there.
            sealed[name] = None if value is None else crypto.seal_value(value)
        else:
            plain[name] = value
    return plain, sealed


def link_showing_values(
    *, env_object: EnvObject, deployment: Deployment, values: dict, actor, change: str
) -> tuple[Link, list[str]]:
    """Link `deployment` to the Workspace object with an override so that it sees exactly `values`.

    Replaces any earlier override or exclusion of that Deployment; running it twice changes nothing more.
    Records the override's version (`change`). Returns the link and the overridden field names.
    """
    names = differing_fields(env_object, values)
    plain, sealed = override_for(env_object, values, names)
    link, _ = Link.objects.update_or_create(
        env_object=env_object, deployment=deployment,
        defaults={"excluded": False, "override_data": plain, "override_secrets": sealed},
    )
    version_record(env_object=env_object, actor=actor, change=change, link=link)
    return link, names
