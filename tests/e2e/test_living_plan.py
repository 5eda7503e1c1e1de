"""docs/clinical-rules.md 3.9 in Chromium: after the patient's record changes, the nurse sees the
new stop on the session page, told who must act, and cannot start the infusion.

The order and its session are made in the database (the booking journey is test_infusions.py);
the session runs in a zone where it is mid-morning now, as there.
"""

from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from infusions.models import InfusionSession, SessionStatus
from ivig.engine import FINDING_TITLES
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

from .conftest import journey
from .test_infusions import mid_morning_zone, minutes_ago, record


@journey
def test_a_new_stop_after_verification_blocks_the_start(page, sign_in, nurse, settings):
    settings.TIME_ZONE = mid_morning_zone()
    chair = ChairFactory.create(name="Chair 1")
    order = verified_order(
        start_date=timezone.localdate(),
        status=OrderStatus.ACTIVE,
        findings_at_signing=[],
        signed_weight_kg=Decimal("82.5"),
    )
    session = session_for(order, chair, local(timezone.localdate(), "07:30"), by=nurse)
    patient = order.patient
    patient.iga_status = "deficient_with_antibodies"
    patient.save()

    sign_in(nurse)
    page.goto(f"/infusions/sessions/{session.pk}/")
    expect(page.get_by_test_id("findings-now")).to_contain_text(
        FINDING_TITLES["IGA_DEFICIENCY_WITH_ANTIBODIES"]
    )
    expect(page.get_by_test_id("new-finding-IGA_DEFICIENCY_WITH_ANTIBODIES")).to_be_visible()
    expect(page.get_by_test_id("blockers")).to_contain_text("A clinician must revise the order")

    record(page, "started", {}, when=minutes_ago(10))
    expect(page.get_by_test_id("session-status")).to_have_text("Booked")
    assert InfusionSession.objects.get(pk=session.pk).status == SessionStatus.BOOKED
