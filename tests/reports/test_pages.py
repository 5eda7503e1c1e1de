"""The course chart on the patient page and the stewardship report, through their URLs
(docs/clinical-rules.md 10.4, 10.5)."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from infusions.models import AdministrationEntry, SessionStatus
from ivig.engine import dose_plan_to_json
from orders.dose_plans.plan_accessor import order_plan
from orders.labs.models import LabTest
from orders.labs.services import lab_result_record
from orders.reviews.services import review_record
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db


def signed(order, clinician):
    """Freeze the engine's plan on the order as signing does."""
    order.plan_at_signing = dose_plan_to_json(order_plan(order, as_of=timezone.localdate()).plan)
    order.signed_by = clinician
    order.save()
    return order


def completed_day(order, chair, nurse, *, day_number, grams=None, reaction=False):
    start = yesterday_at("08:00") - timedelta(days=5 - day_number)
    session = session_for(
        order, chair, start, by=nurse, status=SessionStatus.COMPLETED, day_number=day_number
    )
    if reaction:
        AdministrationEntry.objects.create(
            session=session,
            kind="adverse_event",
            occurred_at=start + timedelta(minutes=40),
            recorded_by=nurse,
            symptoms=["headache"],
            severity="mild",
        )
    if grams is not None:
        AdministrationEntry.objects.create(
            session=session,
            kind="completed",
            occurred_at=start + timedelta(hours=3),
            recorded_by=nurse,
            volume_ml=Decimal(grams) * 10,
            grams_given=Decimal(grams),
        )
    return session


@pytest.fixture
def course(clinician, nurse):
    order = signed(
        verified_order(start_date=timezone.localdate() - timedelta(days=5), cycles=6),
        clinician,
    )
    chair = ChairFactory.create()
    for day in range(1, 6):
        completed_day(
            order,
            chair,
            nurse,
            day_number=day,
            grams=None if day == 5 else "27.5",
            reaction=day == 2,
        )
    review_record(
        order,
        by=clinician,
        reviewed_on=timezone.localdate(),
        score=Decimal("31"),
        prednisone_mg_per_day=Decimal("15"),
        response="partial",
        decision="continue",
    )
    return order


def test_the_patient_page_charts_the_course_with_the_same_data_as_its_table(
    course, nurse, client_for
):
    page = client_for(nurse).get(reverse("orders:patient-detail", args=[course.patient_id]))
    html = page.content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    table = html[html.index('data-testid="course-table"') :]
    drawn = re.findall(r'data-series="([^"]+)" data-date="([^"]+)" data-value="([^"]+)"', svg)
    listed = re.findall(
        r'<tr data-series="([^"]+)" data-date="([^"]+)" data-value="([^"]+)"', table
    )
    assert sorted(drawn) == sorted(listed)
    series = {key for key, _, _ in drawn}
    assert series == {"score-pdai", "prednisone", "ivig", "ivig-given"}
    # IVIg per cycle: the cycle's dose per kg as the order page shows it (the plan accessor).
    plan = order_plan(course, as_of=timezone.localdate()).plan
    assert plan.cycle_dose_g_per_kg is not None and plan.dosing_weight_kg is not None
    ivig = [value for key, _, value in drawn if key == "ivig"]
    assert ivig == [f"{plan.cycle_dose_g_per_kg.normalize():f}"]
    # Given: the grams of the completed sessions (the planned day where none is recorded).
    assert plan.daily_dose_g is not None
    expected = (4 * Decimal("27.5") + plan.daily_dose_g) / plan.dosing_weight_kg
    given = [value for key, _, value in drawn if key == "ivig-given"]
    assert given == [f"{expected.quantize(Decimal('0.01')).normalize():f}"]
    assert "5 of 5 days given" in html
    assert 'data-marker="reaction"' in svg and 'data-marker="cotherapy"' in svg
    assert "Co-therapy: mycophenolate" in html


def test_the_titres_are_charted_on_the_same_axis_and_listed_in_the_table(
    course, clinician, nurse, client_for
):
    """docs/clinical-rules.md 10.4: anti-desmoglein 1 and 3, BP180 and BP230 on the chart with
    the score, prednisone and IVIg; the table carries the same points."""
    today = timezone.localdate()
    patient = course.patient
    tests = {test.code: test for test in LabTest.objects.filter(code__in=["L-DSG3", "L-BP180"])}
    lab_result_record(
        patient,
        by=clinician,
        test=tests["L-DSG3"],
        taken_on=today - timedelta(days=30),
        value="212.5",
    )
    lab_result_record(
        patient, by=nurse, test=tests["L-DSG3"], taken_on=today - timedelta(days=2), value="96"
    )
    lab_result_record(
        patient,
        by=nurse,
        test=tests["L-BP180"],
        taken_on=today - timedelta(days=2),
        value="5",
        below_detection_limit=True,
    )
    html = client_for(nurse).get(reverse("orders:patient-detail", args=[patient.pk])).content
    html = html.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    table = html[html.index('data-testid="course-table"') :]
    drawn = re.findall(r'data-series="([^"]+)" data-date="([^"]+)" data-value="([^"]+)"', svg)
    listed = re.findall(
        r'<tr data-series="([^"]+)" data-date="([^"]+)" data-value="([^"]+)"', table
    )
    assert sorted(drawn) == sorted(listed)
    titres = sorted((key, day, value) for key, day, value in drawn if key.startswith("titre-"))
    assert titres == [
        ("titre-bp180", (today - timedelta(days=2)).isoformat(), "5"),
        ("titre-dsg3", (today - timedelta(days=30)).isoformat(), "212.5"),
        ("titre-dsg3", (today - timedelta(days=2)).isoformat(), "96"),
    ]
    assert {key for key, _, _ in drawn} >= {"score-pdai", "prednisone", "ivig"}
    assert "Anti-desmoglein 3 titre" in table and "U/mL" in table
    assert "below the detection limit (&lt; 5)" in table
    assert "212.500" not in html and "96.000" not in html  # no trailing zeros


def test_stewardship_report_for_pharmacists(course, pharmacist, clinician, client_for):
    url = reverse("reports:stewardship")
    assert client_for(clinician).get(url).status_code == 403
    page = client_for(pharmacist).get(url)
    html = page.content.decode()
    assert page.status_code == 200
    row = re.search(
        r"<td>Pemphigus vulgaris</td><td>Privigen</td><td>dr-test</td>"
        r'<td class="num">(\d+)</td><td class="num">([\d.,]+)</td>',
        html,
    )
    planned_day = Decimal(course.plan_at_signing["cycle_dose_g"]) / 5
    assert row and row.group(1) == "5"
    assert Decimal(row.group(2)) == (4 * Decimal("27.5") + planned_day).quantize(Decimal("0.01"))
    assert "1 recorded, 1 on time" in html
    saved = re.search(r'data-testid="saved-weight">([\d.,]+) g', html)
    assert saved and Decimal(saved.group(1)) > 0  # dosed on the adjusted body weight


def test_stewardship_csv(course, pharmacist, client_for):
    today = timezone.localdate()
    response = client_for(pharmacist).get(
        reverse("reports:stewardship-csv"),
        {"date_from": (today - timedelta(days=40)).isoformat(), "date_to": today.isoformat()},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["month", "indication", "product", "prescriber", "sessions", "grams"]
    assert sum(int(r[4]) for r in rows[1:]) == 5
    empty = client_for(pharmacist).get(
        reverse("reports:stewardship-csv"),
        {"date_from": "2020-01-01", "date_to": "2020-02-01"},
    )
    assert len(list(csv.reader(io.StringIO(empty.content.decode())))) == 1


def test_stewardship_queries_do_not_grow_with_the_data(clinician, nurse, pharmacist, client_for):
    client = client_for(pharmacist)
    url = reverse("reports:stewardship")
    chair = ChairFactory.create()

    def add_courses(count):
        for _ in range(count):
            order = signed(verified_order(), clinician)
            completed_day(order, chair, nurse, day_number=1, grams="20")

    add_courses(1)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add_courses(4)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
    # The period's roll-up state (its row and the sessions changed since) is read once for the
    # grams and the savings alike.
    assert len([q for q in many if 'FROM "reports_stewardshiprollup"' in q["sql"]]) == 1
    patient_url = reverse("orders:patient-detail", args=[1])
    assert patient_url  # the patient page's own query test lives with the orders app


def test_a_reversed_period_is_refused_on_the_form(pharmacist, client_for):
    page = client_for(pharmacist).get(
        reverse("reports:stewardship"), {"date_from": "2027-02-01", "date_to": "2027-01-01"}
    )
    assert "The period starts after it ends." in page.content.decode()


def test_the_chart_plans_its_orders_in_queries_that_do_not_grow_with_them(
    clinician, nurse, client_for
):
    """The course chart plans each order charted (the plan accessor's, as the order page shows
    it) on facts read for all of them at once (orders/dose_plans/plan_facts.py): a patient's
    page with three orders charted costs the queries of one."""
    chair = ChairFactory.create()
    first = signed(verified_order(), clinician)
    completed_day(first, chair, nurse, day_number=1, grams="20")
    client = client_for(clinician)
    url = reverse("orders:patient-detail", args=[first.patient_id])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for day_number in (2, 3):  # one session a day
        other = signed(verified_order(patient=first.patient), clinician)
        completed_day(other, chair, nurse, day_number=day_number, grams="20")
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    assert len(three) == len(one)
