"""Demo patients and orders (docs/clinical-rules.md 9), made through the services by the demo users.

Idempotent: patients by MRN, orders by patient (a patient with an order gets no demo order).
Only when DEBUG, like the demo users.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from demo.seeding.users import DEMO_PASSWORD
from formulary.models import Product
from ivig.accounts.models import User
from ivig.engine import Finding
from orders.dose_plans.plan_accessor import order_plan
from orders.labs.models import Analyte, LabTest
from orders.labs.services import lab_result_record
from orders.models import Indication, Order, OrderStatus, Patient
from orders.patients.services import patient_create, patient_weight_record
from orders.reviews.models import Decision, Response
from orders.reviews.services import latest_review, review_record
from orders.services import order_create, order_sign, order_verify


def _years_ago(today: date, years: int, days: int = 0) -> date:
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born - timedelta(days=days)


def demo_patients(today: date) -> list[dict[str, Any]]:
    """Varied on purpose: each exercises a different dosing-weight or safety rule
    (docs/clinical-rules.md 3)."""
    return [
        {  # adult, BMI 37: adjusted body weight (docs/clinical-rules.md 3.1)
            "mrn": "DEMO-0001",
            "family_name": "Okafor",
            "given_name": "Grace",
            "date_of_birth": _years_ago(today, 52, 40),
            "sex": "female",
            "height_cm": Decimal("165"),
            "blood_group": "A",
            "iga_status": "normal",
            "risk_factors": ["migraine"],
            "allergies": "Penicillin (rash)",
            "notes": "Pemphigus vulgaris, on mycophenolate.",
            "weight_kg": Decimal("101.2"),
        },
        {  # child: actual weight
            "mrn": "DEMO-0002",
            "family_name": "Lindqvist",
            "given_name": "Elias",
            "date_of_birth": _years_ago(today, 4, 100),
            "sex": "male",
            "height_cm": Decimal("103"),
            "blood_group": "O",
            "iga_status": "normal",
            "notes": "Kawasaki disease.",
            "weight_kg": Decimal("16.4"),
        },
        # 70 years old with diabetes: renal and thrombosis risk by age (docs/clinical-rules.md 3.8)
        {
            "mrn": "DEMO-0003",
            "family_name": "Moreau",
            "given_name": "Henri",
            "date_of_birth": _years_ago(today, 70, 15),
            "sex": "male",
            "height_cm": Decimal("176"),
            "blood_group": "B",
            "iga_status": "normal",
            "risk_factors": ["diabetes", "cardiac_disease"],
            "notes": "Bullous pemphigoid.",
            "weight_kg": Decimal("84"),
        },
        {  # IgA deficient with anti-IgA antibodies: low-IgA products only
            "mrn": "DEMO-0004",
            "family_name": "Haddad",
            "given_name": "Samir",
            "date_of_birth": _years_ago(today, 38, 200),
            "sex": "male",
            "height_cm": Decimal("181"),
            "blood_group": "AB",
            "iga_status": "deficient_with_antibodies",
            "notes": "Dermatomyositis. Anti-IgA antibodies documented.",
            "weight_kg": Decimal("77.5"),
        },
        {  # pregnant: actual weight, PREGNANCY note
            "mrn": "DEMO-0005",
            "family_name": "Nakamura",
            "given_name": "Yui",
            "date_of_birth": _years_ago(today, 31, 60),
            "sex": "female",
            "height_cm": Decimal("160"),
            "blood_group": "O",
            "iga_status": "normal",
            "pregnant": True,
            "notes": "Pemphigoid gestationis, 24 weeks.",
            "weight_kg": Decimal("68.3"),
        },
        {  # adult, normal BMI, no risk factor: the nurse's order to book and start today
            "mrn": "DEMO-0006",
            "family_name": "Silva",
            "given_name": "Ana",
            "date_of_birth": _years_ago(today, 45, 120),
            "sex": "female",
            "height_cm": Decimal("168"),
            "blood_group": "A",
            "iga_status": "normal",
            "notes": "Dermatomyositis, refractory to steroids.",
            "weight_kg": Decimal("64"),
        },
        {  # the second course: a reaction with a plan (docs/clinical-rules.md 3.8.3)
            "mrn": "DEMO-0007",
            "family_name": "Brennan",
            "given_name": "Margaret",
            "date_of_birth": _years_ago(today, 61, 75),
            "sex": "female",
            "height_cm": Decimal("162"),
            "blood_group": "O",
            "iga_status": "normal",
            "notes": "Bullous pemphigoid, on doxycycline.",
            "weight_kg": Decimal("71.4"),
        },
    ]


# The verified order the sessions seed books (cycle 1 today, so the day view is not empty)
# and the verified order left for the nurse to book and start today (its first cycle starts
# today and an approval covers the whole course: see authorization_requests.py).
BOOKED_DEMO_MRN = "DEMO-0005"
NURSE_DEMO_MRN = "DEMO-0006"


@dataclass(frozen=True)
class DemoOrder:
    mrn: str
    indication: str
    product: str
    goal: str  # how far the order gets
    starts_in_days: int  # start_date: the seed day plus this


# One order in each state a user meets first: a draft to sign, one awaiting the pharmacist
# (with overrides), one verified and booked, one verified for the nurse to book.
DEMO_ORDERS: tuple[DemoOrder, ...] = (
    DemoOrder("DEMO-0001", "pemphigus-vulgaris", "privigen", OrderStatus.DRAFT, 14),
    DemoOrder("DEMO-0003", "bullous-pemphigoid", "gamunex-c", OrderStatus.SIGNED, 14),
    DemoOrder(BOOKED_DEMO_MRN, "pemphigoid-gestationis", "privigen", OrderStatus.VERIFIED, 0),
    DemoOrder(NURSE_DEMO_MRN, "dermatomyositis", "privigen", OrderStatus.VERIFIED, 0),
)

# The demo clinician's reasons for the override findings the demo patients raise.
DEMO_OVERRIDE_REASONS = {
    "RENAL_RISK": "Creatinine normal last week; hydrate 500 mL before; slowest practicable rate.",
    "THROMBOSIS_RISK": "Mobile, well hydrated; reviewed with cardiology.",
    "IGA_DEFICIENCY": "Low-IgA product unavailable; premedicate and observe.",
    "WEIGHT_OUTDATED": "Weight stable on review.",
    "FLUID_OVERLOAD_RISK": "Fluid status checked.",
}


def _overrides(findings: list[Finding]) -> dict[str, str]:
    return {f.code: DEMO_OVERRIDE_REASONS.get(f.code, "Reviewed") for f in findings}


def seed_orders(today: date) -> int:
    """The demo orders, made, signed by ``clinician`` and verified by ``pharmacist`` through the
    services; a state needing a user who does not exist is not reached."""
    users = {
        user.username: user
        for user in User.objects.filter(username__in=("clinician", "pharmacist"))
    }
    clinician, pharmacist = users.get("clinician"), users.get("pharmacist")
    if clinician is None:
        return 0
    made = 0
    for demo in DEMO_ORDERS:
        patient = Patient.objects.filter(mrn=demo.mrn).first()
        if patient is None or Order.objects.filter(patient=patient).exists():
            continue
        _demo_order(demo, patient, clinician, pharmacist, today)
        made += 1
    return made


def _demo_order(
    demo: DemoOrder, patient: Patient, clinician: User, pharmacist: User | None, today: date
) -> None:
    """One demo order, taken as far as its goal (verified only with a pharmacist)."""
    goal = demo.goal
    indication = Indication.objects.get(slug=demo.indication)
    order = order_create(
        by=clinician,
        patient=patient,
        indication=indication,
        product=Product.objects.get(slug=demo.product),
        total_dose_g_per_kg=indication.default_total_g_per_kg,
        days_per_cycle=indication.default_days_per_cycle,
        cycles=3,
        cycle_interval_days=indication.default_cycle_interval_days,
        start_date=today + timedelta(days=demo.starts_in_days),
        concomitant_immunosuppressant="mycophenolate" if goal != OrderStatus.DRAFT else "",
        notes="Demo order.",
    )
    if goal == OrderStatus.DRAFT:
        return
    order = _signed(order, clinician, today)
    if goal == OrderStatus.VERIFIED and pharmacist is not None:
        _verified(order, pharmacist)


def _signed(order: Order, clinician: User, today: date) -> Order:
    """``order`` signed by ``clinician``, with the demo reason for each override finding."""
    plan = order_plan(order, as_of=today).plan
    return order_sign(
        order,
        by=clinician,
        password=DEMO_PASSWORD,
        override_reasons=_overrides([f for f in plan.findings if f.severity == "override"]),
        version=order.version,
    )


def _verified(order: Order, pharmacist: User) -> Order:
    """``order`` verified by ``pharmacist``, every override acknowledged."""
    return order_verify(
        order,
        by=pharmacist,
        acknowledged_codes=[o.code for o in order.overrides.all()],
        version=order.version,
    )


# The pemphigus patient's course under way (docs/clinical-rules.md 10): a verified order whose
# cycle 1 started eight weeks ago (cycle 2 four weeks ago, cycle 3 today), labs over the last
# two months, a response review; the sessions seed adds cycle 2's session with its reaction
# and books cycle 3.
COURSE_DEMO_MRN = "DEMO-0001"
COURSE_NOTES = "Demo course."
COURSE_STARTED_DAYS_AGO = 56
COURSE_WEIGHTS: tuple[tuple[int, str], ...] = ((60, "101.8"), (31, "101.5"))
# (analyte, days ago, value): kidney function, hemoglobin before and after cycle 2, IgG trough
# and peak, anti-desmoglein 1 and 3 titres falling.
COURSE_LABS: tuple[tuple[str, int, str], ...] = (
    (Analyte.CREATININE, 58, "0.82"),
    (Analyte.CREATININE, 31, "0.88"),
    (Analyte.CREATININE, 4, "0.85"),
    (Analyte.EGFR, 58, "84"),
    (Analyte.EGFR, 31, "78"),
    (Analyte.EGFR, 4, "81"),
    (Analyte.HEMOGLOBIN, 31, "13.4"),
    (Analyte.HEMOGLOBIN, 26, "13.1"),
    (Analyte.HEMOGLOBIN, 4, "13.3"),
    (Analyte.IGG, 31, "960"),  # mg/dL, the catalogue's unit (9.6 g/L)
    (Analyte.IGG, 26, "2140"),  # 21.4 g/L: the peak after cycle 2
    (Analyte.DSG1, 58, "148"),
    (Analyte.DSG1, 31, "96"),
    (Analyte.DSG1, 4, "57"),
    (Analyte.DSG3, 58, "212"),
    (Analyte.DSG3, 31, "151"),
    (Analyte.DSG3, 4, "88"),
)
COURSE_REVIEW_DAYS_AGO = 4

# The second course (docs/clinical-rules.md 3.8.3): the bullous pemphigoid patient, two days
# behind the first (its cycle 3 in two days, leaving today's chairs to the nurse's demo), the
# same history, whose reaction already has a clinician's plan (the sessions seed records it),
# so that its next session runs capped with added premedication, beside the first course's
# that waits for a plan.
PLANNED_COURSE_MRN = "DEMO-0007"
PLANNED_COURSE_STARTED_DAYS_AGO = 54
PLANNED_COURSE_NOTES = "Demo course, reaction planned."
PLANNED_COURSE_WEIGHTS: tuple[tuple[int, str], ...] = ((60, "72.1"), (31, "71.8"))
PLANNED_COURSE_LABS: tuple[tuple[str, int, str], ...] = (
    (Analyte.CREATININE, 58, "0.74"),
    (Analyte.CREATININE, 4, "0.79"),
    (Analyte.EGFR, 58, "88"),
    (Analyte.EGFR, 4, "85"),
    (Analyte.HEMOGLOBIN, 31, "12.9"),
    (Analyte.HEMOGLOBIN, 4, "12.8"),
    (Analyte.BP180, 58, "142"),
    (Analyte.BP180, 31, "87"),
    (Analyte.BP180, 4, "41"),
    (Analyte.BP230, 58, "36"),
    (Analyte.BP230, 31, "22.5"),
    (Analyte.BP230, 4, "14"),
)


@dataclass(frozen=True)
class DemoCourse:
    """A course under way: the order (found again by patient and notes), its weights before
    the course, its labs and its one review (score on the indication's measure)."""

    mrn: str
    notes: str
    indication: str
    started_days_ago: int
    concomitant_immunosuppressant: str
    weights: tuple[tuple[int, str], ...]
    labs: tuple[tuple[str, int, str], ...]
    review_score: Decimal
    review_prednisone_mg_per_day: Decimal
    review_notes: str


DEMO_COURSES: tuple[DemoCourse, ...] = (
    DemoCourse(
        COURSE_DEMO_MRN,
        COURSE_NOTES,
        "pemphigus-vulgaris",
        COURSE_STARTED_DAYS_AGO,
        "mycophenolate",
        COURSE_WEIGHTS,
        COURSE_LABS,
        Decimal("14"),
        Decimal("15"),
        "Fewer new erosions, oral lesions healing; titres falling. Continue.",
    ),
    DemoCourse(
        PLANNED_COURSE_MRN,
        PLANNED_COURSE_NOTES,
        "bullous-pemphigoid",
        PLANNED_COURSE_STARTED_DAYS_AGO,
        "doxycycline",
        PLANNED_COURSE_WEIGHTS,
        PLANNED_COURSE_LABS,
        Decimal("22"),
        Decimal("10"),
        "Fewer blisters, pruritus settling; BP180 falling. Continue.",
    ),
)


def course_order(mrn: str = COURSE_DEMO_MRN, notes: str = COURSE_NOTES) -> Order | None:
    """A demo course's order (verified or active), if made."""
    return (
        Order.objects.filter(
            patient__mrn=mrn,
            notes=notes,
            status__in=(OrderStatus.VERIFIED, OrderStatus.ACTIVE),
        )
        .order_by("pk")
        .first()
    )


def _course_lab_test(analyte: str) -> LabTest:
    return LabTest.objects.filter(analyte=analyte).order_by("display_order", "pk")[0]


def seed_course(today: date, course: DemoCourse = DEMO_COURSES[0]) -> list[str]:
    """A demo course (``DEMO_COURSES``), through the services: weights before the course, the
    order made and signed by ``clinician`` and verified by ``pharmacist``, the labs recorded by
    ``clinician`` (a result already there is a duplicate, not stored twice) and a review when
    the course has none."""
    users = {u.username: u for u in User.objects.filter(username__in=("clinician", "pharmacist"))}
    clinician, pharmacist = users.get("clinician"), users.get("pharmacist")
    patient = Patient.objects.filter(mrn=course.mrn).first()
    if clinician is None or pharmacist is None or patient is None:
        return ["demo course skipped: no demo clinician, pharmacist or patient"]
    order = course_order(course.mrn, course.notes)
    lines = []
    if order is None and not Order.objects.filter(patient=patient, notes=course.notes).exists():
        order = _course_order_made(course, patient, clinician, pharmacist, today)
        lines.append(f"demo course: order {order.number} from {order.start_date:%Y-%m-%d}")
    lines.append(_course_labs(course, patient, clinician, today))
    if order is not None and latest_review(order) is None:
        _course_review(course, order, clinician, today)
        lines.append("demo course review: partial response, continue")
    return lines


def _course_order_made(
    course: DemoCourse, patient: Patient, clinician: User, pharmacist: User, today: date
) -> Order:
    """The course's weights, then its order made, signed and verified."""
    for days_ago, weight in course.weights:
        patient_weight_record(
            patient,
            by=clinician,
            weight_kg=Decimal(weight),
            measured_on=today - timedelta(days=days_ago),
        )
    indication = Indication.objects.get(slug=course.indication)
    order = order_create(
        by=clinician,
        patient=patient,
        indication=indication,
        product=Product.objects.get(slug="privigen"),
        total_dose_g_per_kg=indication.default_total_g_per_kg,
        days_per_cycle=indication.default_days_per_cycle,
        cycles=6,
        cycle_interval_days=indication.default_cycle_interval_days,
        start_date=today - timedelta(days=course.started_days_ago),
        concomitant_immunosuppressant=course.concomitant_immunosuppressant,
        notes=course.notes,
    )
    return _verified(_signed(order, clinician, today), pharmacist)


def _course_labs(course: DemoCourse, patient: Patient, clinician: User, today: date) -> str:
    """The course's lab results recorded (a result already there is not stored twice)."""
    labs = 0
    for analyte, days_ago, value in course.labs:
        _, created = lab_result_record(
            patient,
            by=clinician,
            test=_course_lab_test(analyte),
            taken_on=today - timedelta(days=days_ago),
            value=value,
        )
        labs += created
    return f"demo course labs: {len(course.labs)} ({labs} new)"


def _course_review(course: DemoCourse, order: Order, clinician: User, today: date) -> None:
    review_record(
        order,
        by=clinician,
        reviewed_on=today - timedelta(days=COURSE_REVIEW_DAYS_AGO),
        score=course.review_score,
        prednisone_mg_per_day=course.review_prednisone_mg_per_day,
        response=Response.PARTIAL,
        decision=Decision.CONTINUE,
        notes=course.review_notes,
    )


def seed() -> list[str]:
    if not settings.DEBUG:
        return ["demo patients skipped: DEBUG is off"]
    clinician = User.objects.get(username="clinician")
    today = timezone.localdate()
    created = []
    for values in demo_patients(today):
        if Patient.objects.filter(mrn=values["mrn"]).exists():
            continue
        patient_create(by=clinician, weight_measured_on=today - timedelta(days=3), **values)
        created.append(values["mrn"])
    total = Patient.objects.filter(mrn__startswith="DEMO-").count()
    orders = seed_orders(today)
    return [
        f"demo patients: {total} ({len(created)} new)",
        f"demo orders: {Order.objects.filter(notes='Demo order.').count()} ({orders} new)",
        *(line for course in DEMO_COURSES for line in seed_course(today, course)),
    ]
