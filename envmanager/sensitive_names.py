"""The names Airflow treats as sensitive: a variable key or a connection Extra key containing one of them
has its value masked in Airflow's logs and UI.

Copied from Airflow's secrets masker, `DEFAULT_SENSITIVE_FIELDS` (apache-airflow-core 3.3.2,
`airflow/_shared/secrets_masker/secrets_masker.py`; a superset of 2.10's in
`airflow/utils/log/secrets_masker.py`), with its test `should_hide_value_for_key`: the name, stripped and
lower-cased, with every run of non-word characters made `_`, contains one of them. Airflow's
`[core] sensitive_var_conn_names` adds names per installation; envmanager uses the defaults.
`tests/airflow/test_sensitive_names.py` holds this list equal to the installed Airflow's.
"""

import re

SENSITIVE_NAMES = frozenset(
    {
        "access_key", "access_token", "api_key", "apikey", "auth_header", "authorization", "bearer",
        "connection_string", "dsn", "passphrase", "passwd", "password", "private_key", "proxy",
        "proxy_password", "proxies", "secret", "service_account", "service_key", "token", "keyfile_dict",
        "webhook_url",
    }
)


def is_sensitive_name(name: str) -> bool:
    """Return whether Airflow hides the value of `name` (a variable key, a connection Extra key)."""
    normalized = re.sub(r"\W+", "_", name.strip().lower())
    return any(sensitive in normalized for sensitive in SENSITIVE_NAMES)
