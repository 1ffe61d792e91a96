"""Metadata a workspace defines at run time: custom objects and fields,
pipelines and stages, validation rules.

Written only through ``crm.metadata.services``, which bumps the workspace's
``metadata_version`` so every cache of the registry sees the change.
"""

from decimal import Decimal

from django.db import models

from crm.metadata import field_types


class ObjectDefinition(models.Model):
    """A custom object. Its records are ``CustomRecord`` rows."""

    workspace = models.ForeignKey(
        "accounts.Workspace",
        on_delete=models.CASCADE,
        related_name="object_definitions",
    )
    api_name = models.SlugField(max_length=60)
    plural = models.SlugField(max_length=60)
    label = models.CharField(max_length=80)
    label_plural = models.CharField(max_length=80)
    prefix = models.SlugField(max_length=8)
    name_field = models.CharField(max_length=60, default="name")
    description = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "api_name"], name="objectdefinition_unique_name"
            ),
            models.UniqueConstraint(
                fields=["workspace", "plural"], name="objectdefinition_unique_plural"
            ),
            models.UniqueConstraint(
                fields=["workspace", "prefix"], name="objectdefinition_unique_prefix"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def hubspot_type_id(self) -> str:
        return f"2-{self.pk}"


class FieldDefinition(models.Model):
    """A custom field, on a standard object (in its ``custom`` JSON) or on a
    custom object (in the record's ``data`` JSON)."""

    class OnDelete(models.TextChoices):
        SET_NULL = "set_null", "Keep the link"
        RESTRICT = "restrict", "Refuse the delete"
        CASCADE = "cascade", "Delete with it"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="field_definitions"
    )
    object_name = models.CharField(max_length=60)
    name = models.SlugField(max_length=60)
    label = models.CharField(max_length=80)
    type = models.CharField(
        max_length=20,
        choices=[(k, field_types.get(k).label) for k in field_types.CUSTOM_FIELD_TYPES],
    )
    required = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    indexed = models.BooleanField(default=False)
    track_history = models.BooleanField(default=True)
    choices = models.JSONField(
        default=list,
        blank=True,
        help_text='Picklists: [{"value": "gold", "label": "Gold"}]',
    )
    target = models.CharField(
        max_length=60,
        blank=True,
        help_text="Lookups: the api name of the target object.",
    )
    on_delete = models.CharField(
        max_length=10, choices=OnDelete.choices, default=OnDelete.SET_NULL
    )
    default = models.JSONField(null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    decimal_places = models.PositiveSmallIntegerField(null=True, blank=True)
    help_text = models.CharField(max_length=255, blank=True)
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["object_name", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "object_name", "name"],
                name="fielddefinition_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_name}.{self.name}"


class Pipeline(models.Model):
    """An ordered set of stages that records of one object move through."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="pipelines"
    )
    object_name = models.CharField(max_length=60)
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=80)
    is_default = models.BooleanField(default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["object_name", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "object_name", "key"], name="pipeline_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_name}: {self.label}"


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Closed won"
        LOST = "lost", "Closed lost"

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages"
    )
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=80)
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.OPEN)
    probability = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(0)
    )
    order = models.PositiveIntegerField(default=0)
    colour = models.CharField(max_length=7, default="#64748b")

    class Meta:
        ordering = ["pipeline", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "key"], name="stage_unique_key")
        ]

    def __str__(self) -> str:
        return self.label


class ValidationRule(models.Model):
    """Refuses a write when ``condition`` (an ObjectQL filter list) matches the
    record as it would be saved."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="validation_rules"
    )
    object_name = models.CharField(max_length=60)
    name = models.CharField(max_length=80)
    condition = models.JSONField(
        help_text=(
            "ObjectQL filters, e.g. "
            '[["stage", "=", "negotiation"], ["amount", "is_null"]]'
        )
    )
    error_message = models.CharField(max_length=255)
    error_field = models.CharField(max_length=60, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["object_name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "object_name", "name"],
                name="validationrule_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_name}: {self.name}"
