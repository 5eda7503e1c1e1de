"""Changes to orders (docs/clinical-rules.md 4): one transaction per call, every rule checked
here, every change kept in the history with the acting user, refusals raised as ``OrderError``.
Patients and their weights change through ``orders.patients.services``.

Role checks are the views' business (docs/clinical-rules.md 1); services assume the caller may act.
"""

from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from formulary.models import Product
from formulary.services import FormularyError
from ivig.accounts.models import User
from ivig.accounts.recheck import (
    PASSWORD_COOLING_OFF,
    PasswordRecheckCoolingOff,
    current_request,
    password_recheck,
)
from ivig.engine import DosePlan, Finding, dose_plan_to_json
from ivig.templatetags.clinical import finding_title

from .course_versions import next_version_start
from .dose_plans.engine_inputs import latest_weight
from .dose_plans.input_ranges import ORDER_RANGES
from .dose_plans.plan_accessor import OrderPlan, order_plan
from .errors import OrderError
from .models import (
    DosingWeightBasis,
    Indication,
    Order,
    OrderOverride,
    OrderStatus,
    Patient,
    RateProtocol,
)
from .patients.services import patient_weight_record
from .premedication.services import (
    LineValues,
    default_line_values,
    lines_of,
    premedication_lines_save,
)
from .saving import save_validated, stale_error
from .signals import order_discontinued, order_superseded, order_verified, urgent_order_verified


def _out_of_range(instance: models.Model) -> dict[str, list[str]]:
    """An order's numbers outside their ranges (orders/dose_plans/input_ranges.py), each with the
    range."""
    if not isinstance(instance, Order):
        return {}
    errors: dict[str, list[str]] = {}
    for name, in_range in ORDER_RANGES.items():
        value = getattr(instance, name)
        if value is None:
            continue
        try:
            in_range(value)
        except ValidationError as error:
            errors[name] = list(error.messages)
    return errors


def _save_validated(instance: models.Model, by: User, reason: str | None = None) -> None:
    """``save_validated`` with an order's numbers outside their ranges said with the range."""
    save_validated(instance, by, reason, range_errors=_out_of_range(instance))


# --- orders (docs/clinical-rules.md 4)
# -----------------------------------------------------------------------

# What a clinician chooses on an order; the patient is fixed for the order and its versions.
ORDER_FIELDS = (
    "indication",
    "product",
    "total_dose_g_per_kg",
    "daily_dose_mg_per_kg",
    "days_per_cycle",
    "cycles",
    "cycle_interval_days",
    "start_date",
    "dosing_weight_basis",
    "rate_protocol",
    "target_rate_ml_per_h",
    "hydration",
    "concomitant_immunosuppressant",
    "notes",
    "urgent",
    "urgent_reason",
)

EDITABLE = frozenset(
    {OrderStatus.DRAFT, OrderStatus.SIGNED, OrderStatus.VERIFIED, OrderStatus.ACTIVE}
)
# docs/clinical-rules.md 4: a signed, verified or active order is never edited in place (an
# active one is under treatment: a taper, 10.3, or any change is a new version).
NEW_VERSION_WHEN = frozenset({OrderStatus.SIGNED, OrderStatus.VERIFIED, OrderStatus.ACTIVE})
DISCONTINUABLE = frozenset({OrderStatus.SIGNED, OrderStatus.VERIFIED, OrderStatus.ACTIVE})
COMPLETABLE = frozenset({OrderStatus.VERIFIED, OrderStatus.ACTIVE})


def pending_change(order: Order) -> Order | None:
    """The new version that already changes ``order`` and awaits signing (docs/clinical-rules.md
    4: one draft change of a version at a time), or None; only a version in force has one. The
    order's ``superseded_by`` when read with it (the order page), else one query."""
    if order.status not in NEW_VERSION_WHEN:
        return None
    if Order.superseded_by.is_cached(order):
        return getattr(order, "superseded_by", None)
    return Order.objects.filter(supersedes_id=order.pk).first()


def pending_change_error(order: Order, pending: Order) -> OrderError:
    if pending.status == OrderStatus.SIGNED:
        message = (
            f"Version {pending.revision} of order {order.number} already changes this version "
            "and awaits verification: a pharmacist verifies or rejects it first."
        )
    else:
        message = (
            f"Version {pending.revision} of order {order.number} already changes this version "
            "and awaits signing: change that draft instead."
        )
    return OrderError(OrderError.WRONG_STATE, message)


def _locked(order: Order, version: int | None, allowed: Collection[str], doing: str) -> Order:
    """The order's row, locked for this transaction, if ``version`` is still current (None:
    the caller did not say which version it saw) and its status allows ``doing``."""
    current = Order.objects.select_for_update().get(pk=order.pk)
    if version is not None and current.version != version:
        raise stale_error(current, version)
    if current.status not in allowed:
        raise OrderError(
            OrderError.WRONG_STATE,
            f"Order {current.number} is {current.get_status_display().lower()}: "
            f"it cannot be {doing}.",
        )
    return current


def _save_order(order: Order, by: User, reason: str) -> None:
    """Save a locked order as its next version (compare-and-swap on ``version``: the guard that
    holds where SELECT ... FOR UPDATE does not lock, as on SQLite)."""
    seen = order.version
    if not Order.objects.filter(pk=order.pk, version=seen).update(version=seen + 1):
        raise stale_error(order, seen)
    order.version = seen + 1
    _save_validated(order, by, reason)


def _required_reason(reason: str, doing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        message = f"Give a reason to {doing} the order."
        raise OrderError(OrderError.REASON_REQUIRED, message, field_errors={"reason": [message]})
    return reason


def _check_product_active(product: Product) -> None:
    if not product.active:
        message = f"{product.brand_name} is no longer in the formulary's active products."
        raise OrderError(OrderError.PRODUCT_INACTIVE, message, field_errors={"product": [message]})


def _plan(order: Order) -> OrderPlan:
    """The order's plan on today's facts and the patient's calendar (docs/clinical-rules.md
    3.9: checked again at every step)."""
    try:
        return order_plan(order, as_of=timezone.localdate())
    except FormularyError as error:
        raise OrderError(OrderError.NO_CURRENT_PRICE, error.message) from error


def _actual_weight_kg(order: Order) -> Decimal | None:
    """The actual weight the plan at signing used: the latest measured on or before today."""
    weight = latest_weight(order.patient, as_of=timezone.localdate())
    return weight.weight_kg if weight is not None else None


def _findings_text(findings: list[Finding]) -> str:
    return "; ".join(f"{finding_title(finding.code)}: {finding.message}" for finding in findings)


def _stop_error(findings: list[Finding], doing: str) -> OrderError:
    return OrderError(
        OrderError.STOP_FINDINGS,
        f"This order cannot be {doing}: {_findings_text(findings)}",
        details={"findings": [finding.model_dump(mode="json") for finding in findings]},
    )


def _missing_error(code: str, saying: str, field: str, missing: list[str]) -> OrderError:
    """A refusal naming the findings the user has still to answer, by their titles (their codes
    in ``details`` for programs)."""
    message = f"{saying} {', '.join(finding_title(code) for code in missing)}."
    return OrderError(code, message, field_errors={field: [message]}, details={"missing": missing})


def _with_severity(plan: DosePlan, severity: str) -> list[Finding]:
    return [finding for finding in plan.findings if finding.severity == severity]


def _record_weight_today(
    patient: Patient, by: User, weight_kg: Decimal | None, confirm_unusual: bool
) -> None:
    if weight_kg is not None:
        patient_weight_record(
            patient,
            by=by,
            weight_kg=weight_kg,
            measured_on=timezone.localdate(),
            confirm_unusual=confirm_unusual,
            field="weight_today_kg",
        )


@transaction.atomic
def order_create(
    *,
    by: User,
    patient: Patient,
    indication: Indication,
    product: Product,
    days_per_cycle: int,
    cycles: int,
    cycle_interval_days: int,
    start_date: date,
    total_dose_g_per_kg: Decimal | None = None,
    daily_dose_mg_per_kg: Decimal | None = None,
    dosing_weight_basis: str = DosingWeightBasis.AUTO,
    rate_protocol: str = RateProtocol.PROTOCOL,
    target_rate_ml_per_h: int = 200,
    premedication_lines: list[LineValues] | None = None,
    hydration: str = "",
    concomitant_immunosuppressant: str = "",
    notes: str = "",
    urgent: bool = False,
    urgent_reason: str = "",
    weight_today_kg: Decimal | None = None,
    confirm_unusual_weight: bool = False,
) -> Order:
    """Start a draft order (docs/clinical-rules.md 4). ``premedication_lines`` default to the
    engine's for the patient (docs/clinical-rules.md 3.5: ``default_line_values``);
    ``weight_today_kg``, when given, is recorded as the patient's weight today first, so the
    order is planned on it (docs/clinical-rules.md 3.1); an unusual one needs
    ``confirm_unusual_weight`` (docs/clinical-rules.md 3.1.1).

    Refuses an inactive product, both or neither dose, and values outside the order's ranges
    (days per cycle 1-5, cycles 1-60, interval 7-90 days). Clinical findings are not refusals
    here: they are the engine's, shown on the draft and judged at signing.
    """
    _check_product_active(product)
    urgent_reason = _check_urgent(indication, urgent, urgent_reason)
    _record_weight_today(patient, by, weight_today_kg, confirm_unusual_weight)
    order = Order(
        patient=patient,
        indication=indication,
        product=product,
        total_dose_g_per_kg=total_dose_g_per_kg,
        daily_dose_mg_per_kg=daily_dose_mg_per_kg,
        days_per_cycle=days_per_cycle,
        cycles=cycles,
        cycle_interval_days=cycle_interval_days,
        start_date=start_date,
        dosing_weight_basis=dosing_weight_basis,
        rate_protocol=rate_protocol,
        target_rate_ml_per_h=target_rate_ml_per_h,
        hydration=hydration,
        concomitant_immunosuppressant=concomitant_immunosuppressant.strip(),
        notes=notes,
        urgent=urgent,
        urgent_reason=urgent_reason,
        created_by=by,
    )
    _save_validated(order, by, "Created")
    premedication_lines_save(
        order,
        default_line_values(patient, timezone.localdate())
        if premedication_lines is None
        else premedication_lines,
        by,
    )
    return order


def _check_urgent(indication: Indication, urgent: bool, reason: str) -> str:
    """docs/clinical-rules.md 3.10 (rules v3): only an emergency indication's order may be urgent,
    and an urgent order says why. Returns the reason, stripped ("" when not urgent)."""
    reason = reason.strip()
    if not urgent:
        return ""
    if not indication.urgent_allowed:
        message = (
            f"{indication.name} is not an emergency indication: its orders cannot be urgent "
            "(they need an approval before the first cycle starts)."
        )
        raise OrderError(OrderError.URGENT_NOT_ALLOWED, message, field="urgent")
    if not reason:
        message = "Say why this order is urgent."
        raise OrderError(OrderError.URGENT_REASON_MISSING, message, field="urgent_reason")
    return reason


def _check_new_version_start(current: Order, start_date: date) -> None:
    """A new version of an order under treatment replaces its cycles not yet started
    (docs/clinical-rules.md 4): it starts today or later, never on days already past."""
    today = timezone.localdate()
    if start_date >= today:
        return
    offered, _ = next_version_start(current, current.cycle_interval_days, today)
    message = (
        f"A new version of an active order starts today ({today:%Y-%m-%d}) or later: it "
        f"replaces the cycles not yet started (offered from {offered:%Y-%m-%d})."
    )
    raise OrderError(OrderError.INVALID, message, field="start_date")


@transaction.atomic
def order_update(
    order: Order,
    *,
    by: User,
    version: int,
    weight_today_kg: Decimal | None = None,
    confirm_unusual_weight: bool = False,
    premedication_lines: list[LineValues] | None = None,
    **changes: Any,
) -> Order:
    """Change an order (docs/clinical-rules.md 4) and return the order as it now stands.

    A draft changes in place if ``version`` is still current (a stale edit is refused naming
    who changed it and when). A signed or verified order is never edited in place: the change
    makes a new version (same lineage, next revision, ``supersedes`` the old one) as a draft to
    be signed and verified again; the old one stays in force until the new one is verified (then
    it becomes ``superseded``), and only one such change is open at a time; overrides are not
    carried over (they belong to a signature). A new version of an active order starts today or
    later (``start_date``: a field error). A change that changes nothing saves nothing.
    ``weight_today_kg`` records the patient's weight today, as in ``order_create`` (with
    ``confirm_unusual_weight``). ``premedication_lines`` (None: unchanged) replace the
    version's lines and the text an order written before the lines carried
    (docs/clinical-rules.md 3.5); a new version copies the lines it does not replace.
    """
    unknown = set(changes) - set(ORDER_FIELDS)
    if unknown:
        raise TypeError(f"order_update() cannot change {', '.join(sorted(unknown))}")
    current = _locked(order, version, EDITABLE, "changed")
    _record_weight_today(current.patient, by, weight_today_kg, confirm_unusual_weight)
    if "product" in changes and changes["product"].pk != current.product_id:
        _check_product_active(changes["product"])
    if "concomitant_immunosuppressant" in changes:
        changes["concomitant_immunosuppressant"] = changes["concomitant_immunosuppressant"].strip()
    if {"urgent", "urgent_reason", "indication"} & set(changes):
        changes["urgent_reason"] = _check_urgent(
            changes.get("indication", current.indication),
            changes.get("urgent", current.urgent),
            changes.get("urgent_reason", current.urgent_reason),
        )
    current_lines = lines_of(current)
    lines_changed = premedication_lines is not None and (
        [line.key() for line in premedication_lines] != [line.key() for line in current_lines]
        or bool(current.premedication)
    )
    if not lines_changed and all(
        getattr(current, name) == value for name, value in changes.items()
    ):
        return current
    # A drug the version names stays allowed on its lines after it leaves the catalogue.
    own_drugs = [line.drug.pk for line in current_lines]
    if current.status not in NEW_VERSION_WHEN:
        for name, value in changes.items():
            setattr(current, name, value)
        if lines_changed:
            current.premedication = ""  # the lines replace what was written before them
        _save_order(current, by, "Edited")
        if lines_changed:
            assert premedication_lines is not None
            premedication_lines_save(current, premedication_lines, by, allowed_drug_ids=own_drugs)
        return current

    pending = pending_change(current)
    if pending is not None:
        raise pending_change_error(current, pending)
    if current.status == OrderStatus.ACTIVE:
        _check_new_version_start(current, changes.get("start_date", current.start_date))
    successor = Order(
        **{name: getattr(current, name) for name in ORDER_FIELDS},
        # Text written before the lines is carried until lines replace it.
        premedication="" if lines_changed else current.premedication,
        patient_id=current.patient_id,
        lineage_id=current.lineage_id or current.pk,
        revision=current.revision + 1,
        supersedes=current,
        created_by=by,
    )
    for name, value in changes.items():
        setattr(successor, name, value)
    # The version in force stays in force (booked, bookable, startable) until the new version
    # is verified: ``order_verify`` supersedes it then (docs/clinical-rules.md 4).
    _save_validated(
        successor, by, f"Version {successor.revision}: changes version {current.revision}"
    )
    if lines_changed:
        assert premedication_lines is not None
        premedication_lines_save(successor, premedication_lines, by, allowed_drug_ids=own_drugs)
    else:  # copied as they are: the version being changed was judged with them
        premedication_lines_save(successor, current_lines, by, check=False)
    return successor


@transaction.atomic
def order_sign(
    order: Order, *, by: User, password: str, override_reasons: Mapping[str, str], version: int
) -> Order:
    """Sign a draft (docs/clinical-rules.md 4): the clinician re-enters their password; the engine
    plans the order today and any ``stop`` finding refuses the signature (docs/clinical-rules.md
    3.8, each listed); each ``override`` finding needs a reason (``override_reasons`` by finding
    code), kept as an ``OrderOverride`` for the pharmacist. What the engine said is frozen on the
    order.

    Signing a new version leaves a verified or active version it changes in force, its sessions
    untouched, until the new version is verified; a version only signed (never verified, nothing
    booked) leaves the pharmacist's queue, superseded by the new one.
    """
    current = _locked(order, version, {OrderStatus.DRAFT}, "signed")
    try:
        password_ok = password_recheck(by, password, current_request())
    except PasswordRecheckCoolingOff as cooling:
        raise OrderError(
            PASSWORD_COOLING_OFF,
            cooling.message,
            field_errors={"password": [cooling.message]},
            details={"retry_after_seconds": cooling.retry_after_seconds},
        ) from None
    if not password_ok:
        message = "The password is not correct: the order was not signed."
        raise OrderError(OrderError.WRONG_PASSWORD, message, field_errors={"password": [message]})
    living = _plan(current)
    plan = living.plan
    stops = _with_severity(plan, "stop")
    if stops:
        raise _stop_error(stops, "signed")
    overrides = _with_severity(plan, "override")
    reasons = {
        finding.code: (override_reasons.get(finding.code) or "").strip() for finding in overrides
    }
    missing = [code for code, reason in reasons.items() if not reason]
    if missing:
        raise _missing_error(
            OrderError.OVERRIDE_REASON_MISSING,
            "Give a reason to sign despite",
            "override_reasons",
            missing,
        )
    now = timezone.now()
    _clear_overrides(current, by)
    for finding in overrides:
        _save_validated(
            OrderOverride(
                order=current,
                code=finding.code,
                message=finding.message,
                reason=reasons[finding.code],
                overridden_by=by,
                overridden_at=now,
            ),
            by,
            "Overridden at signing",
        )
    _supersede_unverified_predecessor(current, by)
    current.status = OrderStatus.SIGNED
    current.signed_by = by
    current.signed_at = now
    current.plan_at_signing = dose_plan_to_json(plan)
    current.findings_at_signing = [finding.model_dump(mode="json") for finding in plan.findings]
    current.signed_weight_kg = _actual_weight_kg(current)
    _save_order(current, by, "Signed")
    return current


@transaction.atomic
def order_verify(
    order: Order, *, by: User, acknowledged_codes: Collection[str], version: int
) -> Order:
    """Verify a signed order (docs/clinical-rules.md 4): a pharmacist other than the signer (the
    database refuses it too) acknowledges each override; the engine plans the order again today and
    a ``stop`` it now raises (the formulary changed, say) refuses the verification.

    Verifying a new version supersedes the version in force it changes (docs/clinical-rules.md
    4): the infusions app cancels that version's sessions on or after the new version's first
    day (never one started), books nothing, and tells the nurses and the clinicians what moved;
    the cycles before that day stay the old version's. Refused (with nothing changed) while a
    cycle of the old version is booked across that day."""
    current = _locked(order, version, {OrderStatus.SIGNED}, "verified")
    if current.signed_by_id == by.pk:
        raise OrderError(
            OrderError.SIGNER_CANNOT_VERIFY,
            "You signed this order: another pharmacist must verify it (an independent double "
            "check).",
        )
    overrides = list(current.overrides.all())
    missing = sorted({override.code for override in overrides} - set(acknowledged_codes))
    if missing:
        raise _missing_error(
            OrderError.OVERRIDE_NOT_ACKNOWLEDGED,
            "Acknowledge each override before verifying:",
            "acknowledged_codes",
            missing,
        )
    # docs/clinical-rules.md 4: the version in force is superseded first, so that a cycle of it
    # booked across the new first day refuses with its own remedy (rolled back with the rest
    # should the plan refuse below).
    _supersede_version_in_force(current, by)
    # docs/clinical-rules.md 3.9: a stop, or an override the signed version carries no reason
    # for (the patient or the calendar changed since signing), refuses the verification.
    living = _plan(current)
    if living.stops:
        raise _stop_error(living.stops, "verified (reject it for the clinician to change)")
    refusal = living.refusal("verify")
    if refusal:
        raise OrderError(
            OrderError.PLAN_CHANGED,
            refusal,
            details={
                "findings": [finding.model_dump(mode="json") for finding in living.new_overrides]
            },
        )
    now = timezone.now()
    for override in overrides:
        override.acknowledged_by = by
        override.acknowledged_at = now
        _save_validated(override, by, "Acknowledged at verification")
    current.status = OrderStatus.VERIFIED
    current.verified_by = by
    current.verified_at = now
    _save_order(current, by, "Verified")
    order_verified.send(sender=Order, order=current, by=by)
    if current.urgent:
        urgent_order_verified.send(sender=Order, order=current, by=by)
    return current


# The statuses of a version in force until its new version is verified (docs/clinical-rules.md 4).
IN_FORCE_UNTIL_SUCCESSOR_VERIFIED = frozenset({OrderStatus.VERIFIED, OrderStatus.ACTIVE})


def _supersede_unverified_predecessor(order: Order, by: User) -> None:
    """Signing a new version of a version only signed (awaiting verification, so never in
    force: nothing booked) supersedes it, so that the pharmacist verifies the newer one only."""
    if order.supersedes_id is None:
        return
    predecessor = Order.objects.select_for_update().get(pk=order.supersedes_id)
    if predecessor.status == OrderStatus.SIGNED:
        predecessor.status = OrderStatus.SUPERSEDED
        _save_order(predecessor, by, f"Superseded by version {order.revision}")


def _supersede_version_in_force(order: Order, by: User) -> None:
    """Verifying a new version supersedes the version in force it changes (docs/clinical-rules.md
    4); the infusions app settles that version's sessions on ``order_superseded`` (and refuses,
    the verification with it, while one of its cycles is booked across the new first day)."""
    if order.supersedes_id is None:
        return
    predecessor = Order.objects.select_for_update().get(pk=order.supersedes_id)
    if predecessor.status in IN_FORCE_UNTIL_SUCCESSOR_VERIFIED:
        predecessor.status = OrderStatus.SUPERSEDED
        _save_order(predecessor, by, f"Superseded by version {order.revision}")
        order_superseded.send(sender=Order, order=predecessor, successor=order, by=by)


def _clear_overrides(order: Order, by: User) -> None:
    for override in order.overrides.all():
        override._history_user = by  # type: ignore[attr-defined]
        override.delete()


@transaction.atomic
def order_reject(order: Order, *, by: User, reason: str, version: int | None = None) -> Order:
    """Reject a signed order (docs/clinical-rules.md 4: a pharmacist, with a reason): it returns to
    draft, its signature and overrides are cleared, and the reason stays on the order for the
    clinician."""
    reason = _required_reason(reason, "reject")
    current = _locked(order, version, {OrderStatus.SIGNED}, "rejected")
    _clear_overrides(current, by)
    current.status = OrderStatus.DRAFT
    current.signed_by = None
    current.signed_at = None
    current.plan_at_signing = None
    current.signed_weight_kg = None
    current.findings_at_signing = None
    current.rejection_reason = reason
    _save_order(current, by, f"Rejected: {reason}")
    return current


@transaction.atomic
def order_discontinue(order: Order, *, by: User, reason: str, version: int | None = None) -> Order:
    """Discontinue a signed, verified or active order (docs/clinical-rules.md 4: a clinician, with a
    reason); its future sessions are cancelled by the infusions app, on ``order_discontinued``."""
    reason = _required_reason(reason, "discontinue")
    current = _locked(order, version, DISCONTINUABLE, "discontinued")
    current.status = OrderStatus.DISCONTINUED
    current.discontinued_by = by
    current.discontinued_at = timezone.now()
    current.discontinue_reason = reason
    _save_order(current, by, f"Discontinued: {reason}")
    order_discontinued.send(
        sender=Order, order=current, by=by, reason=f"Order discontinued: {reason}"
    )
    return current


@transaction.atomic
def order_complete(order: Order, *, by: User, version: int | None = None) -> Order:
    """Mark a verified or active order completed (docs/clinical-rules.md 4: the course is over)."""
    current = _locked(order, version, COMPLETABLE, "completed")
    current.status = OrderStatus.COMPLETED
    current.completed_at = timezone.now()
    _save_order(current, by, "Completed")
    return current
