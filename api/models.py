"""Rows the API keeps for itself: the first response to each Idempotency-Key."""

from django.db import models


class IdempotencyKey(models.Model):
    """A POST made with an ``Idempotency-Key``, and its response once finished.

    ``status_code`` is null while the first request runs. Keys are scoped to a
    workspace and the principal (user or API key) that sent them, so a response
    is only ever replayed to whoever caused it.
    """

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    principal = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content = models.BinaryField(default=b"", blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    #: The response headers a replay repeats (Location, ETag, …).
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "principal", "key"], name="idempotencykey_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.principal}: {self.key}"
