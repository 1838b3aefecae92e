"""Read Airflow's own migration files and print the released 2.x/3.x alembic revisions as Python data.

Regenerate `envmanager/airflow_db/revisions.py` with the migration folders of released Airflow versions
(the 3.x folder starts at the 2.6.2 squash, so an older 2.x wheel supplies the revisions before it):

    pip download --no-deps apache-airflow==2.7.2 -d /tmp/af2 && unzip -q /tmp/af2/*.whl -d /tmp/af2/x
    python tests/airflow/airflow_revisions.py /tmp/af2/x/airflow/migrations/versions \\
        ~/.cache/envmanager/airflow-3.3.2-py3.12/lib/python3.12/site-packages/airflow/migrations/versions

Standard library only.
"""

import ast
import sys
from pathlib import Path


def migration_revisions(folder: Path) -> dict[str, str]:
    """Return {alembic revision: Airflow version} of every migration file in `folder` (all versions)."""
    revisions = {}
    for path in sorted(Path(folder).glob("*.py")):
        values = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id in ("revision", "airflow_version") and isinstance(node.value, ast.Constant):
                    values[node.targets[0].id] = node.value.value
        if "revision" in values and "airflow_version" in values:
            revisions[values["revision"]] = values["airflow_version"]
    return revisions


def released_2_and_3(revisions: dict[str, str]) -> dict[str, str]:
    return {rev: version for rev, version in revisions.items() if version.split(".")[0] in ("2", "3")}


def main(folders: list[str]) -> None:
    revisions: dict[str, str] = {}
    for folder in folders:
        revisions.update(released_2_and_3(migration_revisions(Path(folder))))
    print("AIRFLOW_REVISIONS = {")
    for rev, version in sorted(revisions.items(), key=lambda item: (tuple(int(p) for p in item[1].split(".")), item[0])):
        print(f'    "{rev}": "{version}",')
    print("}")


if __name__ == "__main__":
    main(sys.argv[1:])
