"""The authorization dashboard shows each panel's count and one page of it, most urgent first,
filtered by patient or payer (a real centre has thousands of rows): the pages, read one after the
other, are exactly the panels' full lists (``selectors.dashboard``, ``sessions_not_covered``)."""

import pytest
from django.utils import timezone

from authorizations import selectors
from infusions.schedule import uncovered_sessions as infusion_selectors
from infusions.schedule.uncovered_sessions import sessions_not_covered
from tests.authorizations.factories import session
from tests.authorizations.test_views import _dashboard_rows

pytestmark = pytest.mark.django_db
DASHBOARD = "/orders/authorizations/"
PER_PAGE = 3
ROWS = 7


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(selectors, "DASHBOARD_PER_PAGE", PER_PAGE)
    monkeypatch.setattr(infusion_selectors, "UNCOVERED_PER_PAGE", PER_PAGE)


def _rows(page: str, testid: str) -> list[str]:
    """The text of each row with ``data-testid=testid``, in order."""
    import re

    return re.findall(rf'data-testid="{testid}">(.*?)</tr>', page, re.S)


def _covered_sessions(today):
    """A covered session for each order with an approval: cycle 1, inside the approval."""
    from authorizations.models import Authorization

    for authorization in Authorization.objects.filter(status="approved"):
        order = authorization.order
        session(order, 1, 1, order.start_date)


def test_each_panel_shows_its_count_and_pages_that_add_up_to_the_full_list(
    authadmin, client_for, clinician, today, small_pages
):
    _dashboard_rows(clinician, today, ROWS)
    _covered_sessions(today)
    client = client_for(authadmin)
    full = selectors.dashboard(today)
    uncovered = sessions_not_covered(today)
    expected = {
        "awaiting": [row.authorization.order.number for row in full.awaiting],
        "renewals": [row.order.number for row in full.renewals],
        "denials": [a.order.number for a in full.denials],
        "uncovered": [row.session.order.number for row in uncovered],
    }
    testids = {
        "awaiting": "awaiting-row",
        "renewals": "renewal-row",
        "denials": "denial-row",
        "uncovered": "uncovered-row",
    }
    assert all(len(numbers) == ROWS for numbers in expected.values()), expected
    first = client.get(DASHBOARD).content.decode()
    for panel, numbers in expected.items():
        assert f'data-testid="{panel}-count">({ROWS})' in first, panel
        assert f'data-testid="{panel}_page-pages"' in first, panel
        seen = []
        for number in range(1, 4):
            page = client.get(DASHBOARD, {f"{panel}_page": number}).content.decode()
            rows = _rows(page, testids[panel])
            assert len(rows) == min(PER_PAGE, ROWS - (number - 1) * PER_PAGE), (panel, number)
            seen.extend(rows)
        # The same rows in the same order (most urgent first) as the full lists.
        assert len(seen) == ROWS
        for row, order_number in zip(seen, numbers, strict=True):
            assert order_number in row, (panel, row, order_number)
    # Awaiting: the longest waiting first.
    ages = [row.age_days for row in full.awaiting]
    assert ages == sorted(ages, reverse=True)
    # One panel's next page keeps the others' pages and the filter.
    page = client.get(DASHBOARD, {"denials_page": 2, "q": "a"}).content.decode()
    assert "denials_page=2" in page and "awaiting_page=2" in page and "q=a" in page


def test_the_filter_narrows_every_panel_to_the_patient(
    authadmin, client_for, clinician, today, small_pages
):
    _dashboard_rows(clinician, today, 4)
    from authorizations.models import Authorization

    one = Authorization.objects.filter(status="submitted").select_related("patient").first()
    assert one is not None
    page = client_for(authadmin).get(DASHBOARD, {"q": one.patient.mrn}).content.decode()
    for panel, testid in (
        ("awaiting", "awaiting-row"),
        ("renewals", "renewal-row"),
        ("denials", "denial-row"),
        ("uncovered", "uncovered-row"),
    ):
        rows = _rows(page, testid)
        assert len(rows) == 1 and one.order.number in rows[0], panel
        assert f'data-testid="{panel}-count">(1)' in page, panel


def test_the_dashboard_costs_the_same_queries_and_html_for_more_rows(
    authadmin, client_for, clinician, today, small_pages
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(authadmin)
    _dashboard_rows(clinician, today, PER_PAGE)
    client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as few:
        small = client.get(DASHBOARD).content
    _dashboard_rows(clinician, today, 3 * PER_PAGE)
    with CaptureQueriesContext(connection) as many:
        large = client.get(DASHBOARD).content
    assert len(many) <= len(few)
    assert len(large) <= len(small) * 1.05 + 600
