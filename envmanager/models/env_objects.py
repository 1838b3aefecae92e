from django.db import models
from django.db.models import BooleanField, Case, Q, Value, When

from envmanager import crypto
from envmanager.kinds import KEY_MAX_LENGTH, KIND_SPECS, Kind, KindSpec
from envmanager.models.target_fields import exactly_one_target

KINDS_WITH_SECRET_FLAG = [kind for kind, spec in KIND_SPECS.items() if spec.has_secret_flag]


def _key_is_valid() -> Q:
    """The per-type key rule (`kinds.KeyRule.pattern`), as a condition the database checks on every write.

    The patterns spell Unicode word characters out as code point ranges, so SQLite (Python's `re`)
    and PostgreSQL (whatever its locale) accept exactly the keys `kinds.key_error` accepts.
    """
    condition = Q()
    for kind, spec in KIND_SPECS.items():
        condition |= Q(kind=kind, key__regex=spec.key_rule.pattern)
    return condition


class EnvObject(models.Model):
    """One Airflow connection, Airflow variable, environment variable or metrics export.

    Workspace-scoped when `deployment` is null, else Deployment-scoped. Plain field values live in
    `data`; secret ones in `secrets` as one Fernet token per field, so "is it set?" needs no key.
    One spelling for the pair: the columns are `data`/`secrets` (a Link's `override_data`/
    `override_secrets`); Python code holding their contents calls them `plain`/`sealed`.
    """

    workspace = models.ForeignKey("envmanager.Workspace", on_delete=models.CASCADE, related_name="env_objects")
    deployment = models.ForeignKey(
        "envmanager.Deployment", null=True, blank=True, on_delete=models.CASCADE, related_name="env_objects"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    is_secret = models.BooleanField(default=False, help_text="Variables and environment variables only.")
    linked_to_all = models.BooleanField(
        default=False, help_text="Linked to every Deployment of the Workspace, present and future."
    )
    data = models.JSONField(default=dict, blank=True)
    secrets = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "key"]
        verbose_name = "environment object"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "key"],
                condition=Q(deployment__isnull=True),
                name="envobject_unique_workspace_key",
            ),
            models.UniqueConstraint(
                fields=["deployment", "kind", "key"],
                condition=Q(deployment__isnull=False),
                name="envobject_unique_deployment_key",
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="envobject_kind_valid"),
            models.CheckConstraint(condition=_key_is_valid(), name="envobject_key_valid"),
            models.CheckConstraint(
                condition=Q(is_secret=False) | Q(kind__in=KINDS_WITH_SECRET_FLAG),
                name="envobject_secret_flag_only_on_values",
            ),
            models.CheckConstraint(
                condition=Q(linked_to_all=False) | Q(deployment__isnull=True),
                name="envobject_link_all_only_workspace_scope",
            ),
        ]

    def __str__(self):
        return f"{self.kind}:{self.key}"

    def __repr__(self):
        return f"<EnvObject {self.pk} {self.kind}:{self.key}>"

    @property
    def spec(self) -> KindSpec:
        return KIND_SPECS[Kind(self.kind)]

    @property
    def is_workspace_scoped(self) -> bool:
        return self.deployment_id is None

    def is_secret_field(self, name: str) -> bool:
        return self.spec.is_secret(name, is_secret_flag=self.is_secret)

    def reveal(self, name: str):
        """Return the decrypted value of secret field `name` (API, export and secrets backend only)."""
        token = self.secrets.get(name)
        return None if token is None else crypto.unseal_value(token)


# A link without an override: both override columns empty. The one statement of it, for the
# exclusion constraint and for `Link.has_override_expression`.
LINK_HAS_NO_OVERRIDE = Q(override_data={}) & Q(override_secrets={})


class Link(models.Model):
    """Makes a Workspace object available to one Deployment or IDE project, with optional overrides.

    For an object linked to all Deployments, a row with `excluded=True` removes one Deployment; a
    row with `excluded=False` there only carries that Deployment's overrides.
    """

    env_object = models.ForeignKey(EnvObject, on_delete=models.CASCADE, related_name="links")
    deployment = models.ForeignKey(
        "envmanager.Deployment", null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    ide_project = models.ForeignKey(
        "envmanager.IdeProject", null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    excluded = models.BooleanField(default=False)
    override_data = models.JSONField(default=dict, blank=True)
    override_secrets = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["env_object_id", "id"]
        constraints = [
            exactly_one_target("link_exactly_one_target"),
            models.UniqueConstraint(
                fields=["env_object", "deployment"],
                condition=Q(deployment__isnull=False),
                name="link_unique_object_deployment",
            ),
            models.UniqueConstraint(
                fields=["env_object", "ide_project"],
                condition=Q(ide_project__isnull=False),
                name="link_unique_object_ide_project",
            ),
            models.CheckConstraint(
                condition=Q(excluded=False) | Q(deployment__isnull=False), name="link_exclusion_only_for_deployments"
            ),
            models.CheckConstraint(
                condition=Q(excluded=False) | LINK_HAS_NO_OVERRIDE,
                name="link_exclusion_has_no_override",
            ),
        ]
        indexes = [models.Index(fields=["deployment", "env_object"], name="link_deployment_object")]

    def __str__(self):
        target = self.deployment if self.deployment_id else self.ide_project
        return f"{self.env_object} -> {target}"

    @property
    def has_override(self) -> bool:
        return bool(self.override_data or self.override_secrets)

    @staticmethod
    def has_override_expression():
        """`has_override` as a database expression, for annotating link rows in one query."""
        return Case(When(LINK_HAS_NO_OVERRIDE, then=Value(False)), default=Value(True), output_field=BooleanField())

    def reveal_override(self, name: str):
        token = self.override_secrets.get(name)
        return None if token is None else crypto.unseal_value(token)
