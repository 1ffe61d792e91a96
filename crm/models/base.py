"""What every CRM record has: a time-ordered id, a workspace, an owner, audit
stamps and a place in the recycle bin."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from uuid_utils.compat import uuid7


class TenantRecord(models.Model):
    """A record of some object in one workspace.

    Rows are written only by ``crm.records``; ``save()`` has no side effects.
    ``deleted_at`` and ``deletion`` mark a record in the recycle bin.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deletion = models.ForeignKey(
        "crm.Deletion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True

    def derive(self) -> None:
        """Recompute columns that follow from this row alone (override)."""


class StandardRecord(TenantRecord):
    """A record of a built-in object; admin-defined fields live in ``custom``."""

    custom = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(getattr(self, "name", "") or self.pk)


def _street() -> models.CharField:
    return models.CharField(max_length=255, blank=True)


def _place() -> models.CharField:
    return models.CharField(max_length=120, blank=True)


def _postcode() -> models.CharField:
    return models.CharField(max_length=20, blank=True)


class BillingAddress(models.Model):
    billing_street = _street()
    billing_city = _place()
    billing_state = _place()
    billing_postal_code = _postcode()
    billing_country = _place()

    class Meta:
        abstract = True


class MailingAddress(models.Model):
    mailing_street = _street()
    mailing_city = _place()
    mailing_state = _place()
    mailing_postal_code = _postcode()
    mailing_country = _place()

    class Meta:
        abstract = True


class Address(models.Model):
    street = _street()
    city = _place()
    state = _place()
    postal_code = _postcode()
    country = _place()

    class Meta:
        abstract = True


def money(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True, **kwargs
    )


def percent(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, **kwargs
    )
