"""The data of a patient's course chart (docs/clinical-rules.md 10.4), read from orders
(reviews, orders' co-therapy and stored plans, autoantibody titres) and infusions (completed
sessions' grams given, adverse events). A fixed number of queries per patient."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import Prefetch
from django.utils import timezone

from formulary.services import FormularyError
from infusions.administration.given import completed_grams
from infusions.models import AdministrationEntry, EntryKind, InfusionSession, SessionStatus
from ivig.templatetags.clinical import num
from orders.dose_plans.plan_accessor import order_plan
from orders.dose_plans.plan_facts import read_plan_facts
from orders.labs.models import Analyte, LabResult
from orders.models import Order, OrderStatus, Patient, PremedicationLine
from orders.reviews.models import ResponseReview
from orders.reviews.outcome_measures import SHORT_NAMES

from .chart import CourseChart, Marker, Point, Series

TWO_PLACES = Decimal("0.01")
# docs/clinical-rules.md 10.4: the autoantibody titres charted, in this order.
TITRE_ANALYTES = (Analyte.DSG1, Analyte.DSG3, Analyte.BP180, Analyte.BP230)


def _decimal(value: object) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class _CyclePlan:
    """What the plan accessor says of an order's cycle: its dose per kg, dosing weight, daily
    dose and days."""

    dose_g_per_kg: Decimal | None
    dosing_weight_kg: Decimal | None
    daily_dose_g: Decimal | None
    days: int


def _cycle_plan(order: Order) -> _CyclePlan:
    """The order's plan from the one accessor (``orders.dose_plans.plan_accessor.order_plan``, as
    the order page shows it); the plan at signing when the formulary cannot plan it today."""
    try:
        plan = order_plan(order, as_of=timezone.localdate()).plan
        numbers = {
            "cycle_dose_g_per_kg": plan.cycle_dose_g_per_kg,
            "dosing_weight_kg": plan.dosing_weight_kg,
            "daily_dose_g": plan.daily_dose_g,
        }
    except FormularyError:
        stored = order.plan_at_signing if isinstance(order.plan_at_signing, dict) else {}
        numbers = {key: _decimal(stored.get(key)) for key in _PLAN_KEYS}
    return _CyclePlan(
        numbers["cycle_dose_g_per_kg"],
        numbers["dosing_weight_kg"],
        numbers["daily_dose_g"],
        order.days_per_cycle,
    )


_PLAN_KEYS = ("cycle_dose_g_per_kg", "dosing_weight_kg", "daily_dose_g")


def _ivig_series(patient: Patient) -> list[Series]:
    """Two series, a point per cycle with a completed session, at the cycle's first day:

    - *IVIg per cycle* (g/kg): the cycle's dose per kg as the order page shows it (the plan
      accessor), so a 2 g/kg cycle reads 2 g/kg here too;
    - *IVIg given per cycle* (g/kg): the grams given in the cycle's completed sessions (each
      session's completion, ``infusions.administration.given``; the plan's daily dose where none
      is recorded)
      over the plan's dosing weight, its note saying how many of the cycle's days were given.
    """
    sessions = (
        InfusionSession.objects.filter(order__patient=patient, status=SessionStatus.COMPLETED)
        .annotate(given=completed_grams())
        .values("order_id", "cycle_number", "planned_start", "given")
        .order_by("planned_start")
    )
    cycles: dict[tuple[int, int], dict[str, object]] = {}
    grams: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    days: dict[tuple[int, int], int] = defaultdict(int)
    estimated: set[tuple[int, int]] = set()
    rows = list(sessions)
    orders = {
        order.pk: order
        for order in Order.objects.filter(pk__in={row["order_id"] for row in rows})
        .select_related("patient", "product", "indication")
        .prefetch_related(
            "overrides",
            Prefetch("premedication_lines", PremedicationLine.objects.select_related("drug")),
        )
    }
    # Each order's plan as of today: their facts read for all of them at once.
    read_plan_facts(list(orders.values()), as_of=timezone.localdate())
    plans = {pk: _cycle_plan(order) for pk, order in orders.items()}
    for row in rows:
        key = (row["order_id"], row["cycle_number"])
        cycles.setdefault(key, row)
        days[key] += 1
        given = _decimal(row["given"])
        if given is None:
            given = plans[key[0]].daily_dose_g
            estimated.add(key)
        if given is not None:
            grams[key] += given
    ordered: list[Point] = []
    given_points: list[Point] = []
    for key, row in cycles.items():
        plan = plans[key[0]]
        day = timezone.localtime(row["planned_start"]).date()  # type: ignore[arg-type]
        if plan.dose_g_per_kg is not None:
            ordered.append(Point(day, plan.dose_g_per_kg, f"cycle {key[1]}"))
        if not plan.dosing_weight_kg or key not in grams:
            continue
        value = (grams[key] / plan.dosing_weight_kg).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
        note = (
            f"cycle {key[1]}: {days[key]} of {plan.days} "
            f"day{'s' if plan.days != 1 else ''} given, {num(grams[key])} g"
        ) + (" (planned dose: grams given not recorded)" if key in estimated else "")
        given_points.append(Point(day, value, note))
    return [
        Series("ivig", "IVIg per cycle", "g/kg", ordered),
        Series("ivig-given", "IVIg given per cycle", "g/kg", given_points),
    ]


def _cotherapy_markers(patient: Patient) -> list[Marker]:
    """The concomitant immunosuppressant of each order version in force, where it changes."""
    markers: list[Marker] = []
    last: dict[int, str] = {}
    rows = (
        Order.objects.filter(patient=patient)
        .exclude(status=OrderStatus.DRAFT)
        .order_by("start_date", "revision", "id")
        .values("id", "lineage_id", "start_date", "concomitant_immunosuppressant")
    )
    for row in rows:
        root = row["lineage_id"] or row["id"]
        therapy = row["concomitant_immunosuppressant"] or ""
        if therapy != last.get(root, ""):
            label = f"Co-therapy: {therapy}" if therapy else "Co-therapy stopped"
            markers.append(Marker(row["start_date"], "cotherapy", label))
        last[root] = therapy
    return markers


def _reaction_markers(patient: Patient) -> list[Marker]:
    rows = AdministrationEntry.objects.filter(
        session__order__patient=patient, kind=EntryKind.ADVERSE_EVENT
    ).values("occurred_at", "severity", "symptoms")
    return [
        Marker(
            timezone.localtime(row["occurred_at"]).date(),
            "reaction",
            f"Reaction ({row['severity'] or 'severity not given'}): "
            + (", ".join(map(str, row["symptoms"] or [])) or "no symptom listed"),
        )
        for row in rows
    ]


def _titre_series(patient: Patient) -> list[Series]:
    """One series per autoantibody with a result (anti-desmoglein 1 and 3, BP180, BP230), each
    result at its day in the test's unit; a result below the detection limit is drawn at the
    limit and says so."""
    rows = (
        LabResult.objects.filter(
            patient=patient, test__analyte__in=TITRE_ANALYTES, value__isnull=False
        )
        .order_by("taken_on", "id")
        .values("test__analyte", "test__unit", "taken_on", "value", "below_detection_limit")
    )
    points: dict[str, list[Point]] = defaultdict(list)
    units: dict[str, str] = {}
    for row in rows:
        analyte = row["test__analyte"]
        units[analyte] = row["test__unit"]
        value = row["value"]
        assert value is not None  # filtered: numeric results only
        note = (
            f"below the detection limit (< {value.normalize():f})"
            if row["below_detection_limit"]
            else ""
        )
        points[analyte].append(Point(row["taken_on"], value, note))
    return [
        Series(
            f"titre-{analyte}", f"{Analyte(analyte).label} titre", units[analyte], points[analyte]
        )
        for analyte in TITRE_ANALYTES
        if analyte in points
    ]


def patient_course_chart(patient: Patient) -> CourseChart:
    """Disease score (one series per measure), prednisone dose, IVIg g/kg per cycle and the
    autoantibody titres on one time axis, with co-therapy and reaction markers."""
    reviews = list(
        ResponseReview.objects.filter(lineage__patient=patient)
        .order_by("reviewed_on", "id")
        .values("reviewed_on", "measure", "score", "prednisone_mg_per_day", "response")
    )
    scores: dict[str, list[Point]] = defaultdict(list)
    for review in reviews:
        scores[review["measure"]].append(
            Point(review["reviewed_on"], review["score"], review["response"])
        )
    series = [
        Series(f"score-{measure}", f"Disease score ({SHORT_NAMES[measure]})", "points", points)
        for measure, points in scores.items()
    ]
    series.append(
        Series(
            "prednisone",
            "Prednisone",
            "mg/day",
            [Point(r["reviewed_on"], r["prednisone_mg_per_day"]) for r in reviews],
        )
    )
    series += _ivig_series(patient)
    series += _titre_series(patient)
    markers = _cotherapy_markers(patient) + _reaction_markers(patient)
    return CourseChart(series, markers)
