"""A connection's `extra` is kept as the JSON text Airflow stores, no longer as a parsed object.

Re-seals each stored `extra` that is still an object as its JSON text (`json.dumps`, the text the
secrets backend used to send Airflow for it), on objects and on link overrides. A token that no key
opens is left as it is: it could not be read before either.
"""

import json

from django.db import migrations


def _as_text(sealed: dict) -> bool:
    from envmanager import crypto

    token = sealed.get("extra")
    if token is None:
        return False
    try:
        value = crypto.unseal_value(token)
    except crypto.SecretDecryptionError:
        return False
    if isinstance(value, str):
        return False
    sealed["extra"] = crypto.seal_value(json.dumps(value))
    return True


def extra_as_text(apps, schema_editor):
    EnvObject = apps.get_model("envmanager", "EnvObject")
    Link = apps.get_model("envmanager", "Link")
    for env_object in EnvObject.objects.filter(kind="connection").iterator():
        if _as_text(env_object.secrets):
            EnvObject.objects.filter(pk=env_object.pk).update(secrets=env_object.secrets)
    for link in Link.objects.filter(env_object__kind="connection").iterator():
        if _as_text(link.override_secrets):
            Link.objects.filter(pk=link.pk).update(override_secrets=link.override_secrets)


class Migration(migrations.Migration):
    dependencies = [("envmanager", "0007_key_rules_follow_airflow")]

    # Backwards: the text stays valid (the earlier code reads a string extra too).
    operations = [migrations.RunPython(extra_as_text, migrations.RunPython.noop)]
