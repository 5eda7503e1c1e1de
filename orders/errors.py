"""The orders app's one domain error (STYLE: views turn it into a form error, the API into
400/409)."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class OrderError(Exception):
    """A rule of the orders app refused the change.

    ``code`` is stable for programs (``invalid``, ``stale_version``, ``duplicate_mrn`` ...),
    ``message`` is for people. ``field_errors`` maps a field name to its messages when the
    refusal is about particular fields (``__all__`` for the whole record).
    """

    INVALID = "invalid"
    STALE_VERSION = "stale_version"
    DUPLICATE_MRN = "duplicate_mrn"

    def __init__(
        self, code: str, message: str, *, field_errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field_errors = field_errors or {}

    @property
    def is_conflict(self) -> bool:
        """Someone else changed the record first: HTTP 409, not 400."""
        return self.code == self.STALE_VERSION

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
