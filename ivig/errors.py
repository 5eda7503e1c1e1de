"""The project's one domain error (docs/api.md, Errors): a rule refused a change.

Services raise it (each app names its codes on a subclass: ``OrderError``, ``InfusionError``,
``FormularyError`` ...); the API turns it into HTTP once (``ivig.api.errors``) and pages once
(``add_to_form``). Views never build error answers by hand.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django import forms
from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models


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
        field_errors = in_plain_words(
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


# Django's words for a check constraint without its own message: "Constraint “name” is
# violated." A person never reads a constraint's name (issue 19).
_CONSTRAINT_MESSAGE = re.compile(r"^Constraint “(?P<name>[^”]+)” is violated\.$")


def _constraint_fields(name: str) -> tuple[type[models.Model], list[str]] | None:
    """The model and the fields a check constraint named ``name`` reads."""
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name and isinstance(constraint, models.CheckConstraint):
                fields: list[str] = []
                pending: list[Any] = [constraint.condition]
                while pending:
                    node = pending.pop()
                    if isinstance(node, models.Q):
                        pending.extend(node.children)
                    elif isinstance(node, tuple) and isinstance(node[0], str):
                        field = node[0].split("__")[0]
                        if field not in fields:
                            fields.append(field)
                return model, fields
    return None


def constraint_in_words(message: str) -> tuple[str | None, str]:
    """A constraint's default message as (the field it is about or None, plain words): "Check
    the dose per cycle (g/kg): this value is not allowed." Other messages pass unchanged."""
    match = _CONSTRAINT_MESSAGE.match(message)
    if match is None:
        return None, message
    found = _constraint_fields(match["name"])
    if found is None:
        return None, "A value is not allowed: please check the entries."
    model, names = found
    labels = []
    for name in names:
        try:
            model_field = model._meta.get_field(name)
            labels.append(str(getattr(model_field, "verbose_name", name)))
        except FieldDoesNotExist:
            continue
    if not labels:
        return None, "A value is not allowed: please check the entries."
    field = names[0] if len(names) == 1 else None
    these = " and the ".join(labels)
    verb = "this value is" if len(labels) == 1 else "these values are"
    return field, f"Check the {these}: {verb} not allowed."


def in_plain_words(field_errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """``field_errors`` with every constraint's name put in plain words, on the field the
    constraint is about where it names one."""
    plain: dict[str, list[str]] = {}
    for key, messages in field_errors.items():
        for message in messages:
            field, words = constraint_in_words(str(message))
            target = field if field is not None and key == NON_FIELD_ERRORS else key
            plain.setdefault(target, []).append(words)
    return plain


class PlainConstraintsMixin:
    """A model form whose model's check constraints answer in plain words, on their field
    (``validate_constraints`` runs in ``_post_clean``)."""

    def _update_errors(self, errors: ValidationError) -> None:
        if hasattr(errors, "error_dict"):
            plain = in_plain_words(
                {field: list(messages) for field, messages in errors.message_dict.items()}
            )
            form_fields = getattr(self, "fields", {})
            placed: dict[str, list[ValidationError]] = {}
            for key, messages in plain.items():
                target = key if key in form_fields else NON_FIELD_ERRORS
                placed.setdefault(target, []).extend(ValidationError(m) for m in messages)
            errors = ValidationError(placed)
        super()._update_errors(errors)  # type: ignore[misc]
