"""A centre of realistic size, for measuring (README; ``manage.py seed_scale --patients N``).

Idempotent: patients ``SC0000000`` … are made once; running again with a larger ``N`` adds the
missing ones, with the same ``N`` changes nothing. Rows go in by bulk inserts (no history
records) that respect the same rules and constraints as the services:

- each patient has weights and one order course; every tenth patient also a superseded first
  version; statuses cycle through draft, signed, verified, active, completed, discontinued;
- every signed order (superseded first versions too) carries the engine's own plan
  (``plan_request_for_order``) as of its signing day, with its figures (orders/plan_figures.py),
  signed by a clinician and verified by a pharmacist (never the same person,
  docs/clinical-rules.md 4): each product used has a dated price from before the first signing
  (recorded as the formulary records one) and each patient a weight from the first visit;
- sessions over three years for active, completed and discontinued orders: one per cycle day,
  a chair never holds two overlapping live sessions, a patient never two live sessions on one
  day (docs/clinical-rules.md 6, 6.1); past ones completed (a few cancelled or missed), future
  ones booked;
- authorizations for verified and active orders: approved, submitted or denied.
"""

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from authorizations.models import Authorization, AuthorizationStatus
from formulary.models import Product, ProductPrice
from formulary.selectors import current_policy
from formulary.services import FormularyError, product_price_set
from infusions.booking.next_cycles import refresh_next_cycles
from infusions.models import (
    ACTIVE_STATUSES,
    Chair,
    ChairOpeningHours,
    InfusionSession,
    SessionStatus,
)
from ivig.accounts.models import User
from ivig.accounts.roles import GROUP_NAMES, Role
from ivig.engine import DosePlan, compute_plan, dose_plan_to_json
from orders.dose_plans.engine_inputs import (
    latest_weight_of,
    new_patient_facts,
    plan_request_for_order,
)
from orders.labs.models import LabResult
from orders.models import Indication, Order, OrderStatus, Patient, PatientWeight
from orders.plan_figures import plan_figures
from orders.reviews.models import ResponseReview

MRN_PREFIX = "SC"
CHAIRS = 60
OPENS, CLOSES = time(7), time(21)
YEARS_BACK = 3
DEFAULT_PASSWORD = "ivig-scale-2026"
USERS = (
    ("scale-clinician", Role.CLINICIAN),
    ("scale-clinician-2", Role.CLINICIAN),
    ("scale-pharmacist", Role.PHARMACIST),
    ("scale-nurse", Role.NURSE),
    ("scale-authadmin", Role.AUTHORIZATION_ADMIN),
)
FAMILY = [
    "Smith",
    "Jones",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Hughes",
    "Edwards",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "King",
]
GIVEN = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Frank",
    "Grace",
    "Henry",
    "Iris",
    "Jack",
    "Kate",
    "Liam",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Yara",
    "Zoe",
]
# Per patient index i % 10: the order's status.
STATUS_BY_SLOT = (
    OrderStatus.DRAFT,
    OrderStatus.SIGNED,
    OrderStatus.VERIFIED,
    OrderStatus.VERIFIED,
    OrderStatus.ACTIVE,
    OrderStatus.ACTIVE,
    OrderStatus.COMPLETED,
    OrderStatus.COMPLETED,
    OrderStatus.DISCONTINUED,
    OrderStatus.ACTIVE,
)


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def analyze() -> None:
    """Planner statistics and the visibility map for the bulk-inserted tables (PostgreSQL),
    as autovacuum leaves them: without statistics, until autovacuum comes by (never where it
    is off), the planner guesses a handful of rows and picks nested loops that make the
    schedule several times slower; without the visibility map, an index-only scan (the count
    of cycles to book) reads the table (README, "Load test"). Inside a transaction (tests)
    VACUUM cannot run: statistics only."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def analyze_patients() -> None:
    """Planner statistics for the patients and weights just inserted, inside the seed's
    transaction, before each order's plan reads its patient's latest weight: with the tables
    taken for empty the planner scans every weight for each order (minutes at 50,000
    patients, growing with the square of the centre)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"ANALYZE {Patient._meta.db_table}, {PatientWeight._meta.db_table}, "
            f"{Order._meta.db_table}"
        )


# --- people and places ----------------------------------------------------------------------


def scale_users(password: str) -> dict[str, User]:
    """The scale users, one or two per role, by name; a new one gets ``password``."""
    users = {}
    for name, role in USERS:
        user, created = User.objects.get_or_create(
            username=name, defaults={"email": f"{name}@scale.test"}
        )
        if created:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get_or_create(name=GROUP_NAMES[role])[0])
        users[name] = user
    return users


def scale_chairs() -> None:
    """``CHAIRS`` chairs, open every day from ``OPENS`` to ``CLOSES``."""
    for n in range(1, CHAIRS + 1):
        chair, created = Chair.objects.get_or_create(
            name=f"Scale chair {n:02d}", defaults={"location": "Scale unit"}
        )
        if created:
            ChairOpeningHours.objects.bulk_create(
                ChairOpeningHours(chair=chair, weekday=d, opens_at=OPENS, closes_at=CLOSES)
                for d in range(7)
            )


def scale_patients_count() -> int:
    return Patient.objects.filter(mrn__startswith=MRN_PREFIX).count()


# --- the centre -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Formulary:
    """What every order of the centre is made from: its products and indications."""

    products: list[Product]
    indications: list[Indication]


def seed_centre(indices: range, users: dict[str, User], rng: random.Random) -> str:
    """Patients ``indices`` with their weights, orders (and superseded first versions) with the
    engine's plan at signing, sessions and authorizations; a line saying how many of each."""
    today = timezone.localdate()
    formulary = _formulary(users["scale-pharmacist"], today)
    patients = _patients(indices)
    orders = [
        _order(i, patient, formulary, users, rng, today)
        for i, patient in zip(indices, patients, strict=True)
    ]
    superseded = [
        _superseded_version(order)
        for i, order in zip(indices, orders, strict=True)
        if i % 10 == 9  # an earlier version, superseded by this one
    ]
    _weights(indices, patients, orders, users["scale-clinician"], today)
    analyze_patients()
    _plans(superseded)  # signed too: their plan frozen at signing
    Order.objects.bulk_create(superseded, batch_size=1000)
    _supersede(orders, superseded)
    _plans(orders)  # before the insert: no second write of each order
    Order.objects.bulk_create(orders, batch_size=1000)
    sessions = _sessions(orders, users["scale-nurse"], rng, today)
    refresh_next_cycles([order.pk for order in (*superseded, *orders)])
    authorizations = _authorizations(orders, users["scale-authadmin"])
    return (
        f"{len(patients)} patients, {len(orders) + len(superseded)} orders, "
        f"{sessions} sessions, {authorizations} authorizations"
    )


def _formulary(pharmacist: User, today: date) -> _Formulary:
    products = list(Product.objects.filter(active=True).order_by("pk")[:4])
    _prices_from(_earliest_signing(today), products, pharmacist)
    # Prices, vial sizes and label steps prefetched: product_facts reads them without a
    # query per order (formulary/engine_inputs.py).
    products = list(
        Product.objects.filter(pk__in=[product.pk for product in products])
        .order_by("pk")
        .prefetch_related("prices", "vial_sizes", "label_rate_steps")
    )
    indications = list(Indication.objects.filter(default_days_per_cycle__lte=5)[:8])
    return _Formulary(products=products, indications=indications)


def _patients(indices: range) -> list[Patient]:
    return Patient.objects.bulk_create(
        [
            Patient(
                mrn=f"{MRN_PREFIX}{i:07d}",
                family_name=f"{FAMILY[i % len(FAMILY)]}{i // len(FAMILY)}",
                given_name=GIVEN[(i * 7) % len(GIVEN)],
                date_of_birth=date(1940 + i % 60, 1 + i % 12, 1 + i % 28),
                sex="female" if i % 2 else "male",
                height_cm=Decimal(150 + i % 40),
            )
            for i in indices
        ],
        batch_size=1000,
    )


def _course_start(status: str, cycles: int, interval: int, today: date, rng: random.Random) -> date:
    """Finished courses start up to ``YEARS_BACK`` years ago, active ones are under way, the
    others start around now."""
    if status in (OrderStatus.COMPLETED, OrderStatus.DISCONTINUED):
        return today - timedelta(days=rng.randint(cycles * interval + 7, 365 * YEARS_BACK))
    if status == OrderStatus.ACTIVE:
        return today - timedelta(days=rng.randint(1, (cycles - 1) * interval))
    return today + timedelta(days=rng.randint(-3, 40))


def _order(
    i: int,
    patient: Patient,
    formulary: _Formulary,
    users: dict[str, User],
    rng: random.Random,
    today: date,
) -> Order:
    """Patient ``i``'s order course (unsaved), in the status of its slot (``STATUS_BY_SLOT``)."""
    status = STATUS_BY_SLOT[i % 10]
    indication = formulary.indications[i % len(formulary.indications)]
    cycles = 6 if status != OrderStatus.COMPLETED else 4
    # Four-weekly, and every third course tapered to six-weekly: never two cycles in
    # one 28-day window, which the indication's maximum would stop at signing.
    interval = 28 if i % 3 else 42
    start = _course_start(status, cycles, interval, today, rng)
    order = Order(
        patient=patient,
        indication=indication,
        product=formulary.products[i % len(formulary.products)],
        total_dose_g_per_kg=indication.default_total_g_per_kg,
        days_per_cycle=min(indication.default_days_per_cycle, 5),
        cycles=cycles,
        cycle_interval_days=interval,
        start_date=start,
        status=status,
        created_by=users["scale-clinician"],
        created_at=_aware(start - timedelta(days=14), time(9)),
    )
    _set_lifecycle(order, users["scale-clinician"], users["scale-pharmacist"])
    return order


def _set_lifecycle(order: Order, clinician: User, pharmacist: User) -> None:
    """Who signed, verified, completed or discontinued the order and when, as its status says
    (never the same person signing and verifying, docs/clinical-rules.md 4)."""
    status, start = order.status, order.start_date
    if status != OrderStatus.DRAFT:
        order.signed_by = clinician
        order.signed_at = _aware(start - timedelta(days=10), time(10))
    if status not in (OrderStatus.DRAFT, OrderStatus.SIGNED):
        order.verified_by = pharmacist
        order.verified_at = _aware(start - timedelta(days=9), time(11))
    if status == OrderStatus.COMPLETED:
        order.completed_at = _aware(
            start + timedelta(days=order.cycles * order.cycle_interval_days), time(17)
        )
    if status == OrderStatus.DISCONTINUED:
        order.discontinued_by = clinician
        order.discontinued_at = _aware(
            start + timedelta(days=2 * order.cycle_interval_days), time(12)
        )
        order.discontinue_reason = "Seeded: treatment goal reached early."


def _superseded_version(order: Order) -> Order:
    """An earlier, signed version of ``order`` (unsaved), superseded by it."""
    start = order.start_date
    return Order(
        patient=order.patient,
        indication=order.indication,
        product=order.product,
        total_dose_g_per_kg=order.total_dose_g_per_kg,
        days_per_cycle=order.days_per_cycle,
        cycles=order.cycles,
        cycle_interval_days=order.cycle_interval_days,
        start_date=start,
        status=OrderStatus.SUPERSEDED,
        created_by=order.created_by,
        created_at=_aware(start - timedelta(days=20), time(9)),
        signed_by=order.created_by,
        signed_at=_aware(start - timedelta(days=19), time(9)),
    )


def _supersede(orders: list[Order], superseded: list[Order]) -> None:
    """Each order with an earlier version becomes its revision 2."""
    earlier = {old.patient_id: old for old in superseded}
    for order in orders:
        old = earlier.get(order.patient_id)
        if old is not None:
            order.lineage, order.supersedes, order.revision = old, old, 2


def _weights(
    indices: range, patients: list[Patient], orders: list[Order], clinician: User, today: date
) -> None:
    """Recent weights, and one measured at the first visit (four weeks before the first
    version's start) when that is older, so that the plan frozen at signing, up to three years
    ago, is planned with the weight then (docs/clinical-rules.md 3.1)."""
    weights = []
    for i, patient, order in zip(indices, patients, orders, strict=True):
        recent = [today - timedelta(days=30 + 200 * back) for back in range(1 + i % 3)]
        first_visit = order.start_date - timedelta(days=28)
        for back, measured_on in enumerate(
            [*recent, first_visit] if first_visit < recent[-1] else recent
        ):
            weights.append(
                PatientWeight(
                    patient=patient,
                    weight_kg=Decimal(55 + (i * 13) % 50) + Decimal(back) / 2,
                    measured_on=measured_on,
                    recorded_by=clinician,
                )
            )
    PatientWeight.objects.bulk_create(weights, batch_size=2000)


def _earliest_signing(today: date) -> date:
    """No order below is signed before this day: the oldest start is ``YEARS_BACK`` years
    ago and a superseded first version is signed 19 days before its start."""
    return today - timedelta(days=365 * YEARS_BACK + 19)


def _prices_from(day: date, products: list[Product], pharmacist: User) -> None:
    """A price in effect for each product from before ``day`` (1 January of its year), so
    that every signed order has its plan frozen at signing (docs/clinical-rules.md 3.7): a
    dated price row, recorded as the formulary records one (history kept), at the product's
    earliest price. Products already priced by then are left alone."""
    since = date(day.year, 1, 1)
    for product in products:
        prices = ProductPrice.objects.filter(product=product)
        if prices.filter(effective_from__lte=since).exists():
            continue
        earliest = prices.order_by("effective_from").first()
        product_price_set(
            product=product,
            user=pharmacist,
            price_per_g=earliest.price_per_g if earliest else Decimal("95.00"),
            effective_from=since,
        )


def _plans(orders: list[Order]) -> None:
    """The engine's plan for each signed order, on its signing day, and its figures (set on
    the unsaved orders). Identical requests (same patient facts, product, regimen and day)
    are planned once. Every product has a price in effect by then (``_prices_from``): an
    order that still cannot be planned stops the seed rather than stay signed without one.

    The patients are this run's new ones: their weights and the policy are read once for all
    (``_facts_reader``), not once an order; should any of them have a laboratory result, a
    review or a session already, each order's facts are read as the order services read them."""
    plans: dict[str, DosePlan] = {}
    facts_of = _facts_reader([order for order in orders if order.signed_at is not None])
    for order in orders:
        if order.signed_at is None:
            continue
        signed_on = timezone.localdate(order.signed_at)
        try:
            request = plan_request_for_order(order, evaluated_on=signed_on, **facts_of(order))
        except FormularyError as error:  # a signed order always has its plan
            raise CommandError(f"seed_scale: no plan for a signed order: {error}") from error
        key = request.model_dump_json()
        if key not in plans:
            plans[key] = compute_plan(request)
        plan = plans[key]
        order.plan_at_signing = dose_plan_to_json(plan)
        order.findings_at_signing = [f.model_dump(mode="json") for f in plan.findings]
        figures = plan_figures(order.plan_at_signing)
        order.plan_first_day, order.plan_last_day, order.plan_grams_per_cycle = figures


def _facts_reader(orders: list[Order]) -> Callable[[Order], dict[str, Any]]:
    """For each of ``orders``, the ``facts`` and ``policy`` of ``plan_request_for_order``: the
    facts of a new patient (``new_patient_facts``) from their weights read at once, when none
    of the patients has a laboratory result, a review or a session (three queries); otherwise
    nothing, and each order's facts are read one by one."""
    patient_ids = sorted({order.patient_id for order in orders})
    if not patient_ids or any(
        rows.filter(**{field: patient_ids}).exists()
        for rows, field in (
            (LabResult.objects, "patient_id__in"),
            (ResponseReview.objects, "lineage__patient_id__in"),
            (InfusionSession.objects, "patient_id__in"),
        )
    ):
        return lambda order: {}
    weights: dict[int, list[PatientWeight]] = defaultdict(list)
    for weight in PatientWeight.objects.filter(patient_id__in=patient_ids):  # latest first
        weights[weight.patient_id].append(weight)
    policy = current_policy()

    def facts_of(order: Order) -> dict[str, Any]:
        signed_on = timezone.localdate(order.signed_at)
        weight = latest_weight_of(weights[order.patient_id], as_of=signed_on)
        facts = new_patient_facts(order.patient, as_of=signed_on, weight=weight)
        return {"facts": facts, "policy": policy}

    return facts_of


# --- sessions -------------------------------------------------------------------------------

# The statuses whose orders have sessions.
_WITH_SESSIONS = (
    OrderStatus.ACTIVE,
    OrderStatus.COMPLETED,
    OrderStatus.DISCONTINUED,
    OrderStatus.VERIFIED,
)


class _Chairs:
    """The scale chairs and, per chair and day, when each is free from (first free chair with
    room before closing); an earlier run's sessions keep their chairs."""

    def __init__(self) -> None:
        self.chairs = list(Chair.objects.filter(name__startswith="Scale chair").order_by("name"))
        self.free_from: dict[tuple[int, date], datetime] = {}
        # Per day, the shortest length no chair had room for.
        self.no_room: dict[date, int] = {}
        earlier = InfusionSession.objects.filter(
            chair__in=self.chairs, status__in=[*ACTIVE_STATUSES, SessionStatus.COMPLETED]
        ).values_list("chair_id", "planned_end")
        for chair_id, end in earlier.iterator():
            key = (chair_id, timezone.localdate(end))
            self.free_from[key] = max(self.free_from.get(key, end), end)

    def slot(self, day: date, minutes: int) -> tuple[Chair, datetime] | None:
        """The first chair with ``minutes`` free before closing on ``day``, taken. A day on
        which no chair had room for some length has none for as long or longer (chairs only
        fill): those are refused without trying every chair again."""
        if minutes >= self.no_room.get(day, minutes + 1):
            return None
        opens, closes = _aware(day, OPENS), _aware(day, CLOSES)
        for chair in self.chairs:
            start = self.free_from.get((chair.pk, day), opens)
            end = start + timedelta(minutes=minutes)
            if end <= closes:
                self.free_from[(chair.pk, day)] = end
                return chair, start
        self.no_room[day] = minutes
        return None


def _cycles_with_sessions(order: Order) -> int:
    """How many of the order's cycles have their sessions: all but the last two of an active
    course, cycle 1 of half the verified orders."""
    if order.status == OrderStatus.VERIFIED:
        return 1 if order.pk % 2 else 0  # half have cycle 1 booked
    if order.status == OrderStatus.ACTIVE:
        return order.cycles - 2  # the last cycles still to book
    return order.cycles


def _cycle_days(order: Order) -> list[tuple[int, int, date]]:
    """(cycle, day number, day) of every session the order has."""
    days = []
    for cycle in range(1, _cycles_with_sessions(order) + 1):
        first = order.start_date + timedelta(days=(cycle - 1) * order.cycle_interval_days)
        for day_number in range(1, order.days_per_cycle + 1):
            days.append((cycle, day_number, first + timedelta(days=day_number - 1)))
    return days


def _session_status(
    order: Order, day: date, start: datetime, today: date, rng: random.Random
) -> str:
    """Cancelled after a discontinuation; in the past completed (a few cancelled or missed);
    from today booked."""
    if (
        order.status == OrderStatus.DISCONTINUED
        and order.discontinued_at
        and (start > order.discontinued_at)
    ):
        return SessionStatus.CANCELLED
    if day < today:
        roll = rng.random()
        if roll < 0.03:
            return SessionStatus.CANCELLED
        return SessionStatus.MISSED if roll < 0.05 else SessionStatus.COMPLETED
    return SessionStatus.BOOKED


def _sessions(orders: list[Order], nurse: User, rng: random.Random, today: date) -> int:
    """Sessions packed into chairs day by day (first free chair with room before closing); a
    patient never has two on one day (docs/clinical-rules.md 6.1)."""
    chairs = _Chairs()
    booked_days: dict[int, set[date]] = defaultdict(set)
    rows = []
    for order in orders:
        if order.status not in _WITH_SESSIONS:
            continue
        minutes = int((order.plan_at_signing or {}).get("chair_minutes") or 300)
        for cycle, day_number, day in _cycle_days(order):
            if day in booked_days[order.patient_id]:
                continue
            slot = chairs.slot(day, minutes)
            if slot is None:
                continue
            chair, start = slot
            status = _session_status(order, day, start, today, rng)
            booked_days[order.patient_id].add(day)
            rows.append(
                InfusionSession(
                    order=order,
                    cycle_number=cycle,
                    day_number=day_number,
                    chair=chair,
                    planned_start=start,
                    planned_end=start + timedelta(minutes=minutes),
                    status=status,
                    status_reason="Seeded." if status == SessionStatus.CANCELLED else "",
                    created_by=nurse,
                )
            )
    for row in rows:  # docs/clinical-rules.md 6.1: booked_days keeps one a patient a day
        row.fill_patient_day()
    InfusionSession.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# --- authorizations -------------------------------------------------------------------------


def _authorization(order: Order, by: User) -> Authorization:
    """Submitted, denied or approved (for the whole course), by the order's number."""
    common: dict[str, Any] = {
        "patient_id": order.patient_id,
        "order": order,
        "payer": "Scale Health Plan",
        "member_id": f"M{order.patient_id:08d}",
        "created_by": by,
        "submitted_at": _aware(order.start_date - timedelta(days=8), time(9)),
    }
    kind = order.pk % 6
    if kind == 0:
        return Authorization(status=AuthorizationStatus.SUBMITTED, **common)
    decided_on = order.start_date - timedelta(days=5)
    if kind == 1:
        return Authorization(status=AuthorizationStatus.DENIED, decision_date=decided_on, **common)
    grams = order.plan_grams_per_cycle or Decimal(100)
    return Authorization(
        status=AuthorizationStatus.APPROVED,
        approved_cycles=order.cycles,
        approved_grams=grams * order.cycles,
        valid_from=order.start_date,
        valid_to=order.start_date + timedelta(days=order.cycles * order.cycle_interval_days),
        decision_date=decided_on,
        **common,
    )


def _authorizations(orders: list[Order], by: User) -> int:
    """An authorization for each verified and active order."""
    rows = [
        _authorization(order, by)
        for order in orders
        if order.status in (OrderStatus.VERIFIED, OrderStatus.ACTIVE)
    ]
    Authorization.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
