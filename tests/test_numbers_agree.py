"""Every screen reads the same numbers (issue 19): for one order and one completed session, each
figure as a person reads it on the order page, the order sheet, the session page, the schedule,
the course chart, the authorization (coverage) page, the stewardship CSV and the API, compared
with the one plan accessor (``orders.dose_plans.plan_accessor.order_plan``) and the one "given so
far" (``infusions.administration.given``).

Pages are fetched through their real URLs and read as text (tags out, entities decoded,
thousands separators dropped), then each number is found next to the words it stands by.
"""

import csv
import html
import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from infusions.administration import services as administration
from infusions.administration.entries import parse_entry
from ivig.engine import DosePlan, dose_plan_to_json
from orders.dose_plans.plan_accessor import order_plan
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db

GRAMS_GIVEN = Decimal("24.5")  # a completion a little under the day's 25 g: not partial
VOLUME_GIVEN = Decimal("245")


def read(response) -> str:
    """The page as a person reads it."""
    assert response.status_code == 200, response.status_code
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r"\s+", " ", text).replace(",", "")


def number(text: str, pattern: str) -> Decimal:
    """The number captured by ``pattern`` (one group) in ``text``."""
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not on the screen"
    return Decimal(found.group(1))


def numbers(text: str, pattern: str) -> list[Decimal]:
    return [Decimal(value) for value in re.findall(pattern, text)]


NUMBER = r"(\d+(?:\.\d+)?)"


@pytest.fixture
def world(clinician, nurse, pharmacist, client_for):
    order = verified_order(status=OrderStatus.ACTIVE)
    order.plan_at_signing = dose_plan_to_json(order_plan(order, as_of=timezone.localdate()).plan)
    order.signed_by = clinician
    order.save()
    session = session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
    plan = order_plan(order, as_of=timezone.localdate()).plan
    assert plan.titration is not None
    started_at = yesterday_at("09:30")
    # The nurse follows the plan: each step's rate at its start minute, so the day's volume is
    # given well before the 20:00 completion (rules v3: the label's first steps are slower).
    entries: list[tuple[str, datetime, dict[str, object]]] = [("started", started_at, {})]
    entries += [
        ("rate_changed", started_at + timedelta(minutes=step.start_min), {
            "rate_ml_per_h": step.rate_ml_per_h
        })
        for step in plan.titration[1:]
    ]  # fmt: skip
    entries.append(
        (
            "completed",
            yesterday_at("20:00"),
            {"volume_ml": VOLUME_GIVEN, "grams_given": GRAMS_GIVEN},
        )
    )
    for kind, occurred_at, data in entries:
        administration.administration_record(
            session, parse_entry({"kind": kind, **data}), by=nurse, occurred_at=occurred_at
        )
    return {
        "order": order,
        "session": session,
        "plan": plan,
        "nurse": client_for(nurse),
        "clinician": client_for(clinician),
        "pharmacist": client_for(pharmacist),
    }


def screens(world) -> dict[str, str]:
    order, session = world["order"], world["session"]
    day = timezone.localtime(session.planned_start).date().isoformat()
    return {
        "order page": read(world["clinician"].get(reverse("orders:order-detail", args=[order.pk]))),
        "order sheet": read(world["clinician"].get(reverse("orders:order-print", args=[order.pk]))),
        "session page": read(
            world["nurse"].get(reverse("infusions:session-detail", args=[session.pk]))
        ),
        "schedule": read(
            world["nurse"].get(reverse("infusions:schedule") + f"?date={day}&window=56")
        ),
        "patient page": read(
            world["clinician"].get(reverse("orders:patient-detail", args=[order.patient_id]))
        ),
        "coverage page": read(
            world["clinician"].get(reverse("authorizations:order-coverage", args=[order.pk]))
        ),
    }


def api(world, name: str, pk: int) -> dict:
    response = world["nurse"].get(reverse(name, args=[pk]))
    assert response.status_code == 200
    return response.json()


def test_daily_dose_and_volume(world) -> None:
    plan: DosePlan = world["plan"]
    assert plan.daily_dose_g is not None and plan.daily_volume_ml is not None
    shown = screens(world)
    dose = {
        "order page": number(shown["order page"], rf"Daily dose \(rounded to vials\) {NUMBER} g"),
        "order sheet": number(shown["order sheet"], rf"Daily dose {NUMBER} g"),
        "session page": number(shown["session page"], rf"Daily dose {NUMBER} g in"),
        "session page (given)": number(
            shown["session page"], rf"of the day's \S+ mL \({NUMBER} g\)"
        ),
        "order API": Decimal(api(world, "api-order-plan", world["order"].pk)["daily_dose_g"]),
        "session API": Decimal(
            api(world, "api-infusion-session-plan", world["session"].pk)["daily_dose_g"]
        ),
    }
    assert set(dose.values()) == {plan.daily_dose_g}, dose
    volume = {
        "order page": number(shown["order page"], rf"Daily volume {NUMBER} mL"),
        "order sheet": number(shown["order sheet"], rf"Volume per day {NUMBER} mL"),
        "session page": number(shown["session page"], rf"g in {NUMBER} mL"),
        "session page (given)": number(shown["session page"], rf"of the day's {NUMBER} mL"),
        "order API": Decimal(api(world, "api-order-plan", world["order"].pk)["daily_volume_ml"]),
        "session API": Decimal(
            api(world, "api-infusion-session-plan", world["session"].pk)["daily_volume_ml"]
        ),
    }
    assert set(volume.values()) == {plan.daily_volume_ml}, volume


def test_rates_and_steps(world) -> None:
    plan: DosePlan = world["plan"]
    assert plan.titration
    rates = [Decimal(step.rate_ml_per_h) for step in plan.titration]
    shown = screens(world)
    order_page = shown["order page"].split("Titration", 1)[1].split("Cycles", 1)[0]
    sheet = shown["order sheet"].split("Titration and vital signs", 1)[1].split("Vital signs at")[0]
    session_page = shown["session page"].split("Rate (mL/h) Minutes Volume (mL)", 1)[1]
    session_page = session_page.split("Vital signs at")[0]
    seen = {
        "order page": numbers(order_page, rf"{NUMBER} mL/h"),
        "order sheet": numbers(sheet, rf"{NUMBER} mL/h"),
        "session page": [
            Decimal(rate) for _, rate in re.findall(r"(\d\d:\d\d) (\d+) ", session_page)
        ],
        "order API": [
            Decimal(step["rate_ml_per_h"])
            for step in api(world, "api-order-plan", world["order"].pk)["titration"]
        ],
        "session API": [
            Decimal(step["rate_ml_per_h"])
            for step in api(world, "api-infusion-session-plan", world["session"].pk)["steps"]
        ],
    }
    for screen, found in seen.items():
        assert found == rates, (screen, found, rates)


def test_infusion_minutes(world) -> None:
    plan: DosePlan = world["plan"]
    assert plan.infusion_minutes is not None
    shown = screens(world)
    start, end = re.search(
        r"Infusion from (\d\d:\d\d) to (\d\d:\d\d)", shown["session page"]
    ).groups()  # type: ignore[union-attr]

    def minutes(clock: str) -> int:
        hours, mins = clock.split(":")
        return int(hours) * 60 + int(mins)

    found = {
        "order page": number(shown["order page"], rf"Infusion time {NUMBER} min"),
        "order sheet": number(shown["order sheet"], rf"Infusion time {NUMBER} min"),
        "session page": Decimal(minutes(end) - minutes(start)),
        "order API": Decimal(api(world, "api-order-plan", world["order"].pk)["infusion_minutes"]),
    }
    assert set(found.values()) == {Decimal(plan.infusion_minutes)}, found


def test_cycle_dose_per_kg(world) -> None:
    """The course chart drew one day's grams as "IVIg per cycle 0.4 g/kg" for a 2 g/kg cycle."""
    plan: DosePlan = world["plan"]
    assert plan.cycle_dose_g_per_kg is not None
    shown = screens(world)
    found = {
        "order page": number(shown["order page"], rf"Dose per cycle \S+ g \({NUMBER} g/kg\)"),
        "order sheet": number(shown["order sheet"], rf"Dose per cycle \S+ g \({NUMBER} g/kg\)"),
        "course chart": number(shown["patient page"], rf"IVIg per cycle {NUMBER} g/kg"),
        "order API": Decimal(
            api(world, "api-order-plan", world["order"].pk)["cycle_dose_g_per_kg"]
        ),
    }
    assert set(found.values()) == {plan.cycle_dose_g_per_kg}, found


def test_grams_given(world) -> None:
    shown = screens(world)
    session = world["session"]
    day = timezone.localtime(session.planned_start).date()
    response = world["pharmacist"].get(
        reverse("reports:stewardship-csv")
        + f"?date_from={(day - timedelta(days=1)).isoformat()}&date_to={day.isoformat()}"
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    found = {
        "session page": number(shown["session page"], rf"Completed: \S+ mL \({NUMBER} g\)"),
        "session record": number(shown["session page"], rf"mL {NUMBER} g given\."),
        "course chart": number(shown["patient page"], rf"days? given {NUMBER} g"),
        "stewardship CSV": sum((Decimal(row["grams"]) for row in rows), Decimal(0)),
        "session API": Decimal(
            api(world, "api-infusion-session-plan", session.pk)["given"]["grams"]
        ),
    }
    assert set(found.values()) == {GRAMS_GIVEN}, found
    assert "Completed: partial dose" not in shown["session page"]
    assert "Completed: partial dose" not in shown["schedule"]


def test_grams_per_cycle_and_dispensed(world) -> None:
    plan: DosePlan = world["plan"]
    assert plan.cycle_dose_g is not None and plan.vials
    shown = screens(world)
    order = world["order"]
    found = {
        "order page": number(shown["order page"], rf"Dose per cycle {NUMBER} g"),
        "order sheet": number(shown["order sheet"], rf"Dose per cycle {NUMBER} g"),
        "schedule (cycles to book)": number(
            shown["schedule"], rf"{order.number} .*? {NUMBER} Book cycle"
        ),
    }
    assert set(found.values()) == {plan.cycle_dose_g}, found
    dispensed = sum((vial.size_g * vial.count for vial in plan.vials), Decimal(0))
    dispensed *= order.days_per_cycle
    rows = numbers(shown["coverage page"], rf"\d{{4}}-\d\d-\d\d {NUMBER} g")
    assert rows and set(rows) == {dispensed}, (rows, dispensed)


def test_cost(world) -> None:
    plan: DosePlan = world["plan"]
    assert plan.cost_per_cycle is not None
    shown = screens(world)
    found = {
        "order page": number(shown["order page"], rf"Cost per cycle \D*{NUMBER}"),
        "order API": Decimal(api(world, "api-order-plan", world["order"].pk)["cost_per_cycle"]),
    }
    assert set(found.values()) == {plan.cost_per_cycle}, found
