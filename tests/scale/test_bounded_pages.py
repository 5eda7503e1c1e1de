"""A real centre's size: no page or list costs more queries, or more HTML than its page size
allows, when the centre has more patients (seeded by ``seed_scale`` at two sizes)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from authorizations import views as authorization_views
from infusions.booking import views as booking_views
from infusions.schedule import views as infusion_views
from ivig.accounts.models import User
from orders import views as order_views
from orders.models import Order, OrderStatus
from orders.patients import views as patient_views
from orders.patients.selectors import PATIENT_MATCHES, patient_matches

SMALL, LARGE = 40, 120
PAGE = 5
FAR_DAY = "2035-01-01"  # no sessions: the schedule shows the bounded "Cycles to book" only

PAGES = [
    ("scale-nurse", f"/infusions/?date={FAR_DAY}"),
    ("scale-nurse", f"/infusions/?date={FAR_DAY}&view=week"),
    ("scale-clinician", "/orders/new/"),
    ("scale-clinician", "/orders/new/?patient_q=Smith"),
    ("scale-pharmacist", "/orders/verification/"),
    ("scale-clinician", "/orders/"),
    ("scale-clinician", "/orders/patients/"),
    ("scale-clinician", f"/api/v1/orders/?limit={PAGE}"),
    ("scale-nurse", f"/api/v1/infusion-sessions/?limit={PAGE}"),
    ("scale-clinician", "/orders/authorizations/all/"),
    ("scale-clinician", "/orders/authorizations/all/?status=approved"),
    ("scale-clinician", f"/api/v1/authorizations/?limit={PAGE}"),
]


@pytest.fixture
def small_pages(monkeypatch):
    for module, name in (
        (order_views, "ORDERS_PER_PAGE"),
        (order_views, "QUEUE_PER_PAGE"),
        (patient_views, "PATIENTS_PER_PAGE"),
        (booking_views, "TO_BOOK_PER_PAGE"),
        (authorization_views, "PER_PAGE"),
    ):
        monkeypatch.setattr(module, name, PAGE)


def _measure(size: int, django_assert_max_num_queries) -> dict[str, tuple[int, int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("seed_scale", patients=size, stdout=open("/dev/null", "w"))  # noqa: SIM115
    seen = {}
    for username, path in PAGES:
        client = Client()
        client.force_login(User.objects.get(username=username))
        client.get(path)  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, path
        seen[path] = (len(queries), len(response.content))
    return seen


@pytest.mark.django_db
def test_no_page_costs_more_queries_or_html_with_more_patients(
    small_pages, django_assert_max_num_queries
):
    small = _measure(SMALL, django_assert_max_num_queries)
    large = _measure(LARGE, django_assert_max_num_queries)
    for path, (queries, size) in small.items():
        big_queries, big_size = large[path]
        assert big_queries <= queries, f"{path}: {queries} then {big_queries} queries"
        # Names and numbers get a digit or two longer; rows are not added.
        assert big_size <= size * 1.05 + 400, f"{path}: {size} then {big_size} bytes"
    for username, path in PAGES:  # and the bound holds as an assertion of its own
        client = Client()
        client.force_login(User.objects.get(username=username))
        client.get(path)
        with django_assert_max_num_queries(small[path][0]):
            client.get(path)


@pytest.mark.django_db
def test_the_order_form_lists_no_patient_until_searched_and_then_at_most_twenty():
    call_command("seed_scale", patients=60, stdout=open("/dev/null", "w"))  # noqa: SIM115
    client = Client()
    client.force_login(User.objects.get(username="scale-clinician"))
    page = client.get("/orders/new/").content.decode()
    assert "SC000" not in page  # no patient listed before a search
    options = client.get("/orders/new/patients/", {"patient_q": "SC"}).content.decode()
    assert options.count("<option") == PATIENT_MATCHES + 1
    assert len(patient_matches("SC")) == PATIENT_MATCHES
    one = Order.objects.filter(patient__mrn="SC0000003").first()
    assert one is not None
    chosen = client.get("/orders/new/", {"patient": one.patient_id}).content.decode()
    assert 'type="hidden" name="patient"' in chosen and "SC0000004" not in chosen


@pytest.mark.django_db
def test_the_plan_figures_follow_the_stored_plan(clinician, pharmacist):
    call_command("seed_scale", patients=12, stdout=open("/dev/null", "w"))  # noqa: SIM115
    order = Order.objects.filter(status=OrderStatus.VERIFIED).exclude(plan_at_signing=None).first()
    assert order is not None and order.plan_at_signing
    days = [day for cycle in order.plan_at_signing["cycles"] for day in cycle["days"]]
    assert str(order.plan_first_day) == min(days) and str(order.plan_last_day) == max(days)
    assert order.plan_grams_per_cycle == Decimal(order.plan_at_signing["cycle_dose_g"])
    # The plan replaced: the figures follow, also when only the plan is saved.
    plan = dict(order.plan_at_signing, cycle_dose_g="12.5")
    plan["cycles"] = [{"number": 1, "days": ["2030-02-03", "2030-02-04"]}]
    order.plan_at_signing = plan
    order.save(update_fields=["plan_at_signing"])
    order.refresh_from_db()
    assert (str(order.plan_first_day), str(order.plan_last_day)) == ("2030-02-03", "2030-02-04")
    assert order.plan_grams_per_cycle == Decimal("12.5")
    # Cleared (a rejection): no figures.
    order.plan_at_signing = None
    order.save()
    order.refresh_from_db()
    assert (order.plan_first_day, order.plan_last_day, order.plan_grams_per_cycle) == (
        None,
        None,
        None,
    )


def _busiest_day() -> str:
    """The day with the most live sessions (the schedule's worst case)."""
    from django.db.models import Count

    from infusions.models import LIVE_STATUSES, InfusionSession

    busiest = (
        InfusionSession.objects.filter(status__in=LIVE_STATUSES)
        .values("planned_day")
        .annotate(sessions=Count("pk"))
        .order_by("-sessions", "planned_day")
        .first()
    )
    assert busiest is not None
    return str(busiest["planned_day"])


@pytest.mark.django_db
def test_the_schedule_of_a_busy_day_costs_the_same_queries_and_chairs_at_two_sizes(
    small_pages, monkeypatch
):
    """The day and week of the busiest day: as many queries with three times the patients, one
    page of chairs drawn, and "Cycles to book" one indexed query without a join."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from infusions.booking.selectors import cycles_to_book

    monkeypatch.setattr(infusion_views, "CHAIRS_PER_PAGE", 3)
    monkeypatch.setattr(infusion_views, "CHAIRS_PER_WEEK_PAGE", 3)
    seen: dict[str, list[int]] = {}
    day = None
    for size in (SMALL, LARGE):
        call_command("seed_scale", patients=size, stdout=open("/dev/null", "w"))  # noqa: SIM115
        day = day or _busiest_day()
        client = Client()
        client.force_login(User.objects.get(username="scale-nurse"))
        for path in (f"/infusions/?date={day}", f"/infusions/?date={day}&view=week"):
            client.get(path)
            with CaptureQueriesContext(connection) as queries:
                page = client.get(path).content.decode()
            chairs = page.count('class="timeline-chair"') + page.count('<th scope="row">')
            assert 0 < chairs <= 3, f"{path}: {chairs} chairs drawn"
            assert 'data-testid="chair-pages"' in page  # the other chairs a page away
            seen.setdefault(path, []).append(len(queries))
    for path, (small, large) in seen.items():
        assert large <= small, f"{path}: {small} then {large} queries"
    # Read in the order of the stored, indexed next cycle due; the one subquery is whether a
    # newer version is in force, answered by its own partial index (orders 0025), never a join
    # of every order to its successor.
    sql = str(cycles_to_book().query).upper()
    assert sql.count("EXISTS") == 1 and '"SUPERSEDES_ID" = ("ORDERS_ORDER"."ID")' in sql
    assert 'ORDER BY "ORDERS_ORDER"."NEXT_CYCLE_DUE" ASC' in sql
    assert 'JOIN "ORDERS_ORDER"' not in sql


@pytest.mark.django_db
def test_every_seeded_signed_order_has_its_plan_frozen_at_signing():
    """Orders signed up to three years ago (and superseded first versions) are planned with the
    price and the weight of their signing day: the seed dates a price from before the first and
    weighs each patient at the first visit."""
    from formulary.models import ProductPrice

    first_price = ProductPrice.objects.order_by("effective_from").values_list(
        "effective_from", flat=True
    )[0]
    call_command("seed_scale", patients=30, stdout=open("/dev/null", "w"))  # noqa: SIM115
    signed = Order.objects.exclude(signed_at=None)
    earliest = signed.order_by("signed_at").values_list("signed_at", flat=True)[0]
    # Signed before the formulary's own first price:
    assert earliest is not None and earliest.date() < first_price
    assert set(signed.values_list("status", flat=True)) >= {
        OrderStatus.SIGNED,
        OrderStatus.VERIFIED,
        OrderStatus.ACTIVE,
        OrderStatus.COMPLETED,
        OrderStatus.SUPERSEDED,
    }
    assert not signed.filter(plan_at_signing__isnull=True).exists()
    assert not signed.filter(plan_grams_per_cycle=None).exists()
    for findings in signed.values_list("findings_at_signing", flat=True):  # a weight then
        assert not [f for f in findings or [] if f["code"] == "INVALID_INPUT"], findings
        # Signed as signing allows: no stop finding (docs/clinical-rules.md 4).
        assert not [f for f in findings or [] if f["severity"] == "stop"], findings
    for product_id in signed.values_list("product_id", flat=True).distinct():
        assert ProductPrice.objects.filter(
            product_id=product_id, effective_from__lte=earliest.date()
        ).exists()
    # Run again with the same size: nothing changes (no second dated price).
    prices = ProductPrice.objects.count()
    call_command("seed_scale", patients=30, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ProductPrice.objects.count() == prices
