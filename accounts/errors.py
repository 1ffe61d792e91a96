"""The domain's error vocabulary.

Services raise these; each adapter turns them into its own dialect (the API's
error envelope, a form error, a 404 page). They live in the lowest layer so that
every app may raise them without importing an adapter.
"""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str | None
    message: str


class DomainError(Exception):
    """A refusal the caller can act on. ``code`` is the API's error code."""

    code = "server_error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: Iterable[FieldError] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = tuple(details) or (
            (FieldError(field, message),) if field else ()
        )


class ValidationFailed(DomainError):
    """The input breaks a field type, a required field or a validation rule."""

    code = "validation_failed"

    @classmethod
    def from_errors(cls, errors: list[FieldError]) -> "ValidationFailed":
        first = errors[0]
        return cls(first.message, field=first.field, details=errors)


class DuplicateValue(ValidationFailed):
    """A unique field already holds this value in the workspace."""

    code = "duplicate_value"


class NotFound(DomainError):
    """No such object or record here (another workspace's rows are not found)."""

    code = "not_found"


class AuthenticationFailed(DomainError):
    """The credential is missing, unknown, expired, revoked or its holder is
    no longer active in the workspace."""

    code = "authentication_failed"


class PermissionDenied(DomainError):
    """The user's profile does not allow this action."""

    code = "permission_denied"


class ReferenceConflict(DomainError):
    """Other records still refer to this one and forbid the change."""

    code = "reference_conflict"


class PreconditionFailed(DomainError):
    """The record changed since the caller read it."""

    code = "precondition_failed"


class RateLimited(DomainError):
    """Too many attempts in a window; ``retry_after`` is the seconds until it
    ends."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
