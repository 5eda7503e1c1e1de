"""The project's one domain error (docs/api.md, Errors): a rule refused a change.

Services raise it (each app names its codes on a subclass: ``OrderError``, ``InfusionError``,
``FormularyError`` ...); the API turns it into HTTP once (``ivig.api_errors``) and pages once
(``add_to_form``). Views never build error answers by hand.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class DomainError(Exception):
    """``code`` is stable for programs, ``message`` is for people; ``field_errors`` maps a field
    to its messages when the refusal is about particular inputs (``__all__`` for the whole
    record); ``details`` carries data a program may act on (the findings that stopped a step).
    A code in ``CONFLICTS`` means someone else acted first or the record moved on: HTTP 409.
    A code in ``THROTTLED`` means "not now": HTTP 429 with ``Retry-After`` (the seconds in
    ``details["retry_after_seconds"]``)."""

    INVALID: ClassVar[str] = "invalid"
    STALE_VERSION: ClassVar[str] = "stale_version"
    CONFLICTS: ClassVar[frozenset[str]] = frozenset({"stale_version"})
    THROTTLED: ClassVar[frozenset[str]] = frozenset({"password_cooling_off"})

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        *,
        field_errors: dict[str, list[str]] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field_errors = dict(field_errors or {})
        if field and field not in self.field_errors:
            self.field_errors[field] = [message]
        self.details = details or {}

    @property
    def field(self) -> str | None:
        """The one input the refusal is about, when there is exactly one."""
        named = [name for name in self.field_errors if name != NON_FIELD_ERRORS]
        return named[0] if len(named) == 1 else None

    @property
    def is_conflict(self) -> bool:
        return self.code in self.CONFLICTS

    @property
    def is_throttled(self) -> bool:
        return self.code in self.THROTTLED

    @property
    def http_status(self) -> int:
        """400, 409 for a conflict, 429 for a throttle."""
        if self.is_throttled:
            return 429
        return 409 if self.is_conflict else 400

    @property
    def retry_after_seconds(self) -> int | None:
        value = self.details.get("retry_after_seconds")
        return int(value) if isinstance(value, int | float) else None

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> DomainError:
        field_errors = (
            {field: list(messages) for field, messages in error.message_dict.items()}
            if hasattr(error, "error_dict")
            else {NON_FIELD_ERRORS: list(error.messages)}
        )
        summary = "; ".join(message for messages in field_errors.values() for message in messages)
        return cls(cls.INVALID, summary, field_errors=field_errors)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


def add_to_form(form: forms.BaseForm, error: DomainError) -> None:
    """Show a refusal on a page's form: each message on its field when the form has that
    field, the rest above the form."""
    placed = False
    for field, messages in error.field_errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
