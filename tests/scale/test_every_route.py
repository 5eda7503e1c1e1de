"""Every GET route, found in the URL configuration (``tests/routes.py``, not listed here), costs no
more queries and no more HTML when the centre has three times the patients: the same pages (the
busiest order of the small centre, its patient, session, authorization…) read by the same role,
at ``SMALL`` and then ``LARGE`` patients seeded by ``seed_scale`` (with their history: three
years of sessions, authorizations). A route added tomorrow is measured the day it is added.

Lists are read at five rows a page (every ``Paginator``, the API's page size and the FHIR
searches' default ``_count``), so that both sizes fill a page and a page that is not bounded
shows it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import interop.fhir
from infusions.feeds.services import calendar_token_rotate
from infusions.models import AdministrationEntry
from ivig.accounts.models import User
from ivig.api import pagination
from ivig.notifications.models import Kind
from ivig.notifications.services import notify
from orders.labs.background import lab_import_queue
from orders.models import Order
from tests.infusions.factories import ChairFactory, local, session_for, verified_order
from tests.routes import all_routes, busiest_fixtures

SMALL, LARGE = 60, 200
PAGE = 5
ROLES = ("scale-clinician", "scale-pharmacist", "scale-nurse", "scale-authadmin")

# Routes known to grow with the centre, each with why; the test fails when one of them stops
# growing (take it off the list) as well as when any other route grows.
KNOWN_GROWING: dict[str, str] = {
    "infusions:feed-unit": "the unit's calendar feed holds every session of its window",
    "infusions:feed-chair": "a chair's calendar feed holds every session of its window",
    "infusions:schedule": "today's chairs fill with sessions up to their opening hours",
    "reports:stewardship-csv": "a row per month, indication, product and prescriber",
    # Bounded (tests/authorizations/test_dashboard_pages.py, every panel filled at both sizes):
    # at SMALL no approval runs out yet, so its panel's first page first fills at LARGE.
    "authorizations:authorizations": "the renewals panel is empty at the small size",
}


@pytest.fixture
def five_rows_a_page(monkeypatch):
    original = Paginator.__init__

    def bounded(self, object_list, per_page, *args, **kwargs):
        original(self, object_list, min(int(per_page), PAGE), *args, **kwargs)

    monkeypatch.setattr(Paginator, "__init__", bounded)
    monkeypatch.setattr(pagination.BoundedLimitOffsetPagination, "default_limit", PAGE)
    monkeypatch.setattr(interop.fhir, "DEFAULT_COUNT", PAGE)


def _seed(patients: int) -> None:
    call_command("seed_scale", patients=patients, stdout=open("/dev/null", "w"))  # noqa: SIM115


def _reaction_and_notification(nurse: User, clinician: User) -> None:
    """What ``seed_scale`` does not make: a reaction recorded on a session (through the record
    page, as a nurse records one), a notification and a background lab import."""
    order = verified_order(status="active")
    yesterday = timezone.localdate() - timedelta(days=1)
    session = session_for(order, ChairFactory.create(), local(yesterday, "09:00"), by=nurse)
    client = Client()
    client.force_login(nurse)
    url = reverse("infusions:session-record", args=[session.pk])
    for clock, data in (
        ("09:30", {"kind": "started"}),
        (
            "09:50",
            {
                "kind": "adverse_event",
                "symptoms": ["fever"],
                "severity": "moderate",
                "action": "Stopped; paracetamol given",
            },
        ),
    ):
        moment = timezone.localtime(local(yesterday, clock)).strftime("%Y-%m-%dT%H:%M")
        assert client.post(url, {"occurred_at": moment, **data}).status_code == 302
    assert AdministrationEntry.objects.filter(kind="adverse_event").exists()
    busiest = Order.objects.order_by("pk").first()
    assert busiest is not None
    notify(
        recipient=clinician,
        subject=busiest,
        kind=Kind.REASSESSMENT_DUE,
        due_date=timezone.localdate(),
        title="Reassessment due",
    )
    lab_import_queue(
        "mrn,loinc,taken_on,value,unit\n", by=clinician, file_name="", size_bytes=1, rows=0
    )


def _cost(client: Client, path: str) -> tuple[int, int, int]:
    """(status, queries, bytes) of a GET after a first one (sessions and caches warm): the
    fewer of two reads, so that nothing passing (a session row touched, a cache refilled) is
    taken for growth."""
    client.get(path)
    seen = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        seen.append((response.status_code, len(queries), len(response.content)))
    return min(seen)


@pytest.mark.django_db
def test_no_get_route_costs_more_queries_or_html_with_more_patients(five_rows_a_page):
    _seed(SMALL)
    clients = {}
    for username in ROLES:
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    _reaction_and_notification(
        User.objects.get(username="scale-nurse"), User.objects.get(username="scale-clinician")
    )
    token = calendar_token_rotate(User.objects.get(username="scale-nurse"))
    fixtures = busiest_fixtures(calendar_token=token)

    routes = all_routes()
    assert len(routes) > 60 and {"authorizations:authorizations", "schema"} <= {
        route.name for route in routes
    }
    unfilled = [route.route for route in routes if route.fill(fixtures) is None]
    assert not unfilled, f"no id to fill these routes with: {unfilled}"

    small: dict[str, tuple[str, str, int, int]] = {}
    unreadable = []
    for route in routes:
        path = route.fill(fixtures)
        assert path is not None
        for username in ROLES:
            status, queries, size = _cost(clients[username], path)
            if status == 200:
                small[route.name] = (path, username, queries, size)
                break
        else:
            unreadable.append(route.name)
    # The forms that only take a POST, and nothing else.
    assert len(small) >= 60, sorted(small)
    for name in ("authorizations:authorizations", "reports:stewardship", "schema"):
        assert name in small, f"{name} not read by any role"

    _seed(LARGE)
    growing = {}
    for name, (path, username, queries, size) in small.items():
        status, big_queries, big_size = _cost(clients[username], path)
        assert status == 200, (path, username, status)
        # Names and numbers get a digit or two longer; rows are not added.
        if big_queries > queries or big_size > size * 1.05 + 400:
            growing[name] = f"{path}: {queries} -> {big_queries} queries, {size} -> {big_size} B"
    unexpected = {name: why for name, why in growing.items() if name not in KNOWN_GROWING}
    assert not unexpected, "\n".join(["growing:", *unexpected.values()])
    fixed = sorted(set(KNOWN_GROWING) - set(growing))
    assert not fixed, f"no longer growing, take them off KNOWN_GROWING: {fixed}"
