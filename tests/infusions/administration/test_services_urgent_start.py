"""Urgent orders at the chair, rules v3 (docs/clinical-rules.md 3.10): an urgent order's first
cycle starts with no approval on file (noted on its retrospective authorization, and in the
stewardship report); a non-urgent order still cannot start, nor can the urgent order's second
cycle."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from authorizations.models import Authorization, AuthorizationStatus
from authorizations.services import authorization_open_retrospective
from infusions.administration.services import session_start_blockers
from orders.models import Indication, OrderStatus
from tests.authorizations.factories import approved
from tests.infusions.factories import ChairFactory, local, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db


def _unapproved(**overrides):
    """A verified order signed with no findings, with the factory's approval removed."""
    order = verified_order(
        status=OrderStatus.ACTIVE,
        findings_at_signing=[],
        signed_weight_kg=Decimal("82.5"),
        **overrides,
    )
    Authorization.objects.filter(order=order).delete()
    return order


def _start(client, session):
    start = yesterday_at("09:30").astimezone(timezone.get_current_timezone())
    return client.post(
        reverse("infusions:session-record", args=[session.pk]),
        {"kind": "started", "occurred_at": start.strftime("%Y-%m-%dT%H:%M"), "rate_ml_per_h": "20"},
    )


def test_an_urgent_ten_order_starts_without_approval_and_a_routine_one_cannot(
    client_for, nurse, pharmacist
):
    ten = Indication.objects.get(slug="toxic-epidermal-necrolysis")
    urgent = _unapproved(
        indication=ten, urgent=True, urgent_reason="TEN, 30 % BSA", concomitant_immunosuppressant=""
    )
    routine = _unapproved()
    authorization_open_retrospective(by=pharmacist, order=urgent)  # as verification does
    urgent_session = session_for(urgent, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    routine_session = session_for(routine, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    client = client_for(nurse)

    refused = _start(client, routine_session)
    assert refused.status_code == 200
    assert "No authorization covers cycle 1" in refused.content.decode()
    routine_session.refresh_from_db()
    assert routine_session.status == "booked"

    started = _start(client, urgent_session)
    assert started.status_code == 302, started.content.decode()[:2000]
    urgent_session.refresh_from_db()
    assert urgent_session.status == "in_progress"
    retrospective = Authorization.objects.get(order=urgent)
    assert retrospective.status == AuthorizationStatus.RETROSPECTIVE_DUE
    assert "Urgent start" in retrospective.notes and "cycle 1" in retrospective.notes
    # the audit trail: the authorization's history holds the change, by the nurse
    assert retrospective.history.filter(history_user=nurse).exists()


def test_the_urgent_orders_second_cycle_needs_an_approval(nurse):
    ten = Indication.objects.get(slug="toxic-epidermal-necrolysis")
    urgent = _unapproved(indication=ten, urgent=True, urgent_reason="TEN", cycles=2)
    second = session_for(
        urgent,
        ChairFactory.create(),
        local(urgent.start_date + timedelta(days=28), "09:00"),
        by=nurse,
        cycle_number=2,
    )
    assert any("No authorization covers cycle 2" in b for b in session_start_blockers(second))


def test_urgent_starts_are_in_the_stewardship_report(client_for, nurse, pharmacist):
    ten = Indication.objects.get(slug="toxic-epidermal-necrolysis")
    urgent = _unapproved(indication=ten, urgent=True, urgent_reason="TEN")
    session = session_for(urgent, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    assert _start(client_for(nurse), session).status_code == 302
    day = timezone.localdate() - timedelta(days=1)
    page = client_for(pharmacist).get(
        reverse("reports:stewardship"), {"date_from": day.isoformat(), "date_to": day.isoformat()}
    )
    summary = page.content.decode()
    summary = summary[summary.index('data-testid="urgent-starts"') :][:400]
    assert urgent.number in summary and "Toxic epidermal necrolysis" in summary


def test_an_urgent_first_cycle_an_approval_covers_is_no_urgent_start(client_for, nurse):
    """An approval that covers the session (its cycle by number, the session's own day within the
    approval's dates, the last of them) makes the start an ordinary one: nothing is noted on the
    order's authorizations. Cycle 1 was planned ten to six days ago and is given yesterday, a
    day that is not one of its planned days, so the cycle is found by its number, not by the
    day; and the approval ended yesterday, so it is the session's day that is judged, not
    today."""
    ten = Indication.objects.get(slug="toxic-epidermal-necrolysis")
    today = timezone.localdate()
    urgent = _unapproved(
        indication=ten,
        urgent=True,
        urgent_reason="TEN, 30 % BSA",
        concomitant_immunosuppressant="",
        start_date=today - timedelta(days=10),
    )
    yesterday = today - timedelta(days=1)
    approved(
        urgent,
        valid_from=today - timedelta(days=12),
        valid_to=yesterday,
        cycles=6,
        grams=100000,
        decided=yesterday,
    )
    session = session_for(urgent, ChairFactory.create(), yesterday_at("09:00"), by=nurse)

    assert _start(client_for(nurse), session).status_code == 302
    session.refresh_from_db()
    assert session.status == "in_progress"
    notes = list(Authorization.objects.filter(order=urgent).values_list("notes", flat=True))
    assert notes and not any("Urgent start" in note for note in notes)
