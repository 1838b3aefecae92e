"""A target: the one Deployment or IDE project that links, overrides, API tokens and exports point at.

What used to travel as a pair of optional arguments (`deployment=None, ide_project=None`) with a
copy of the "exactly one of them" check and of the label at every stop, as Zulip's
`zerver/lib/addressee.py` replaced its pairs of recipient arguments. Services and selectors take
`target=` (a Target, or the Deployment or IDE project itself) and call `Target.of` once.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse

from envmanager.models import AuditEntry, Deployment, IdeProject

EXACTLY_ONE = "Name exactly one Deployment or one IDE project."


@dataclass(frozen=True, slots=True)
class TargetKind:
    """Deployments or IDE projects as a kind: what their pages call them and where their list is.

    The list pages have no target at hand, only its kind; a Target answers the same questions
    through `Target.kind`.
    """

    type: str  # AuditEntry.TargetType
    noun: str
    plural: str
    # URL names come in pairs, "deployment-<page>" and "ide-project-<page>", with the same arguments.
    url_prefix: str

    @property
    def is_deployment(self) -> bool:
        return self.type == AuditEntry.TargetType.DEPLOYMENT

    def label(self, name: str) -> str:
        """How messages and audit entries name one of them: "Deployment 'prod'", "IDE project 'notebooks'"."""
        return f"{self.noun} '{name}'"

    @property
    def list_url_name(self) -> str:
        """The list page's URL name; it takes the Workspace only: `{% url target.kind.list_url_name workspace.pk %}`."""
        return f"envmanager:{self.url_prefix}-list"


DEPLOYMENTS = TargetKind(AuditEntry.TargetType.DEPLOYMENT, "Deployment", "Deployments", "deployment")
IDE_PROJECTS = TargetKind(AuditEntry.TargetType.IDE_PROJECT, "IDE project", "IDE projects", "ide-project")


@dataclass(frozen=True, slots=True)
class Target:
    """Exactly one of `deployment` and `ide_project`."""

    deployment: Deployment | None = None
    ide_project: IdeProject | None = None

    def __post_init__(self):
        if (self.deployment is None) == (self.ide_project is None):
            raise ValidationError(EXACTLY_ONE)

    @classmethod
    def of(cls, target: "Target | Deployment | IdeProject | None") -> "Target":
        """Return `target` as a Target; a Deployment or IDE project is wrapped, anything else refused."""
        if isinstance(target, Target):
            return target
        if isinstance(target, Deployment):
            return cls(deployment=target)
        if isinstance(target, IdeProject):
            return cls(ide_project=target)
        raise ValidationError(EXACTLY_ONE)

    @classmethod
    def of_pair(cls, *, deployment: Deployment | None, ide_project: IdeProject | None) -> "Target":
        """Return the target of a form or row that names it by two optional fields; exactly one must be set."""
        return cls(deployment=deployment, ide_project=ide_project)

    @classmethod
    def of_row(cls, row) -> "Target":
        """Return the target a row with `deployment` / `ide_project` foreign keys points at (a link, a token)."""
        return cls.of(row.deployment if row.deployment_id is not None else row.ide_project)

    @property
    def is_deployment(self) -> bool:
        return self.deployment is not None

    @property
    def instance(self) -> Deployment | IdeProject:
        return self.deployment if self.deployment is not None else self.ide_project

    @property
    def pk(self) -> int:
        return self.instance.pk

    @property
    def name(self) -> str:
        return self.instance.name

    @property
    def workspace_id(self) -> int:
        return self.instance.workspace_id

    @property
    def workspace(self):
        return self.instance.workspace

    @property
    def kind(self) -> TargetKind:
        return DEPLOYMENTS if self.is_deployment else IDE_PROJECTS

    @property
    def noun(self) -> str:
        return self.kind.noun

    @property
    def label(self) -> str:
        """How messages and audit entries name it: "Deployment 'prod'", "IDE project 'notebooks'"."""
        return self.kind.label(self.name)

    @property
    def audit_type(self) -> str:
        return self.kind.type

    @property
    def row_filter(self) -> dict:
        """The lookup naming it on a row with the two foreign keys: `Link.objects.filter(**target.row_filter)`."""
        return {"deployment": self.deployment} if self.is_deployment else {"ide_project": self.ide_project}

    @property
    def link_condition(self) -> Q:
        """Its own link row, from an EnvObject query (`selectors.environment.with_target_link`)."""
        if self.is_deployment:
            return Q(links__deployment_id=self.deployment.pk)
        return Q(links__ide_project_id=self.ide_project.pk)

    @property
    def url_prefix(self) -> str:
        return self.kind.url_prefix

    def url_name(self, page: str) -> str:
        return f"envmanager:{self.url_prefix}-{page}"

    def url(self, page: str, *more) -> str:
        """Return the URL of one of its pages, e.g. `target.url("tokens")` or `target.url("export", "dotenv")`."""
        return reverse(self.url_name(page), args=[self.workspace_id, self.pk, *more])
