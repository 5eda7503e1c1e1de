"""The orders app's one domain error (STYLE: views turn it into a form error, the API into
400/409)."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class OrderError(Exception):
    """A rule of the orders app refused the change.

    ``code`` is stable for programs (``invalid``, ``stale_version``, ``duplicate_mrn`` ...),
    ``message`` is for people. ``field_errors`` maps a field name to its messages when the
    refusal is about particular fields (``__all__`` for the whole record); ``details`` carries
    data a program may act on (the findings that stopped a signature).
    """

    INVALID = "invalid"
    STALE_VERSION = "stale_version"
    DUPLICATE_MRN = "duplicate_mrn"
    # Order lifecycle (DESIGN 4).
    WRONG_STATE = "wrong_state"
    WRONG_PASSWORD = "wrong_password"
    STOP_FINDINGS = "stop_findings"
    OVERRIDE_REASON_MISSING = "override_reason_missing"
    SIGNER_CANNOT_VERIFY = "signer_cannot_verify"
    OVERRIDE_NOT_ACKNOWLEDGED = "override_not_acknowledged"
    REASON_REQUIRED = "reason_required"
    PRODUCT_INACTIVE = "product_inactive"
    NO_CURRENT_PRICE = "no_current_price"

    # Someone else acted first, or the order has moved on: HTTP 409, not 400.
    CONFLICTS = frozenset({STALE_VERSION, WRONG_STATE})

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field_errors: dict[str, list[str]] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field_errors = field_errors or {}
        self.details = details or {}

    @property
    def is_conflict(self) -> bool:
        """Someone else changed the record first or its state forbids the step: HTTP 409."""
        return self.code in self.CONFLICTS

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> "OrderError":
        field_errors = (
            {field: list(messages) for field, messages in error.message_dict.items()}
            if hasattr(error, "error_dict")
            else {NON_FIELD_ERRORS: list(error.messages)}
        )
        summary = "; ".join(message for messages in field_errors.values() for message in messages)
        return cls(cls.INVALID, summary, field_errors=field_errors)

    def __repr__(self) -> str:
        return f"OrderError({self.code!r}, {self.message!r})"
