"""Reviews said right (docs/clinical-rules.md 10.2): no review is due before a cycle past the
course's last (the page says the response is reassessed at the course's end instead), and the
review form pre-selects no outcome: response and decision are required choices."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.reviews.models import ResponseReview
from tests.infusions.factories import verified_order

pytestmark = pytest.mark.django_db

REVIEW = {"score": "12", "prednisone_mg_per_day": "10", "notes": ""}


def test_no_review_is_due_past_the_last_cycle_of_the_course(clinician, client_for):
    # A 6-cycle course, cycle 4 starting about now; reviews every 3 cycles (the policy's).
    start = timezone.localdate() - timedelta(days=28 * 3 + 1)
    order = verified_order(start_date=start, cycles=6)
    url = reverse("orders:order-reviews", args=[order.pk])
    client = client_for(clinician)
    page = client.get(url).content.decode()
    due = page.split('data-testid="next-review-due">')[1].split("</dd>")[0]
    assert due.startswith("before cycle 4 of the course")  # within the course: as before
    answer = client.post(
        url,
        {
            **REVIEW,
            "response": "partial",
            "decision": "continue",
            "reviewed_on": timezone.localdate().isoformat(),
        },
    )
    assert answer.status_code == 302
    # Cycles 1-4 started by today; a review covers at most one interval: up to cycle 3.
    assert ResponseReview.objects.get().after_cycle == 3
    page = client.get(url).content.decode()
    due = page.split('data-testid="next-review-due">')[1].split("</dd>")[0]
    assert "cycle 7" not in due  # a 6-cycle course has no cycle 7
    last_on = start + timedelta(days=28 * 5)
    assert due == (
        "none before another cycle: the course has 6 cycles. Reassess the response at the end "
        f"of the course, after cycle 6 (planned from {last_on:%Y-%m-%d})."
    )
    assert ResponseReview.objects.get().due_on == start + timedelta(days=28 * 3)


def test_the_review_form_pre_selects_no_outcome(clinician, client_for):
    start = timezone.localdate() - timedelta(days=28 * 3 + 1)
    order = verified_order(start_date=start, cycles=6)
    url = reverse("orders:order-reviews", args=[order.pk])
    client = client_for(clinician)
    page = client.get(url).content.decode()
    form = page.split('data-testid="review-form"')[1].split("</form>")[0]
    # A browser shows the first option chosen: it is the empty one, for both choices.
    for name, prompt in (("response", "Choose the response"), ("decision", "Choose the decision")):
        select = form.split(f'name="{name}"')[1].split("</select>")[0]
        first = select.split("<option")[1]
        assert first.startswith(f' value="" selected>{prompt}</option>'), first
        assert select.count(" selected>") == 1
    answer = client.post(url, {**REVIEW, "reviewed_on": timezone.localdate().isoformat()})
    assert answer.status_code == 400
    text = answer.content.decode()
    assert text.count("This field is required.") == 2  # the response and the decision
    assert not ResponseReview.objects.exists()


def test_the_page_reads_the_course_s_versions_once_per_question(clinician, client_for):
    # The review status and the version in force each read the versions (the status's two
    # cycle dates reuse its read); once more would be the page asking the same thing again.
    order = verified_order(start_date=timezone.localdate(), cycles=6)
    client = client_for(clinician)
    url = reverse("orders:order-reviews", args=[order.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    versions = [q for q in captured if '"orders_order"."revision" ASC' in q["sql"]]
    assert len(versions) <= 2
