"""The list of released Airflow schema revisions envmanager accepts is Airflow's own."""

import pytest

from envmanager.airflow_db.revisions import AIRFLOW_REVISIONS
from envmanager.airflow_db.sample import ALEMBIC_REVISIONS
from tests.airflow.airflow_revisions import migration_revisions, released_2_and_3


@pytest.mark.airflow
def test_the_list_holds_every_revision_of_the_installed_airflow(airflow_venv_path):
    [folder] = airflow_venv_path.glob("lib/python*/site-packages/airflow/migrations/versions")
    installed = released_2_and_3(migration_revisions(folder))

    assert len(installed) > 100
    assert {rev: AIRFLOW_REVISIONS.get(rev) for rev in installed} == installed


def test_the_sample_databases_hold_released_revisions():
    assert {AIRFLOW_REVISIONS[rev][0] for rev in ALEMBIC_REVISIONS.values()} == {"2", "3"}
    assert all(version.split(".")[0] in ("2", "3") for version in AIRFLOW_REVISIONS.values())
