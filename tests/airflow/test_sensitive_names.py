"""The names envmanager treats as sensitive are Airflow's secrets masker's, and its test is the same."""

import subprocess

import pytest

from envmanager.sensitive_names import SENSITIVE_NAMES, is_sensitive_name
from tests.airflow.airflow_venv import venv_bin

NAMES = ["password", "Extra-API-Key", "aws secret access key", "region_name", "keyfile_dict", "host", "tokenizer",
         "  Bearer ", "sslmode", "webhook_url", "proxy"]

SCRIPT = """
import json, sys
from airflow._shared.secrets_masker.secrets_masker import DEFAULT_SENSITIVE_FIELDS, SecretsMasker
masker = SecretsMasker()
masker.sensitive_variables_fields = list(DEFAULT_SENSITIVE_FIELDS)
masker.hide_sensitive_var_conn_fields = True
names = json.loads(sys.argv[1])
print(json.dumps([sorted(DEFAULT_SENSITIVE_FIELDS), [masker.should_hide_value_for_key(n) for n in names]]))
"""


@pytest.mark.airflow
def test_the_names_and_the_test_are_airflows(airflow_venv_path):
    import json

    out = subprocess.run(
        [str(venv_bin(airflow_venv_path, "python")), "-c", SCRIPT, json.dumps(NAMES)],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    names, hidden = json.loads(out.strip().splitlines()[-1])
    assert sorted(SENSITIVE_NAMES) == names
    assert [is_sensitive_name(name) for name in NAMES] == hidden
