"""The data of a patient's course chart (docs/clinical-rules.md 10.4), read from orders
(reviews, orders' co-therapy and stored plans, autoantibody titres) and infusions (completed
sessions' grams given, adverse events). A fixed number of queries per patient."""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from infusions.models import AdministrationEntry, EntryKind, InfusionSession, SessionStatus
from orders.lab_models import Analyte, LabResult
from orders.models import Order, OrderStatus, Patient
from orders.outcome_measures import SHORT_NAMES
from orders.review_models import ResponseReview

from .chart import CourseChart, Marker, Point, Series

TWO_PLACES = Decimal("0.01")
# docs/clinical-rules.md 10.4: the autoantibody titres charted, in this order.
TITRE_ANALYTES = (Analyte.DSG1, Analyte.DSG3, Analyte.BP180, Analyte.BP230)


def _decimal(value: object) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def completed_grams() -> Subquery:
    """The grams given of a session: its latest completion entry (a correction included)."""
    return Subquery(
        AdministrationEntry.objects.filter(session=OuterRef("pk"), kind=EntryKind.COMPLETED)
        .order_by("-occurred_at", "-id")
        .values("grams_given")[:1]
    )


def _ivig_points(patient: Patient) -> list[Point]:
    """g/kg per cycle of every cycle with a completed session: grams given (else the signed
    plan's daily dose) over the signed plan's dosing weight."""
    sessions = (
        InfusionSession.objects.filter(order__patient=patient, status=SessionStatus.COMPLETED)
        .annotate(given=completed_grams())
        .values(
            "order_id",
            "cycle_number",
            "planned_start",
            "given",
            "order__plan_at_signing",
            "order__plan_grams_per_cycle",
            "order__days_per_cycle",
        )
        .order_by("planned_start")
    )
    cycles: dict[tuple[int, int], dict[str, object]] = {}
    grams: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    estimated: set[tuple[int, int]] = set()
    for row in sessions:
        key = (row["order_id"], row["cycle_number"])
        cycles.setdefault(key, row)
        given = _decimal(row["given"])
        if given is None:
            per_cycle = _decimal(row["order__plan_grams_per_cycle"])
            given = per_cycle / row["order__days_per_cycle"] if per_cycle is not None else None
            estimated.add(key)
        if given is not None:
            grams[key] += given
    points = []
    for key, row in cycles.items():
        plan = row["order__plan_at_signing"] or {}
        weight = _decimal(plan.get("dosing_weight_kg")) if isinstance(plan, dict) else None
        if not weight or key not in grams:
            continue
        day = timezone.localtime(row["planned_start"]).date()  # type: ignore[arg-type]
        value = (grams[key] / weight).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
        note = f"cycle {key[1]}" + (
            " (planned dose: grams given not recorded)" if key in estimated else ""
        )
        points.append(Point(day, value, note))
    return points


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
    series.append(Series("ivig", "IVIg per cycle", "g/kg", _ivig_points(patient)))
    series += _titre_series(patient)
    markers = _cotherapy_markers(patient) + _reaction_markers(patient)
    return CourseChart(series, markers)
