"""Insurance authorization services (docs/clinical-rules.md 7): one transaction per call, every rule
checked here, every change kept in the history with the acting user, refusals raised as
``AuthorizationError``. Role checks are the views' business (docs/clinical-rules.md 1).

The life of an authorization::

    not_submitted --submit--> submitted --decide--> approved --expire--> expired
                                        \\-decide--> denied --appeal--> appealed --decide--> ...

``renew`` starts a new authorization (``not_submitted``) for the same order from an approved,
expired or denied one. A change made on a stale ``version`` is refused (docs/clinical-rules.md 4).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from ivig.accounts.models import User
from ivig.outbox.services import enqueue_on_commit
from orders.course_versions import lineage_order_ids
from orders.errors import OrderError
from orders.models import Order

from .models import Authorization, AuthorizationDocument, AuthorizationStatus
from .stored_coverage import store_lineage_coverage
from .tasks import authorization_status_notify, authorization_status_notify_many

S = AuthorizationStatus

# Which status each transition starts from (docs/clinical-rules.md 7); anything else is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submit": (S.NOT_SUBMITTED, S.RETROSPECTIVE_DUE),
    "decide": (S.SUBMITTED, S.APPEALED),
    "appeal": (S.DENIED,),
    "expire": (S.APPROVED,),
    "renew": (S.APPROVED, S.EXPIRED, S.DENIED),
}
EDITABLE_FIELDS = ("payer", "member_id", "reference_number", "notes")


class AuthorizationError(OrderError):
    """A rule of docs/clinical-rules.md 7 refused the change (an ``OrderError``, so views and the
    API handle it alike). Codes: ``invalid``, ``stale_version``, ``illegal_transition``."""

    ILLEGAL_TRANSITION: ClassVar[str] = "illegal_transition"
    CONFLICTS: ClassVar[frozenset[str]] = frozenset({OrderError.STALE_VERSION, ILLEGAL_TRANSITION})


def _today() -> date:
    return timezone.localdate()


def _refuse_transition(authorization: Authorization, action: str) -> AuthorizationError:
    allowed = ", ".join(S(status).label.lower() for status in TRANSITIONS[action])
    return AuthorizationError(
        AuthorizationError.ILLEGAL_TRANSITION,
        f"Cannot {action} an authorization that is {authorization.get_status_display().lower()}"
        f" (only when {allowed}).",
    )


def _locked(authorization: Authorization, version: int | None) -> Authorization:
    """The row, locked for this transaction; a stale ``version`` is refused (docs/clinical-rules.md
    4)."""
    current = Authorization.objects.select_for_update().get(pk=authorization.pk)
    if version is not None and version != current.version:
        latest = current.history.select_related("history_user").first()
        who = f" by {latest.history_user}" if latest and latest.history_user else ""
        raise AuthorizationError(
            AuthorizationError.STALE_VERSION,
            f"This authorization was changed{who} after you opened it (version {version}, now "
            f"{current.version}). Reload it and make your change again.",
        )
    return current


def _save(authorization: Authorization, by: User, *, bump: bool = True) -> None:
    """Validate every field and constraint, then save with ``by`` in the history."""
    if bump:
        authorization.version += 1
        authorization.updated_at = timezone.now()
    try:
        authorization.full_clean()
    except ValidationError as error:
        raise AuthorizationError.from_validation_error(error) from error
    authorization._history_user = by  # type: ignore[attr-defined]
    authorization.save()


def _append_note(authorization: Authorization, label: str, text: str) -> None:
    text = text.strip()
    if text:
        line = f"{_today().isoformat()} {label}: {text}"
        authorization.notes = f"{authorization.notes.rstrip()}\n{line}".strip()


def _enqueue_status_notice(authorization: Authorization) -> None:
    """docs/clinical-rules.md 8: tell the ordering clinician of a decision or expiry, after
    commit."""
    authorization_id = authorization.pk
    enqueue_on_commit(authorization_status_notify, authorization_id)


def _sync(target: Authorization, source: Authorization) -> Authorization:
    """Copy the saved row into the caller's instance so it sees the new state."""
    for field in Authorization._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


@transaction.atomic
def authorization_create(
    *,
    by: User,
    order: Order,
    payer: str,
    member_id: str,
    reference_number: str = "",
    notes: str = "",
    renews: Authorization | None = None,
) -> Authorization:
    """docs/clinical-rules.md 7: a new authorization for ``order`` (and its patient), not yet
    submitted."""
    authorization = Authorization(
        patient_id=order.patient_id,
        order=order,
        renews=renews,
        payer=payer.strip(),
        member_id=member_id.strip(),
        reference_number=reference_number.strip(),
        notes=notes.strip(),
        created_by=by,
    )
    _save(authorization, by, bump=False)
    return authorization


# docs/clinical-rules.md 3.10: the payer is told of an urgent start within 2 business days.
RETROSPECTIVE_NOTICE_BUSINESS_DAYS = 2
RETROSPECTIVE_PAYER_PLACEHOLDER = "to be entered"


def business_days_after(day: date, count: int) -> date:
    """``count`` business days (Monday to Friday) after ``day``."""
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def retrospective_due_by(authorization: Authorization) -> date:
    """The day by which the payer is to be told of an urgent order's start."""
    return business_days_after(
        timezone.localdate(authorization.created_at), RETROSPECTIVE_NOTICE_BUSINESS_DAYS
    )


def authorization_open_retrospective(*, by: User, order: Order) -> Authorization:
    """docs/clinical-rules.md 3.10 (rules v3): an urgent order is verified: open its
    authorization at once as ``retrospective_due`` (once per order lineage), for the
    authorization admins to tell the payer within 2 business days."""
    lineage = order.lineage_id or order.pk
    existing = (
        Authorization.objects.filter(order_id__in=lineage_order_ids(lineage))
        .order_by("-created_at", "-id")
        .first()
    )
    if existing is not None:
        return existing
    previous = (
        Authorization.objects.filter(patient_id=order.patient_id)
        .exclude(payer=RETROSPECTIVE_PAYER_PLACEHOLDER)
        .order_by("-created_at", "-id")
        .first()
    )
    authorization = Authorization(
        patient_id=order.patient_id,
        order=order,
        status=S.RETROSPECTIVE_DUE,
        payer=previous.payer if previous else RETROSPECTIVE_PAYER_PLACEHOLDER,
        member_id=previous.member_id if previous else RETROSPECTIVE_PAYER_PLACEHOLDER,
        created_by=by,
    )
    _append_note(
        authorization,
        "Urgent order",
        f"order {order.number} ({order.indication.name}) is urgent: {order.urgent_reason} "
        "Its first cycle may start before approval; tell the payer within 2 business days.",
    )
    _save(authorization, by, bump=False)
    return authorization


def authorization_record_urgent_start(*, by: User, order: Order, started_on: date) -> None:
    """docs/clinical-rules.md 3.10: an urgent order's first cycle started without an approval:
    noted on its retrospective authorization (its history is the audit trail)."""
    lineage = order.lineage_id or order.pk
    authorization = (
        Authorization.objects.select_for_update()
        .filter(order_id__in=lineage_order_ids(lineage))
        .order_by("-created_at", "-id")
        .first()
    )
    if authorization is None:
        authorization = authorization_open_retrospective(by=by, order=order)
    _append_note(
        authorization,
        "Urgent start",
        f"order {order.number} cycle 1 started on {started_on.isoformat()} by {by} without "
        "an approval on file.",
    )
    _save(authorization, by)


@transaction.atomic
def authorization_update(
    authorization: Authorization, *, by: User, version: int | None, **changes: str
) -> Authorization:
    """Edit the payer details and notes (docs/clinical-rules.md 7); status and decision fields
    change only through the transitions. Refused on a stale version."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise AuthorizationError(
            AuthorizationError.INVALID, f"Not editable here: {', '.join(sorted(unknown))}."
        )
    current = _locked(authorization, version)
    for name, value in changes.items():
        setattr(current, name, value.strip() if isinstance(value, str) else value)
    _save(current, by)
    return _sync(authorization, current)


@transaction.atomic
def authorization_submit(
    authorization: Authorization,
    *,
    by: User,
    version: int | None = None,
    reference_number: str | None = None,
) -> Authorization:
    """docs/clinical-rules.md 7: send the request to the payer (not_submitted → submitted); the
    follow-up sweep reminds after 5 days without a decision (docs/clinical-rules.md 8).

    A reference given replaces the stored one; a blank or missing one keeps it (the payer's
    reference is how the authorization is named everywhere, and is never wiped by a submit)."""
    current = _locked(authorization, version)
    if current.status not in TRANSITIONS["submit"]:
        raise _refuse_transition(current, "submit")
    current.status = S.SUBMITTED
    current.submitted_at = timezone.now()
    if reference_number and reference_number.strip():
        current.reference_number = reference_number.strip()
    _save(current, by)
    return _sync(authorization, current)


@transaction.atomic
def authorization_record_decision(
    authorization: Authorization,
    *,
    by: User,
    approved: bool,
    decision_date: date | None,
    version: int | None = None,
    approved_cycles: int | None = None,
    approved_grams: Decimal | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    reason: str = "",
) -> Authorization:
    """docs/clinical-rules.md 7: the payer's decision on a submitted or appealed request.

    An approval needs approved cycles (≥ 1), grams (> 0), valid from/to (to not before from)
    and a decision date; a denial needs a decision date and the payer's reason (kept in the
    notes). A decision date cannot be in the future.
    """
    current = _locked(authorization, version)
    if current.status not in TRANSITIONS["decide"]:
        raise _refuse_transition(current, "decide")
    errors: dict[str, list[str]] = {}
    if decision_date is None:
        errors["decision_date"] = ["Give the date of the payer's decision."]
    elif decision_date > _today():
        errors["decision_date"] = ["A decision date cannot be in the future."]
    if approved:
        if approved_cycles is None or approved_cycles < 1:
            errors["approved_cycles"] = ["An approval names at least one cycle."]
        if approved_grams is None or approved_grams <= 0:
            errors["approved_grams"] = ["An approval names the grams approved (above 0)."]
        if valid_from is None:
            errors["valid_from"] = ["An approval is valid from a date."]
        if valid_to is None:
            errors["valid_to"] = ["An approval is valid to a date."]
        elif valid_from is not None and valid_to < valid_from:
            errors["valid_to"] = ["Valid to cannot be before valid from."]
    elif not reason.strip():
        errors["reason"] = ["Give the payer's reason for the denial."]
    if errors:
        raise AuthorizationError(
            AuthorizationError.INVALID,
            " ".join(message for messages in errors.values() for message in messages),
            field_errors=errors,
        )
    current.decision_date = decision_date
    if approved:
        current.status = S.APPROVED
        current.approved_cycles = approved_cycles
        current.approved_grams = approved_grams
        current.valid_from = valid_from
        current.valid_to = valid_to
        _append_note(current, "approved", reason)
    else:
        current.status = S.DENIED
        _append_note(current, "denied", reason)
    _save(current, by)
    _enqueue_status_notice(current)
    return _sync(authorization, current)


@transaction.atomic
def authorization_appeal(
    authorization: Authorization, *, by: User, reason: str, version: int | None = None
) -> Authorization:
    """docs/clinical-rules.md 7: appeal a denial (denied → appealed), with the grounds in the
    notes."""
    current = _locked(authorization, version)
    if current.status not in TRANSITIONS["appeal"]:
        raise _refuse_transition(current, "appeal")
    if not reason.strip():
        raise AuthorizationError(
            AuthorizationError.INVALID,
            "Give the grounds of the appeal.",
            field_errors={"reason": ["Give the grounds of the appeal."]},
        )
    current.status = S.APPEALED
    current.appealed_at = timezone.now()
    _append_note(current, "appealed", reason)
    _save(current, by)
    return _sync(authorization, current)


@transaction.atomic
def authorization_expire(
    authorization: Authorization, *, by: User, version: int | None = None, reason: str = ""
) -> Authorization:
    """docs/clinical-rules.md 7: an approval ends (approved → expired); it still covers the cycles
    given within its dates up to today. The daily sweep does this when valid_to has passed."""
    current = _locked(authorization, version)
    if current.status not in TRANSITIONS["expire"]:
        raise _refuse_transition(current, "expire")
    current.status = S.EXPIRED
    current.expired_at = timezone.now()
    _append_note(current, "expired", reason)
    _save(current, by)
    _enqueue_status_notice(current)
    return _sync(authorization, current)


@transaction.atomic
def authorization_renew(
    authorization: Authorization,
    *,
    by: User,
    reference_number: str = "",
    notes: str = "",
) -> Authorization:
    """docs/clinical-rules.md 7: a renewal is a new authorization (not submitted) for the same order
    and payer, linked to the one it renews; only after a decision (approved, expired, denied)."""
    current = _locked(authorization, None)
    if current.status not in TRANSITIONS["renew"]:
        raise _refuse_transition(current, "renew")
    return authorization_create(
        by=by,
        order=current.order,
        payer=current.payer,
        member_id=current.member_id,
        reference_number=reference_number,
        notes=notes,
        renews=current,
    )


@transaction.atomic
def authorization_document_add(
    authorization: Authorization, *, by: User, title: str, reference: str
) -> AuthorizationDocument:
    """docs/clinical-rules.md 7: the documents list; documents are appended, never edited."""
    document = AuthorizationDocument(
        authorization=authorization, title=title.strip(), reference=reference.strip(), added_by=by
    )
    try:
        document.full_clean()
    except ValidationError as error:
        raise AuthorizationError.from_validation_error(error) from error
    document._history_user = by  # type: ignore[attr-defined]
    document.save()
    return document


@transaction.atomic
def authorizations_expire_lapsed(*, today: date | None = None, by: User | None = None) -> int:
    """docs/clinical-rules.md 7, 8: the daily sweep expires every approval whose valid_to has
    passed. A fixed number of queries however many lapse (bulk update with history); locked rows are
    skipped so that two workers never expire the same approval twice."""
    today = today or _today()
    now = timezone.now()
    lapsed = list(
        Authorization.objects.select_for_update(skip_locked=True).filter(
            status=S.APPROVED, valid_to__lt=today
        )
    )
    for authorization in lapsed:
        authorization.status = S.EXPIRED
        authorization.expired_at = now
        authorization.version += 1
        authorization.updated_at = now
        _append_note(authorization, "expired", f"valid to {authorization.valid_to} has passed")
    if lapsed:
        bulk_update_with_history(
            lapsed,
            Authorization,
            ["status", "expired_at", "version", "updated_at", "notes"],
            batch_size=500,
            default_user=by,
            default_change_reason="valid_to passed (daily sweep)",
        )
        ids = [authorization.pk for authorization in lapsed]
        # A bulk update sends no post_save: the stored coverage of their lineages, again.
        store_lineage_coverage(
            Order.objects.filter(authorizations__in=ids)
            .annotate(root=Coalesce("lineage_id", "pk"))
            .values_list("root", flat=True)
        )
        enqueue_on_commit(authorization_status_notify_many, ids)
    return len(lapsed)
