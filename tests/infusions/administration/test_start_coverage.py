"""A session's coverage is judged once (docs/clinical-rules.md 7, 3.8 NO_AUTHORIZATION): the
session page's finding, its "Cannot start" and the start itself all read the session's own
coverage. Before, a covered session of an order with an uncovered later cycle showed "No
insurance authorization… sessions cannot start" and then started."""

import html
import re
from datetime import date

import pytest
from django.test import RequestFactory
from django.urls import reverse

from authorizations.models import Authorization
from infusions.administration import services as administration
from infusions.administration.start_coverage import order_coverage_once
from infusions.errors import InfusionError
from ivig.accounts.recheck import CurrentRequestMiddleware
from orders.models import OrderStatus
from tests.authorizations.factories import approved, make_order
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db


def text(page: bytes) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.decode())))


@pytest.fixture
def order():
    order = verified_order(status=OrderStatus.ACTIVE)
    Authorization.objects.filter(order=order).update(approved_cycles=1)  # cycle 1 only
    return order


def test_a_covered_session_of_a_partly_covered_order_says_nothing_against_its_start(
    order, nurse, client_for
) -> None:
    session = session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    page = client_for(nurse).get(reverse("infusions:session-detail", args=[session.pk]))
    shown = text(page.content)
    assert 'data-testid="finding-NO_AUTHORIZATION"' not in page.content.decode()
    assert "cannot start until one does" not in shown
    assert "This session is covered by an approved authorization." in shown
    administration.session_start(session, by=nurse, at=yesterday_at("09:30"))
    session.refresh_from_db()
    assert session.status == "in_progress"


def test_an_uncovered_session_says_so_and_does_not_start(order, nurse, client_for) -> None:
    session = session_for(
        order, ChairFactory.create(), yesterday_at("09:00"), by=nurse, cycle_number=2
    )
    page = client_for(nurse).get(reverse("infusions:session-detail", args=[session.pk]))
    assert 'data-testid="finding-NO_AUTHORIZATION"' in page.content.decode()
    assert "Not covered:" in text(page.content)
    with pytest.raises(InfusionError) as refused:
        administration.session_start(session, by=nurse, at=yesterday_at("09:30"))
    assert refused.value.code == InfusionError.CANNOT_START


def test_a_request_that_only_reads_keeps_each_orders_own_coverage(clinician) -> None:
    """The coverage a page reads once per request (``order_coverage_once``) is kept per order:
    a second order asked on the same page gets its own, not the first one's."""
    start = date(2027, 3, 1)
    covered = make_order(start_date=start, by=clinician)
    approved(covered, valid_from=start, valid_to=date(2027, 4, 30), cycles=3, grams=240)
    uncovered = make_order(start_date=start, by=clinician)
    answers: list[list[bool]] = []

    def view(request) -> None:
        answers.extend(
            [cycle.covered for cycle in order_coverage_once(order)]
            for order in (covered, uncovered, covered)
        )

    CurrentRequestMiddleware(view)(RequestFactory().get("/"))
    assert answers == [[True, True, True], [False, False, False], [True, True, True]]
