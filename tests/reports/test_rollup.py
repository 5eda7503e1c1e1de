"""The stewardship roll-up (reports/rollup.py) equals a recomputation from scratch after a mix of
sessions (completed, cancelled, missed) and of changes to them (a cancellation, a move to another
month, a completion, a corrected completion, an urgent start, the missed sweep's bulk update);
the report read from it is the report counted live, before and after the refresh."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from infusions.booking.services import session_cancel, sessions_mark_missed
from infusions.models import AdministrationEntry, EntryKind, InfusionSession, SessionStatus
from reports import rollup
from reports.models import StewardshipDay, StewardshipRollup

pytestmark = pytest.mark.django_db


def _stored() -> set[tuple]:
    return {
        (
            row.day,
            row.indication_id,
            row.product_id,
            row.prescriber_id,
            row.sessions,
            row.grams.quantize(Decimal("0.000001")),
            row.saved_by_weight_g.quantize(Decimal("0.000001")),
            row.saved_by_rounding_g.quantize(Decimal("0.000001")),
        )
        for row in StewardshipDay.objects.all()
    }


def _from_scratch() -> set[tuple]:
    return {
        (
            *key,
            count.sessions,
            count.grams.quantize(Decimal("0.000001")),
            count.saved_by_weight_g.quantize(Decimal("0.000001")),
            count.saved_by_rounding_g.quantize(Decimal("0.000001")),
        )
        for key, count in rollup.count_days(InfusionSession.objects.all()).items()
    }


def _report(first, last):
    return rollup.grams_rows(first, last), rollup.savings(first, last)


def _live_report(first, last):
    """The report with no roll-up: every day counted live."""
    with transaction.atomic():
        StewardshipRollup.objects.all().delete()
        report = _report(first, last)
        transaction.set_rollback(True)
    return report


def _completed_long_ago() -> InfusionSession:
    session = (
        InfusionSession.objects.filter(status=SessionStatus.COMPLETED)
        .order_by("planned_start")
        .first()
    )
    assert session is not None
    return session


def _change_a_mix_of_sessions(nurse) -> None:
    today = timezone.localdate()
    booked = list(
        InfusionSession.objects.filter(status=SessionStatus.BOOKED).order_by("planned_start")
    )
    assert len(booked) >= 5
    cancelled, completing, started, late, moved = booked[:5]
    session_cancel(cancelled, by=nurse, reason="Patient unwell.")
    moved.planned_start += timedelta(days=35)  # into another month
    moved.planned_end += timedelta(days=35)
    moved.save()
    completing.status = SessionStatus.COMPLETED
    completing.save()
    # Its completion, then a correction; and a completion recorded late for a session completed
    # long ago (only the entry is new, the session itself is not saved).
    for session, grams, hours in (
        (completing, "9.5", 3),
        (completing, "8.75", 5),
        (_completed_long_ago(), "1.25", 5),
    ):
        AdministrationEntry.objects.create(
            session=session,
            kind=EntryKind.COMPLETED,
            occurred_at=session.planned_start + timedelta(hours=hours),
            recorded_by=nurse,
            volume_ml=Decimal(10),
            grams_given=Decimal(grams),
        )
    # An urgent start: the order's first cycle started before any approval (the report counts
    # it like any session; its urgency only lists it among the urgent starts, read live).
    order = started.order
    type(order).objects.filter(pk=order.pk).update(urgent=True, urgent_reason="Kawasaki disease")
    started.status = SessionStatus.IN_PROGRESS
    started.save()
    late.planned_start = timezone.now() - timedelta(days=3)
    late.planned_end = late.planned_start + timedelta(hours=2)
    late.save()
    assert sessions_mark_missed(today, by=nurse) >= 1


def test_the_rollup_equals_a_recomputation_after_a_mix_of_changes(nurse):
    call_command("seed_scale", patients=12, stdout=open("/dev/null", "w"))  # noqa: SIM115
    today = timezone.localdate()
    first, last = today - timedelta(days=3 * 365), today + timedelta(days=60)
    assert StewardshipRollup.objects.exists()  # seed_scale ends with rebuild_rollups
    assert _stored() == _from_scratch()
    before = _report(first, last)
    assert before == _live_report(first, last)

    _change_a_mix_of_sessions(nurse)
    changed = _report(first, last)
    assert changed != before  # the changes show at once (their days counted live)
    assert changed == _live_report(first, last)
    assert _stored() != _from_scratch()

    assert rollup.refresh_rollup() > 0
    assert _stored() == _from_scratch()
    assert _report(first, last) == changed
    rollup.refresh_rollup()  # idempotent
    assert _stored() == _from_scratch()

    later = timezone.now() + rollup.REFRESH_MARGIN + timedelta(minutes=1)
    rollup.refresh_rollup(now=later)
    assert rollup.changed_days(StewardshipRollup.objects.get().counted_until) == set()
    assert _report(first, last) == changed  # read from the roll-up alone


def test_the_rebuild_command_and_a_first_refresh_write_the_rollup_from_scratch(nurse):
    call_command("seed_scale", patients=12, stdout=open("/dev/null", "w"))  # noqa: SIM115
    StewardshipDay.objects.all().delete()
    call_command("rebuild_rollups", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert StewardshipRollup.objects.count() == 1
    assert _stored() == _from_scratch() != set()
    StewardshipDay.objects.all().delete()
    StewardshipRollup.objects.all().delete()
    assert rollup.refresh_rollup() > 0  # none yet: every day counted
    assert _stored() == _from_scratch()
