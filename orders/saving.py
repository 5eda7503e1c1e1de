"""Saving a row the way every service of the orders app saves one: validated, with the acting
user (and what was done) in its history, and a stale edit refused by name (docs/clinical-rules.md
4). Shared by the order core and its feature packages (patients, reviews)."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ivig.accounts.models import User

from .errors import OrderError
from .patients.models import Patient


def save_validated(
    instance: models.Model,
    by: User,
    reason: str | None = None,
    *,
    range_errors: Mapping[str, list[str]] | None = None,
) -> None:
    """Validate every field, rule and constraint, then save with ``by`` (and ``reason``, what
    was done) in the history. ``range_errors``: the fields the caller found outside their ranges,
    said with the range rather than by the constraint behind it."""
    errors: dict[str, list[str]] = dict(range_errors or {})
    try:
        # A number out of its range is said with the range, not by the constraint behind it.
        instance.full_clean(exclude=list(errors))
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if errors:
        raise OrderError.from_validation_error(ValidationError(errors))
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        # A concurrent registration took the MRN between the check and the insert.
        if (
            isinstance(instance, Patient)
            and Patient.objects.filter(mrn=instance.mrn).exclude(pk=instance.pk).exists()
        ):
            raise OrderError(
                OrderError.DUPLICATE_MRN,
                f"A patient with MRN {instance.mrn} already exists.",
                field_errors={"mrn": [f"A patient with MRN {instance.mrn} already exists."]},
            ) from error
        raise


def stale_error(record: Any, version: int) -> OrderError:
    """docs/clinical-rules.md 4: a stale edit of a patient or an order is refused naming who
    changed the record and when."""
    noun = "patient" if isinstance(record, Patient) else "order"
    latest = type(record).history.filter(id=record.pk).select_related("history_user").first()
    who = f" by {latest.history_user}" if latest and latest.history_user else ""
    when = (
        f" at {timezone.localtime(latest.history_date):%Y-%m-%d %H:%M}"
        if latest is not None
        else ""
    )
    message = (
        f"This {noun} was changed{who}{when} after you opened it (you had version {version}). "
        f"Nothing was saved: open the {noun} again to see that change, then make yours."
    )
    return OrderError(OrderError.STALE_VERSION, message)
