"""Model-based tests of the order and session lifecycle (docs/clinical-rules.md 4, 6, 6.1, 3.9):
random sequences of create, sign, verify, reject, new version, taper, book, move, cancel,
confirm, start, record, complete and discontinue across two orders of one patient, through the
service functions. After every step:

- no cycle lost or booked twice: each version's stored next cycle is what its sessions say, a
  version in force with a cycle to book is on *Cycles to book* (and no other version is), and
  no cycle holds two live sessions for one of its days;
- sessions always belong to the version in force: every session not started of an open course
  belongs to the version that governs its day; a discontinued course has none left;
- grams never exceed the caps: no patient day holds two sessions, no completion records more
  grams than the day's plan, no 28 days hold more than the indication's maximum;
- a started session is never cancelled by another's action;
- every refusal is the domain error, which the API answers with a 4xx.

Derandomized and small (CI runs it on PostgreSQL as on SQLite): a handful of examples of a
dozen steps each.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from authorizations.models import Authorization, AuthorizationStatus
from formulary.models import Product
from infusions.administration.entries import Completed, VitalSigns
from infusions.administration.services import administration_record, session_start
from infusions.booking import selectors
from infusions.booking import services as booking
from infusions.models import (
    LIVE_STATUSES,
    NOT_STARTED_STATUSES,
    STARTED_STATUSES,
    InfusionSession,
    SessionStatus,
)
from ivig.accounts.roles import GROUP_NAMES, Role
from ivig.api.errors import exception_handler
from ivig.errors import DomainError
from orders import services
from orders.course_versions import IN_FORCE_STATUSES, in_force_on
from orders.dose_plans.plan_accessor import order_plan
from orders.models import Indication, Order, OrderStatus
from tests.conftest import TEST_PASSWORD
from tests.infusions.factories import ChairFactory
from tests.orders.factories import PatientFactory, PatientWeightFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

SLOTS = ("A", "B")
WEIGHT_KG = Decimal("70")
# The indication's maximum over 28 days (docs/clinical-rules.md 3.8: 2 g/kg for pemphigus).
MAX_G_PER_KG_28_DAYS = Decimal("2")


def _user(username: str, role: Role) -> Any:
    from django.contrib.auth.models import Group

    user = UserFactory.create(username=username)
    user.set_password(TEST_PASSWORD)
    user.save()
    group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
    user.groups.add(group)
    return user


class Lifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Each example in its own savepoint, rolled back at teardown.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.today = timezone.localdate()
        self.clinician = _user("sm-clinician", Role.CLINICIAN)
        self.pharmacists = [
            _user("sm-pharmacist-1", Role.PHARMACIST),
            _user("sm-pharmacist-2", Role.PHARMACIST),
        ]
        self.nurse = _user("sm-nurse", Role.NURSE)
        self.patient = PatientFactory.create(blood_group="O", iga_status="normal", risk_factors=[])
        PatientWeightFactory.create(
            patient=self.patient, weight_kg=WEIGHT_KG, recorded_by=self.clinician
        )
        ChairFactory.create(name="SM chair 1")
        ChairFactory.create(name="SM chair 2")
        self.roots: dict[str, int] = {}
        self.started: set[int] = set()
        self.refusals = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------------

    def _refused(self, error: DomainError) -> None:
        response = exception_handler(error, {})
        assert response is not None and 400 <= response.status_code < 500, error
        assert error.message and "Traceback" not in error.message
        self.refusals += 1

    def _versions(self, slot: str) -> list[Order]:
        root = self.roots.get(slot)
        if root is None:
            return []
        return list(Order.objects.filter(Q(pk=root) | Q(lineage_id=root)))

    def _latest(self, slot: str, *statuses: str) -> Order | None:
        rows = [o for o in self._versions(slot) if not statuses or o.status in statuses]
        return max(rows, key=lambda o: o.revision) if rows else None

    def _in_force(self, slot: str) -> Order | None:
        return self._latest(slot, *IN_FORCE_STATUSES)

    def _session(self, index: int, statuses: tuple[str, ...]) -> InfusionSession | None:
        rows = list(
            InfusionSession.objects.filter(
                order__patient=self.patient, status__in=statuses
            ).order_by("pk")
        )
        return rows[index % len(rows)] if rows else None

    def _sign(self, order: Order) -> None:
        overrides = [
            f.code for f in order_plan(order, as_of=self.today).findings if f.severity == "override"
        ]
        services.order_sign(
            order,
            by=self.clinician,
            password=TEST_PASSWORD,
            override_reasons={code: "Both orders meant" for code in overrides},
            version=order.version,
        )

    # --- rules -----------------------------------------------------------------------------

    @rule(slot=st.sampled_from(SLOTS), offset=st.integers(0, 10))
    def create(self, slot: str, offset: int) -> None:
        if slot in self.roots:
            return
        try:
            order = services.order_create(
                by=self.clinician,
                patient=self.patient,
                indication=Indication.objects.get(slug="pemphigus-vulgaris"),
                product=Product.objects.get(slug="privigen"),
                total_dose_g_per_kg=Decimal("0.4"),
                days_per_cycle=1,
                cycles=4,
                cycle_interval_days=14,
                start_date=self.today + timedelta(days=offset),
                concomitant_immunosuppressant="mycophenolate",
            )
        except DomainError as error:
            self._refused(error)
            return
        self.roots[slot] = order.pk
        Authorization.objects.create(
            patient=self.patient,
            order=order,
            payer="Test payer",
            member_id="SM",
            status=AuthorizationStatus.APPROVED,
            submitted_at=timezone.now(),
            decision_date=self.today,
            valid_from=self.today - timedelta(days=30),
            valid_to=self.today + timedelta(days=3 * 365),
            approved_cycles=60,
            approved_grams=Decimal(100000),
            created_by=self.clinician,
        )

    @rule(slot=st.sampled_from(SLOTS))
    def sign(self, slot: str) -> None:
        draft = self._latest(slot, OrderStatus.DRAFT)
        if draft is None:
            return
        try:
            self._sign(draft)
        except DomainError as error:
            self._refused(error)

    @rule(slot=st.sampled_from(SLOTS), by=st.integers(0, 1))
    def verify(self, slot: str, by: int) -> None:
        signed = self._latest(slot, OrderStatus.SIGNED)
        if signed is None:
            return
        try:
            services.order_verify(
                signed,
                by=self.pharmacists[by],
                acknowledged_codes=set(signed.overrides.values_list("code", flat=True)),
                version=signed.version,
            )
        except DomainError as error:
            self._refused(error)

    @rule(slot=st.sampled_from(SLOTS))
    def reject(self, slot: str) -> None:
        signed = self._latest(slot, OrderStatus.SIGNED)
        if signed is None:
            return
        try:
            services.order_reject(signed, by=self.pharmacists[0], reason="Check the dose")
        except DomainError as error:
            self._refused(error)

    @rule(slot=st.sampled_from(SLOTS), cycles=st.integers(1, 4), days=st.integers(0, 30))
    def new_version(self, slot: str, cycles: int, days: int) -> None:
        current = self._latest(slot, OrderStatus.SIGNED, OrderStatus.VERIFIED, OrderStatus.ACTIVE)
        if current is None:
            return
        try:
            services.order_update(
                current,
                by=self.clinician,
                version=current.version,
                cycles=cycles,
                start_date=self.today + timedelta(days=days),
            )
        except DomainError as error:
            self._refused(error)

    @rule(slot=st.sampled_from(SLOTS), kind=st.sampled_from(("dose", "interval")))
    def taper(self, slot: str, kind: str) -> None:
        """A taper's new version (docs/clinical-rules.md 10.3): a lower dose or a longer
        interval, from one interval after the last cycle started."""
        from orders.course_versions import next_version_start

        current = self._in_force(slot)
        if current is None:
            return
        interval = 28 if kind == "interval" else current.cycle_interval_days
        start, cycles = next_version_start(current, interval, self.today)
        changes: dict[str, Any] = {"start_date": start, "cycles": cycles}
        if kind == "interval":
            changes["cycle_interval_days"] = interval
        else:
            changes["total_dose_g_per_kg"] = Decimal("0.3")
        try:
            services.order_update(current, by=self.clinician, version=current.version, **changes)
        except DomainError as error:
            self._refused(error)

    @rule(slot=st.sampled_from(SLOTS), tentative=st.booleans(), today=st.booleans())
    def book(self, slot: str, tentative: bool, today: bool) -> None:
        rows = [o for o in self._versions(slot) if o.next_cycle is not None]
        to_book = {o.pk for o in selectors.cycles_to_book(window_days=3650)}
        rows = [o for o in rows if o.pk in to_book]
        if not rows:
            return
        order = min(rows, key=lambda o: o.revision)
        try:
            slots = booking.booking_propose(
                order, order.next_cycle or 1, self.today if today else None
            )
            booking.booking_confirm(
                order, order.next_cycle or 1, slots, self.nurse, tentative=tentative
            )
        except DomainError as error:
            self._refused(error)

    @rule(index=st.integers(0, 20), days=st.integers(1, 3))
    def move(self, index: int, days: int) -> None:
        session = self._session(index, NOT_STARTED_STATUSES)
        if session is None:
            return
        try:
            booking.session_move(
                session,
                chair=session.chair,
                start=session.planned_start + timedelta(days=days),
                by=self.nurse,
                reason="Patient asked",
            )
        except DomainError as error:
            self._refused(error)

    @rule(index=st.integers(0, 20))
    def cancel(self, index: int) -> None:
        session = self._session(index, NOT_STARTED_STATUSES)
        if session is None:
            return
        try:
            booking.session_cancel(session, by=self.nurse, reason="Unwell")
        except DomainError as error:
            self._refused(error)

    @rule(index=st.integers(0, 20))
    def confirm(self, index: int) -> None:
        session = self._session(index, (SessionStatus.TENTATIVE,))
        if session is None:
            return
        try:
            booking.session_confirm(session, by=self.nurse)
        except DomainError as error:
            self._refused(error)

    @rule(index=st.integers(0, 20))
    def start(self, index: int) -> None:
        session = self._session(index, NOT_STARTED_STATUSES)
        if session is None:
            return
        try:
            session_start(session, by=self.nurse, at=timezone.now())
        except DomainError as error:
            self._refused(error)
            return
        self.started.add(session.pk)

    @rule(index=st.integers(0, 20))
    def record(self, index: int) -> None:
        session = self._session(index, (SessionStatus.IN_PROGRESS,))
        if session is None:
            return
        try:
            administration_record(
                session,
                VitalSigns(bp_systolic_mmhg=120, bp_diastolic_mmhg=80, pulse_per_min=72),
                by=self.nurse,
                occurred_at=timezone.now(),
            )
        except DomainError as error:
            self._refused(error)

    @rule(index=st.integers(0, 20), grams=st.sampled_from(("5", "28", "500")))
    def complete(self, index: int, grams: str) -> None:
        session = self._session(index, (SessionStatus.IN_PROGRESS,))
        if session is None:
            return
        try:
            administration_record(
                session,
                Completed(volume_ml=Decimal(grams) * 10, grams_given=Decimal(grams)),
                by=self.nurse,
                occurred_at=timezone.now(),
            )
        except DomainError as error:
            self._refused(error)

    @rule(slot=st.sampled_from(SLOTS))
    def discontinue(self, slot: str) -> None:
        current = self._latest(slot, OrderStatus.SIGNED, OrderStatus.VERIFIED, OrderStatus.ACTIVE)
        if current is None:
            return
        try:
            services.order_discontinue(current, by=self.clinician, reason="Remission")
        except DomainError as error:
            self._refused(error)

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def no_cycle_lost_or_booked_twice(self) -> None:
        assert selectors.stale_next_cycles() == []
        live = InfusionSession.objects.filter(order__patient=self.patient, status__in=LIVE_STATUSES)
        days = list(live.values_list("order_id", "cycle_number", "day_number"))
        assert len(days) == len(set(days)), "a cycle day booked twice"
        to_book = {o.pk for o in selectors.cycles_to_book(window_days=3650)}
        for slot in self.roots:
            for order in self._versions(slot):
                governs = order.status in IN_FORCE_STATUSES or (
                    order.status == OrderStatus.SUPERSEDED
                    and order.superseded_by.status in IN_FORCE_STATUSES
                    and order.verified_at is not None
                )
                if governs and order.next_cycle is not None:
                    assert order.pk in to_book, f"cycle {order.next_cycle} of {order} lost"
                if not governs:
                    assert order.pk not in to_book, f"{order} offered but not in force"

    @invariant()
    def sessions_belong_to_the_version_in_force(self) -> None:
        for session in InfusionSession.objects.filter(
            order__patient=self.patient, status__in=NOT_STARTED_STATUSES
        ).select_related("order"):
            order = session.order
            root = order.lineage_id or order.pk
            versions = self._versions(next(s for s, r in self.roots.items() if r == root))
            if any(v.status == OrderStatus.DISCONTINUED for v in versions):
                raise AssertionError(f"{session} left booked on a discontinued course")
            if any(v.status == OrderStatus.COMPLETED for v in versions):
                continue
            assert in_force_on(order, session.planned_day), (
                f"{session} of {order} on {session.planned_day}: not the version in force"
            )

    @invariant()
    def grams_within_the_caps(self) -> None:
        counted = InfusionSession.objects.filter(order__patient=self.patient).exclude(
            status__in=(SessionStatus.CANCELLED, SessionStatus.MISSED)
        )
        per_day = list(counted.values_list("planned_day", flat=True))
        assert len(per_day) == len(set(per_day)), "two sessions on one patient day"
        daily: dict[date, Decimal] = {}
        for session in counted.select_related("order"):
            order = session.order
            plan = order.plan_at_signing or {}
            grams = Decimal(str(plan.get("daily_dose_g") or 0))
            daily[session.planned_day] = grams
        cap = MAX_G_PER_KG_28_DAYS * WEIGHT_KG
        for first in daily:
            window = sum(g for d, g in daily.items() if first <= d < first + timedelta(days=28))
            assert window <= cap, f"{window} g in 28 days from {first}"
        for entry_grams, planned in self._completions():
            assert entry_grams <= planned * Decimal("1.1"), (entry_grams, planned)

    def _completions(self) -> list[tuple[Decimal, Decimal]]:
        from infusions.models import AdministrationEntry

        rows = []
        for entry in AdministrationEntry.objects.filter(
            session__order__patient=self.patient, kind="completed"
        ).select_related("session__order"):
            plan = entry.session.order.plan_at_signing or {}
            rows.append(
                (entry.grams_given or Decimal(0), Decimal(str(plan.get("daily_dose_g") or 0)))
            )
        return rows

    @invariant()
    def a_started_session_is_never_cancelled(self) -> None:
        if not self.started:
            return
        statuses = set(
            InfusionSession.objects.filter(pk__in=self.started).values_list("status", flat=True)
        )
        assert statuses <= set(STARTED_STATUSES), statuses


@pytest.mark.django_db
def test_the_order_and_session_lifecycle_keeps_its_invariants() -> None:
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=4,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            database=None,
            phases=(Phase.explicit, Phase.generate),  # no shrinking: CI time stays small
            suppress_health_check=list(HealthCheck),
        ),
    )
