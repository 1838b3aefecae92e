import os
import uuid

import psycopg
import pytest
from cryptography.fernet import Fernet

from envmanager.airflow_db.sample import create_sample_database
from envmanager.services.workspaces import deployment_update

AIRFLOW_FERNET_KEY = Fernet.generate_key().decode()
PG_SERVER = os.environ.get("ENVMANAGER_TEST_AIRFLOW_PG", "postgres://postgres@127.0.0.1:5432")


def _postgres_available() -> bool:
    try:
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


@pytest.fixture
def make_airflow_db(tmp_path):
    """Return a factory: make_airflow_db(engine="sqlite"|"postgresql", layout="2"|"3", keys=[...]) -> (url, db)."""
    made = []

    def make(engine="sqlite", layout="3", keys=None):
        keys = keys if keys is not None else [AIRFLOW_FERNET_KEY]
        if engine == "sqlite":
            url = f"sqlite:///{tmp_path}/airflow/airflow-{uuid.uuid4().hex[:8]}.db"
        else:
            if not _postgres_available():
                pytest.skip("PostgreSQL is not reachable for an Airflow metadata database")
            name = f"airflow_meta_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            made.append(name)
            url = f"{PG_SERVER.replace('postgres://', 'postgresql://')}/{name}"
        return url, create_sample_database(url, layout=layout, fernet_keys=keys)

    yield make
    for name in made:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    return request.param


@pytest.fixture
def airflow(make_airflow_db, engine):
    """An Airflow 3 metadata database (on each engine) with a few connections and variables."""
    url, db = make_airflow_db(engine=engine, layout="3")
    yield url, db
    db.close()


@pytest.fixture
def source_deployment(dev, airflow):
    """The dev Deployment pointed at the `airflow` metadata database."""
    url, _ = airflow
    return deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=AIRFLOW_FERNET_KEY)
