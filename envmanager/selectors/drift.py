"""The drift report of a Deployment: its envmanager environment against its own Airflow metadata database.

Airflow asks its secrets backend (envmanager) before the metastore, so a key both hold is served from
envmanager and the metastore's copy is shadowed: harmless when the values are the same, a trap when they
differ (the day the backend is switched off, the other value comes back). A key only in the metastore is a
candidate to migrate. Values are compared field by field, secrets too; only field names are ever shown.
"""

from dataclasses import dataclass, field

from envmanager.airflow_db.objects import read_airflow_objects
from envmanager.kinds import KIND_SPECS
from envmanager.models import Deployment
from envmanager.selectors.environment import deployment_effective_environment
from envmanager.selectors.migration import MIGRATABLE_KINDS, open_deployment_database


class DriftStatus:
    SAME = "same"
    DIFFERS = "differs"
    UNREADABLE = "cannot compare"  # the metastore row cannot be read (undecryptable, team-scoped, ...)


@dataclass
class DriftItem:
    kind: str
    key: str
    status: str = ""  # shadowed keys: a DriftStatus
    fields: list[str] = field(default_factory=list)  # shadowed keys that differ: the fields that do
    reason: str = ""  # why a row cannot be compared or migrated

    @property
    def noun(self) -> str:
        return KIND_SPECS[self.kind].noun

    def as_dict(self) -> dict:
        data = {"type": str(self.kind), "key": self.key}
        if self.status:
            data.update(status=self.status, fields=self.fields)
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass
class DriftReport:
    deployment: Deployment
    shadowed: list[DriftItem] = field(default_factory=list)
    only_in_metastore: list[DriftItem] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for item in self.shadowed if item.status == status)

    def as_dict(self) -> dict:
        return {
            "deployment": self.deployment.name,
            "shadowed": [item.as_dict() for item in self.shadowed],
            "only_in_metastore": [item.as_dict() for item in self.only_in_metastore],
        }


def _compare(source, entry) -> DriftItem:
    item = DriftItem(source.kind, source.key)
    if source.problem:
        item.status, item.reason = DriftStatus.UNREADABLE, source.problem
        return item
    served = entry.reveal()
    item.fields = [name for name in KIND_SPECS[source.kind].field_names if source.fields.get(name) != served.get(name)]
    item.status = DriftStatus.DIFFERS if item.fields else DriftStatus.SAME
    return item


def drift_report(*, deployment: Deployment) -> DriftReport:
    """Read the Deployment's metadata database and effective environment; return what drifts.

    Raises MigrationNotPossible or MetadataDatabaseError (with a message fit to show) when the database
    cannot be read.
    """
    with open_deployment_database(deployment, read_only=True) as database:
        sources = [
            source for kind in MIGRATABLE_KINDS
            for source in read_airflow_objects(database, kind, deployment.reveal_fernet_keys())[1]
        ]
    effective = {
        (entry.kind, entry.key): entry
        for entry in deployment_effective_environment(deployment=deployment, kinds=MIGRATABLE_KINDS)
    }
    report = DriftReport(deployment)
    for source in sources:
        if (entry := effective.get((source.kind, source.key))) is not None:
            report.shadowed.append(_compare(source, entry))
        else:
            report.only_in_metastore.append(DriftItem(source.kind, source.key, reason=source.problem or ""))
    return report
