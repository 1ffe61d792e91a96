"""What became of one row of a batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from accounts import errors
from accounts.errors import FieldError


@dataclass(frozen=True, slots=True)
class RowResult:
    """One row's outcome: ``record_id`` and ``action`` (created, updated,
    unchanged, deleted), or ``error``. ``record`` is what was written (the
    record; a ``Deletion`` for a delete)."""

    index: int
    record_id: UUID | None = None
    error: errors.DomainError | None = None
    action: str = ""
    record: Any = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def errors(self) -> list[FieldError]:
        """The problems of a refused row (empty when it was applied)."""
        if self.error is None:
            return []
        return list(self.error.details) or [
            FieldError(self.error.field, self.error.message)
        ]

    def unwrap(self):
        """What was written; the refusal raised."""
        if self.error is not None:
            raise self.error
        return self.record
