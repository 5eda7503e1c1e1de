"""The demo authorizations (docs/clinical-rules.md 7, 9): the nurse's demo order covered exactly for
its whole course, and the authorization admin's dashboard with something in each list;
idempotent."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from authorizations.coverage_rules import order_coverage, planned_cycles
from authorizations.models import Authorization, AuthorizationStatus
from authorizations.selectors import dashboard
from demo.seeding import authorization_requests
from demo.seeding.patients_and_orders import BOOKED_DEMO_MRN, NURSE_DEMO_MRN
from ivig.accounts.models import User
from reminders.sweeps import authorization_follow_ups

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_demo")


def test_every_demo_authorization_once(seeded) -> None:
    statuses = dict(Authorization.objects.values_list("reference_number", "status"))
    assert statuses == {
        "DEMO-PA-COURSE": AuthorizationStatus.APPROVED,
        "DEMO-PA-APPROVED": AuthorizationStatus.APPROVED,
        "DEMO-PA-DENIED": AuthorizationStatus.DENIED,
        "DEMO-PA-SUBMITTED": AuthorizationStatus.SUBMITTED,
        # the demo courses, approved by the sessions seed before their history
        "DEMO-PA-PEMPHIGUS": AuthorizationStatus.APPROVED,
        "DEMO-PA-PEMPHIGOID": AuthorizationStatus.APPROVED,
    }
    call_command("seed_demo")
    assert Authorization.objects.count() == 6
    assert authorization_requests.seed() == ["demo authorizations: already there"]


def test_the_course_approval_covers_exactly_the_nurses_order(seeded) -> None:
    course = Authorization.objects.get(reference_number="DEMO-PA-COURSE")
    order = course.order
    assert order.patient.mrn == NURSE_DEMO_MRN
    cycles = planned_cycles(order)  # from the plan frozen at signing
    assert course.approved_cycles == order.cycles == len(cycles)
    assert course.approved_grams == sum((c.grams or Decimal(0) for c in cycles), Decimal(0)) > 0
    assert (course.valid_from, course.valid_to) == (cycles[0].first_day, cycles[-1].last_day)
    assert course.valid_from == timezone.localdate()
    assert [c.covered for c in order_coverage(order)] == [True] * order.cycles


def test_the_dashboard_has_something_in_each_list(seeded) -> None:
    board = dashboard(timezone.localdate())
    assert [row.authorization.reference_number for row in board.awaiting] == ["DEMO-PA-SUBMITTED"]
    assert [a.reference_number for a in board.denials] == ["DEMO-PA-DENIED"]
    expiring = [r for r in board.renewals if r.expiring]
    assert [r.authorization.reference_number for r in expiring] == ["DEMO-PA-APPROVED"]
    assert expiring[0].order.patient.mrn == BOOKED_DEMO_MRN
    counts = authorization_follow_ups()
    assert counts["awaiting_decision"] == 1 and counts["expiring"] == 1
    admin = User.objects.get(username="authadmin")
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("authorizations:authorizations")).content.decode()
    for reference in ("DEMO-PA-SUBMITTED", "DEMO-PA-DENIED", "DEMO-PA-APPROVED"):
        assert reference in page


def test_skipped_without_debug(settings) -> None:
    settings.DEBUG = False
    assert authorization_requests.seed() == ["demo authorizations skipped: DEBUG is off"]
