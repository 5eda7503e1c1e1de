"""Response reviews and tapering (docs/clinical-rules.md 10), through the real URLs and the
booking service."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from authorizations.models import Authorization
from formulary.models import DosingPolicy
from infusions.booking import services as booking
from infusions.errors import InfusionError
from orders.models import Indication, OrderStatus
from orders.reviews.models import ResponseReview
from orders.reviews.outcome_measures import measure_for_indication
from orders.reviews.services import review_due_before_cycle, review_record
from orders.reviews.tapering import taper_proposals
from tests.infusions.factories import ChairFactory, verified_order

pytestmark = pytest.mark.django_db

REVIEW = {
    "score": "12",
    "prednisone_mg_per_day": "10",
    "response": "partial",
    "decision": "continue",
    "notes": "",
}


def started_order(cycles_ago: int, **overrides):
    """A verified order whose cycle ``cycles_ago + 1`` starts about now (28-day cycles)."""
    start = timezone.localdate() - timedelta(days=28 * cycles_ago + 1)
    return verified_order(start_date=start, cycles=12, **overrides)


def test_measures_come_from_the_indication():
    measures = dict(Indication.objects.values_list("slug", "outcome_measure"))
    assert measures["pemphigus-vulgaris"] == "pdai"
    assert measures["paraneoplastic-pemphigus"] == "pdai"
    assert measures["bullous-pemphigoid"] == "bpdai"
    assert measures["mucous-membrane-pemphigoid"] == "bpdai"
    assert measures["dermatomyositis"] == "cdasi"
    assert measures["kawasaki-disease"] == "pga"
    assert all(measure_for_indication(slug) == m for slug, m in measures.items())


def test_a_cycle_past_the_interval_is_not_booked_until_reviewed(clinician, nurse):
    order = started_order(3)  # cycles 1 to 3 started, cycle 4 starts tomorrow
    ChairFactory.create()
    assert review_due_before_cycle(order, 3) is None
    with pytest.raises(InfusionError) as refused:
        booking.booking_propose(order, 4)
    assert refused.value.code == "review_due"
    assert "response review is due before cycle 4" in refused.value.message
    review_record(
        order,
        by=clinician,
        reviewed_on=timezone.localdate(),
        score=Decimal(12),
        prednisone_mg_per_day=Decimal(10),
        response="partial",
        decision="continue",
    )
    assert ResponseReview.objects.get().after_cycle == 3
    assert review_due_before_cycle(order, 6) is None
    assert "cycle 7" in (review_due_before_cycle(order, 7) or "")
    slots = booking.booking_propose(order, 4)
    assert len(booking.booking_confirm(order, 4, slots, nurse)) == 5


def test_the_interval_is_the_policys(clinician):
    order = started_order(3)
    DosingPolicy.objects.filter(pk=1).update(review_interval_cycles=4)
    assert review_due_before_cycle(order, 4) is None
    assert review_due_before_cycle(order, 5) is not None


def test_a_late_review_does_not_let_the_course_run_ahead(clinician):
    order = started_order(7)  # 8 cycles planned by today, none reviewed
    review = review_record(
        order,
        by=clinician,
        reviewed_on=timezone.localdate(),
        score=Decimal(3),
        prednisone_mg_per_day=Decimal(5),
        response="complete",
        decision="continue",
    )
    assert review.after_cycle == 3  # not 8
    assert review.due_on == order.start_date + timedelta(days=28 * 3)
    assert review.reviewed_on > review.due_on  # late


def test_clinician_records_a_review_on_the_page(clinician, client_for):
    order = started_order(3)
    url = reverse("orders:order-reviews", args=[order.pk])
    page = client_for(clinician).get(url).content.decode()
    assert "PDAI score (0 to 263)" in page and "before cycle 4 of the course" in page
    response = client_for(clinician).post(
        url, {**REVIEW, "reviewed_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    page = client_for(clinician).get(url).content.decode()
    assert "before cycle 7 of the course" in page and "Partial response" in page


def test_a_score_outside_the_measure_is_refused(clinician, client_for):
    order = started_order(1, indication=Indication.objects.get(slug="kawasaki-disease"))
    url = reverse("orders:order-reviews", args=[order.pk])
    response = client_for(clinician).post(
        url, {**REVIEW, "score": "11", "reviewed_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 400
    assert "A PGA score is between 0 and 10." in response.content.decode()
    assert not ResponseReview.objects.exists()


def test_other_roles_read_but_do_not_record(nurse, pharmacist, client_for):
    order = started_order(1)
    url = reverse("orders:order-reviews", args=[order.pk])
    assert client_for(nurse).get(url).status_code == 200
    assert "review-form" not in client_for(nurse).get(url).content.decode()
    post = {**REVIEW, "reviewed_on": timezone.localdate().isoformat()}
    assert client_for(pharmacist).post(url, post).status_code == 403
    api = reverse("api-order-reviews", args=[order.pk])
    assert client_for(nurse).post(api, post, content_type="application/json").status_code == 403
    assert not ResponseReview.objects.exists()


def test_api_records_and_lists_reviews(clinician, nurse, client_for):
    order = started_order(3)
    api = reverse("api-order-reviews", args=[order.pk])
    created = client_for(clinician).post(
        api,
        {**REVIEW, "reviewed_on": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["after_cycle"] == 3 and created.json()["measure"] == "pdai"
    bad = client_for(clinician).post(
        api,
        {**REVIEW, "score": "300", "reviewed_on": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    listed = client_for(nurse).get(api).json()
    assert [row["score"] for row in listed] == ["12.0"]


def test_the_authorization_page_shows_the_latest_review(clinician, authadmin, client_for):
    order = started_order(3)
    review_record(
        order,
        by=clinician,
        reviewed_on=timezone.localdate(),
        score=Decimal("42.5"),
        prednisone_mg_per_day=Decimal(10),
        response="partial",
        decision="continue",
    )
    authorization = Authorization.objects.get(order=order)
    url = reverse("authorizations:authorization-detail", args=[authorization.pk])
    page = client_for(authadmin).get(url).content.decode()
    assert "Latest response review" in page and "<strong>42.5</strong>" in page


def _two_complete_reviews(order, clinician):
    for days_ago in (30, 0):
        review_record(
            order,
            by=clinician,
            reviewed_on=timezone.localdate() - timedelta(days=days_ago),
            score=Decimal(0),
            prednisone_mg_per_day=Decimal(0),
            response="complete",
            decision="taper",
        )


def test_taper_is_proposed_after_two_complete_responses_and_makes_a_new_version(
    clinician, client_for
):
    order = started_order(3)
    assert taper_proposals(order) == []
    _two_complete_reviews(order, clinician)
    kinds = {p.kind: p.changes for p in taper_proposals(order)}
    assert kinds["interval"]["cycle_interval_days"] == 42
    assert kinds["dose"]["total_dose_g_per_kg"] == Decimal("1.5")
    url = reverse("orders:order-reviews", args=[order.pk])
    assert "Every 6 weeks (42 days)" in client_for(clinician).get(url).content.decode()
    response = client_for(clinician).post(
        reverse("orders:order-taper", args=[order.pk]),
        {"kind": "interval", "version": order.version},
    )
    assert response.status_code == 302
    status = order.status
    order.refresh_from_db()
    assert order.status == status  # in force until the new version is signed
    successor = order.superseded_by
    assert (successor.status, successor.cycle_interval_days) == (OrderStatus.DRAFT, 42)
    assert successor.start_date == order.start_date + timedelta(days=28 * 3 + 42)
    assert successor.cycles == 12 - 4
    assert response["Location"] == reverse("orders:order-detail", args=[successor.pk])


def test_no_taper_after_a_partial_response(clinician):
    order = started_order(3)
    _two_complete_reviews(order, clinician)
    review_record(
        order,
        by=clinician,
        reviewed_on=timezone.localdate(),
        score=Decimal(20),
        prednisone_mg_per_day=Decimal(10),
        response="partial",
        decision="continue",
    )
    assert taper_proposals(order) == []


def test_the_policy_form_sets_the_review_interval(pharmacist, client_for):
    from tests.formulary.test_views import policy_post

    response = client_for(pharmacist).post(
        reverse("formulary:policy"), policy_post(1, review_interval_cycles="4")
    )
    assert response.status_code == 302
    assert DosingPolicy.objects.get().review_interval_cycles == 4
    api = client_for(pharmacist).get("/api/v1/dosing-policy/")
    assert api.json()["review_interval_cycles"] == 4
