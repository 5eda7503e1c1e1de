"""The daily reminder sweeps (docs/clinical-rules.md 8), as plain services the Celery tasks and
``manage.py run_reminders`` call.

``cycle_reminders``: a cycle starting within 7 days with sessions not booked (nurses); an
order's last cycle completed, reassessment due (the ordering clinician); sessions scheduled
without an authorization covering them (authorization admins).

``authorization_follow_ups``: approvals past valid_to expire; submitted (or appealed) with no
decision for 5 days; approvals expiring within 30 days or with at most one approved cycle left
while the order has more (authorization admins).

Each sweep costs a fixed number of queries however many orders are active: bulk selects,
coverage computed in Python from the plans frozen at signing, notifications inserted in bulk
against their unique key (so running a sweep twice, or on two workers, notifies once).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from authorizations.coverage_rules import (
    CycleCoverage,
    cover_cycles,
    lineage_root_id,
    planned_cycles,
)
from authorizations.models import Authorization, AuthorizationStatus
from authorizations.notify import authorization_url
from authorizations.selectors import (
    ACTIVE_ORDER_STATUSES,
    active_orders,
    awaiting_decision,
    recent_approvals,
    renewals_due,
    start_of_day,
)
from authorizations.services import authorizations_expire_lapsed, retrospective_due_by
from infusions.models import InfusionSession, SessionStatus
from infusions.schedule.uncovered_sessions import sessions_not_covered, uncovered_by_order
from ivig.accounts.models import User
from ivig.accounts.roles import GROUP_NAMES, Role
from ivig.notifications.models import SUBJECT_AUTHORIZATION, SUBJECT_ORDER, Kind
from ivig.notifications.services import NotificationDraft, notify_many
from ivig.templatetags.clinical import count
from orders.models import Order, OrderStatus

CYCLE_REMINDER_WITHIN_DAYS = 7
# How far back a completed last cycle still prompts its (once only) reassessment notice.
REASSESSMENT_LOOKBACK_DAYS = 30
BOOKED_STATUSES = (SessionStatus.BOOKED, SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)
FINISHED_STATUSES = (SessionStatus.COMPLETED, SessionStatus.MISSED)


def role_user_ids(role: Role) -> list[int]:
    """Active users holding ``role`` (one query)."""
    return list(
        User.objects.filter(is_active=True, groups__name=GROUP_NAMES[role])
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def order_url(order_id: int) -> str:
    try:
        return reverse("orders:order-detail", args=[order_id])
    except NoReverseMatch:  # the order pages are not there yet
        return ""


def _patient(order: Order) -> str:
    return f"{order.patient.full_name} ({order.patient.mrn})"


def _drafts(
    recipients: list[int], *, subject_type: str, subject_id: int, **fields: object
) -> list[NotificationDraft]:
    return [
        NotificationDraft(
            recipient_id=recipient_id,
            subject_type=subject_type,
            subject_id=subject_id,
            **fields,  # type: ignore[arg-type]
        )
        for recipient_id in recipients
    ]


def _booked_days(today: date) -> set[tuple[int, int, int]]:
    """(order, cycle, day) of the booked sessions of cycles that can start within the window."""
    horizon = today + timedelta(days=CYCLE_REMINDER_WITHIN_DAYS + 10)
    return set(
        InfusionSession.objects.filter(
            order__status__in=ACTIVE_ORDER_STATUSES,
            status__in=BOOKED_STATUSES,
            planned_start__gte=start_of_day(today - timedelta(days=1)),
            planned_start__lt=start_of_day(horizon),
        ).values_list("order_id", "cycle_number", "day_number")
    )


def unbooked_cycle_drafts(
    orders: list[Order],
    coverage: dict[int, list[CycleCoverage]],
    today: date,
    nurses: list[int],
) -> list[NotificationDraft]:
    """docs/clinical-rules.md 8: a cycle starting within 7 days (today to today + 7) with a day not
    booked."""
    if not nurses:
        return []
    booked = _booked_days(today)
    drafts = []
    for order in orders:
        for cycle in coverage[order.pk]:
            if not 0 <= (cycle.first_day - today).days <= CYCLE_REMINDER_WITHIN_DAYS:
                continue
            missing = [
                day
                for day in range(1, len(cycle.days) + 1)
                if (order.pk, cycle.number, day) not in booked
            ]
            if not missing:
                continue
            drafts += _drafts(
                nurses,
                subject_type=SUBJECT_ORDER,
                subject_id=order.pk,
                kind=Kind.CYCLE_NOT_BOOKED,
                due_date=cycle.first_day,
                title=(
                    f"Cycle {cycle.number} of order {order.number} starts "
                    f"{cycle.first_day.isoformat()}: {len(missing)} of "
                    f"{count(len(cycle.days), 'session')} not booked"
                ),
                body=f"{_patient(order)}. Book cycle {cycle.number} days "
                + ", ".join(str(day) for day in missing)
                + ".",
                url=order_url(order.pk),
            )
    return drafts


def reassessment_drafts(
    orders: list[Order], coverage: dict[int, list[CycleCoverage]], today: date
) -> list[NotificationDraft]:
    """docs/clinical-rules.md 8: an order's last cycle completed (every session of it given or
    missed, at least one given; or the order completed) → reassessment due, to the ordering
    clinician, once (due date: the last cycle's last planned day)."""
    since = today - timedelta(days=REASSESSMENT_LOOKBACK_DAYS)
    completed_orders = list(
        Order.objects.filter(
            status=OrderStatus.COMPLETED, completed_at__gte=start_of_day(since)
        ).select_related("patient")
    )
    candidates = {order.pk: order for order in [*orders, *completed_orders]}
    last_cycle_statuses: dict[int, set[str]] = defaultdict(set)
    for order_id, status in InfusionSession.objects.filter(
        order__status__in=(*ACTIVE_ORDER_STATUSES, OrderStatus.COMPLETED),
        cycle_number=F("order__cycles"),
        planned_start__gte=start_of_day(since),
    ).values_list("order_id", "status"):
        last_cycle_statuses[order_id].add(status)
    drafts = []
    for order in candidates.values():
        statuses = last_cycle_statuses.get(order.pk, set()) - {SessionStatus.CANCELLED}
        finished = bool(statuses) and statuses <= set(FINISHED_STATUSES)
        given = SessionStatus.COMPLETED in statuses
        if not (order.status == OrderStatus.COMPLETED or (finished and given)):
            continue
        cycles = coverage.get(order.pk) or cover_cycles(planned_cycles(order), [])
        last_day = cycles[-1].last_day if cycles else today
        drafts += _drafts(
            [order.signed_by_id or order.created_by_id],
            subject_type=SUBJECT_ORDER,
            subject_id=order.pk,
            kind=Kind.REASSESSMENT_DUE,
            due_date=last_day,
            title=f"Order {order.number}: last cycle completed, reassessment due",
            body=f"{_patient(order)} has completed the last cycle of order {order.number}. "
            "Reassess the response before ordering more.",
            url=order_url(order.pk),
        )
    return drafts


def uncovered_session_drafts(
    today: date,
    approvals: dict[int, list],
    coverage: dict[int, list[CycleCoverage]],
    admins: list[int],
) -> list[NotificationDraft]:
    """docs/clinical-rules.md 8: sessions scheduled with no authorization covering them, one notice
    per order and first uncovered day, to the authorization admins."""
    if not admins:
        return []
    drafts = []
    uncovered = sessions_not_covered(today, approvals=approvals, coverage=coverage)
    for order_id, rows in uncovered_by_order(uncovered).items():
        order = rows[0].session.order
        first = rows[0]
        drafts += _drafts(
            admins,
            subject_type=SUBJECT_ORDER,
            subject_id=order_id,
            kind=Kind.SESSION_NOT_COVERED,
            due_date=first.day,
            title=(
                f"Order {order.number}: {count(len(rows), 'scheduled session')} without "
                f"authorization from {first.day.isoformat()}"
            ),
            body=f"{_patient(order)}. {first.blocker}",
            url=order_url(order_id),
        )
    return drafts


@transaction.atomic
def cycle_reminders(today: date | None = None) -> dict[str, int]:
    """docs/clinical-rules.md 8's daily cycle reminders; returns counts per rule and notifications
    made."""
    today = today or timezone.localdate()
    orders = list(active_orders())
    approvals = recent_approvals(today)
    coverage = {
        order.pk: cover_cycles(planned_cycles(order), approvals.get(lineage_root_id(order), []))
        for order in orders
    }
    unbooked = unbooked_cycle_drafts(orders, coverage, today, role_user_ids(Role.NURSE))
    reassess = reassessment_drafts(orders, coverage, today)
    uncovered = uncovered_session_drafts(
        today, approvals, coverage, role_user_ids(Role.AUTHORIZATION_ADMIN)
    )
    return {
        "orders": len(orders),
        "cycles_not_booked": len({d.subject_id for d in unbooked}),
        "reassessments_due": len(reassess),
        "orders_with_uncovered_sessions": len({d.subject_id for d in uncovered}),
        "notifications": notify_many([*unbooked, *reassess, *uncovered]),
    }


@transaction.atomic
def authorization_follow_ups(today: date | None = None) -> dict[str, int]:
    """docs/clinical-rules.md 8's daily authorization follow-ups; returns counts per rule and
    notifications."""
    today = today or timezone.localdate()
    expired = authorizations_expire_lapsed(today=today)
    admins = role_user_ids(Role.AUTHORIZATION_ADMIN)
    drafts: list[NotificationDraft] = []
    awaiting = awaiting_decision(today, min_age_days=5)
    for row in awaiting:
        authorization = row.authorization
        drafts += _drafts(
            admins,
            subject_type=SUBJECT_AUTHORIZATION,
            subject_id=authorization.pk,
            kind=Kind.AUTHORIZATION_NO_DECISION,
            due_date=row.follow_up_due,
            title=(
                f"No decision for {row.age_days} days: {authorization.payer} "
                f"{authorization.reference_number or '#' + str(authorization.pk)} "
                f"(order {authorization.order.number})"
            ),
            body=(
                f"{authorization.patient.full_name}: {authorization.get_status_display()} since "
                f"{row.waiting_since.isoformat()}. Chase the payer."
            ),
            url=authorization_url(authorization.pk),
        )
    # docs/clinical-rules.md 3.10: every urgent order's retrospective request is chased until it
    # is submitted, due 2 business days after the urgent order's verification.
    retrospective = list(
        Authorization.objects.filter(status=AuthorizationStatus.RETROSPECTIVE_DUE).select_related(
            "order", "patient"
        )
    )
    for authorization in retrospective:
        due = retrospective_due_by(authorization)
        drafts += _drafts(
            admins,
            subject_type=SUBJECT_AUTHORIZATION,
            subject_id=authorization.pk,
            kind=Kind.RETROSPECTIVE_DUE,
            due_date=due,
            title=(
                f"Urgent order {authorization.order.number}: tell the payer by {due.isoformat()}"
                + (" (overdue)" if due < today else "")
            ),
            body=(
                f"{authorization.patient.full_name}: started before approval. Submit the "
                "retrospective request to the payer."
            ),
            url=authorization_url(authorization.pk),
        )
    renewals = renewals_due(today)
    for renewal in renewals:
        authorization = renewal.authorization
        assert authorization.valid_to is not None
        common = {
            "subject_type": SUBJECT_AUTHORIZATION,
            "subject_id": authorization.pk,
            "due_date": authorization.valid_to,
            "url": authorization_url(authorization.pk),
        }
        if renewal.expiring:
            drafts += _drafts(
                admins,
                kind=Kind.AUTHORIZATION_EXPIRING,
                title=(
                    f"Authorization for order {renewal.order.number} expires "
                    f"{authorization.valid_to.isoformat()} (in {renewal.days_to_expiry} days)"
                ),
                body=f"{_patient(renewal.order)}: {authorization}. Renew it in time.",
                **common,  # type: ignore[arg-type]
            )
        if renewal.cycles_low:
            drafts += _drafts(
                admins,
                kind=Kind.AUTHORIZATION_CYCLES_LOW,
                title=(
                    f"Authorization for order {renewal.order.number}: "
                    f"{count(renewal.cycles_left, 'approved cycle')} left, "
                    f"{renewal.order_cycles_left} to give"
                ),
                body=f"{_patient(renewal.order)}: {authorization}. Request a renewal.",
                **common,  # type: ignore[arg-type]
            )
    return {
        "expired": expired,
        "awaiting_decision": len(awaiting),
        "retrospective_due": len(retrospective),
        "expiring": sum(1 for renewal in renewals if renewal.expiring),
        "cycles_low": sum(1 for renewal in renewals if renewal.cycles_low),
        "notifications": notify_many(drafts),
    }
