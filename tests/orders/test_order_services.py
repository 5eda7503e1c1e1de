"""The order lifecycle through ``orders.services`` (docs/clinical-rules.md 3.8, 4): every transition
and each of its refusals, versions, overrides and their acknowledgement, and the history."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from formulary.models import PremedicationDrug, Product
from formulary.services import product_deactivate
from orders import services
from orders.dose_plans.plan_accessor import order_plan
from orders.errors import OrderError
from orders.models import Order, OrderOverride, OrderStatus
from orders.premedication.services import LineValues
from orders.selectors import order_history, order_versions, orders_awaiting_verification
from orders.services import (
    order_complete,
    order_create,
    order_discontinue,
    order_reject,
    order_update,
    order_verify,
)

from ..conftest import TEST_PASSWORD
from .factories import PatientWeightFactory, order_values, worked_example_patient

pytestmark = pytest.mark.django_db


def refusal(call, *args, **kwargs) -> OrderError:
    with pytest.raises(OrderError) as caught:
        call(*args, **kwargs)
    return caught.value


def reloaded(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def risky_patient(clinician):
    """Diabetes (renal) and cardiac disease (thrombosis): two override findings."""
    return worked_example_patient(clinician, risk_factors=["cardiac_disease", "diabetes"])


@pytest.fixture
def risky_draft(clinician, risky_patient):
    return order_create(by=clinician, **order_values(risky_patient))


REASONS = {"RENAL_RISK": "Hydrated, creatinine normal", "THROMBOSIS_RISK": "Mobilising daily"}


# --- create ----------------------------------------------------------------------------------


def test_create_makes_a_draft_at_version_1_with_the_default_premedication(clinician, draft):
    draft.refresh_from_db()
    assert (draft.status, draft.version, draft.revision) == (OrderStatus.DRAFT, 1, 1)
    assert draft.premedication == ""  # lines, never text (docs/clinical-rules.md 3.5)
    assert [line.drug.slug for line in draft.premedication_lines.all()] == [
        "diphenhydramine",
        "acetaminophen",
    ]
    assert draft.created_by == clinician
    assert draft.number == f"IV-{draft.pk:06d}"
    (record,) = draft.history.all()
    assert (record.history_user, record.history_change_reason) == (clinician, "Created")


def test_create_keeps_edited_premedication_lines(clinician, worked_patient):
    cetirizine = PremedicationDrug.objects.get(slug="cetirizine")
    line = LineValues(cetirizine, Decimal(10), "mg", "PO", 30)
    order = order_create(by=clinician, premedication_lines=[line], **order_values(worked_patient))
    assert [str(line) for line in order.premedication_lines.all()] == ["Cetirizine 10.00 mg PO"]


def test_create_records_todays_weight_and_plans_on_it(clinician, worked_patient):
    order = order_create(
        by=clinician,
        weight_today_kg=Decimal("60"),
        confirm_unusual_weight=True,  # 27 % less than 82.5 kg (docs/clinical-rules.md 3.1.1)
        **order_values(worked_patient),
    )
    latest = worked_patient.weights.first()
    assert (latest.weight_kg, latest.measured_on) == (Decimal("60"), timezone.localdate())
    assert order_plan(order, as_of=timezone.localdate()).plan.dosing_weight_kg == Decimal("60")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"daily_dose_mg_per_kg": Decimal("400")}, "__all__"),  # both doses
        ({"total_dose_g_per_kg": None}, "__all__"),  # neither
        ({"days_per_cycle": 6}, "days_per_cycle"),  # on its field, in words (issue 19)
        ({"cycles": 61}, "cycles"),
        ({"cycle_interval_days": 6}, "cycle_interval_days"),
        ({"dosing_weight_basis": "lean"}, "dosing_weight_basis"),
    ],
)
def test_create_refuses_an_impossible_order(clinician, worked_patient, overrides, field):
    error = refusal(order_create, by=clinician, **order_values(worked_patient, **overrides))
    assert error.code == OrderError.INVALID
    assert field in error.field_errors
    assert not Order.objects.exists()


def test_create_refuses_an_inactive_product(clinician, pharmacist, worked_patient):
    product = Product.objects.get(slug="privigen")
    product_deactivate(product=product, user=pharmacist, reason="Shortage")
    error = refusal(order_create, by=clinician, **order_values(worked_patient))
    assert error.code == OrderError.PRODUCT_INACTIVE
    assert "product" in error.field_errors


# --- update ----------------------------------------------------------------------------------


def test_a_draft_is_changed_in_place(clinician, draft):
    changed = order_update(draft, by=clinician, version=1, cycles=3, notes="Review after 3")
    assert changed.pk == draft.pk
    draft.refresh_from_db()
    assert (draft.cycles, draft.notes, draft.version, draft.revision) == (3, "Review after 3", 2, 1)
    assert draft.history.first().history_user == clinician


def test_a_change_that_changes_nothing_saves_nothing(clinician, draft):
    order_update(draft, by=clinician, version=1, cycles=draft.cycles)
    assert reloaded(draft).version == 1


def test_a_stale_edit_is_refused_naming_who_changed_it_and_when(clinician, make_user, draft):
    colleague = make_user("dr-two")
    order_update(draft, by=colleague, version=1, cycles=4)
    error = refusal(order_update, draft, by=clinician, version=1, cycles=3)
    assert error.code == OrderError.STALE_VERSION
    assert error.is_conflict
    assert "This order was changed by dr-two at " in error.message
    assert "you had version 1" in error.message
    assert reloaded(draft).cycles == 4


def test_order_update_refuses_fields_it_does_not_own(clinician, draft):
    with pytest.raises(TypeError):
        order_update(draft, by=clinician, version=1, status="verified")


def test_editing_a_signed_order_makes_version_2_and_supersedes_the_first(
    clinician, make_user, risky_draft, sign
):
    signed = sign(risky_draft, clinician, REASONS)
    editor = make_user("dr-two")
    successor = order_update(signed, by=editor, version=signed.version, cycles=3)
    # The signed version stays in force until the new version is signed.
    assert reloaded(signed).status == OrderStatus.SIGNED
    successor = sign(successor, editor, REASONS)

    old = reloaded(signed)
    assert old.status == OrderStatus.SUPERSEDED
    assert old.cycles == 6
    assert successor.pk != old.pk
    assert (successor.revision, successor.status, successor.cycles) == (2, OrderStatus.SIGNED, 3)
    assert (successor.lineage_id, successor.supersedes_id) == (old.pk, old.pk)
    assert successor.number == old.number
    assert successor.created_by == editor
    assert successor.overrides.count() == 2  # its own signature's, none carried over
    assert old.overrides.count() == 2
    assert list(order_versions(successor)) == [old, successor]

    history = order_history(successor)
    subjects = {(entry.subject, entry.action) for entry in history}
    assert {("Version 1", "created"), ("Version 1", "changed"), ("Version 2", "created")} <= (
        subjects
    )
    superseded = next(e for e in history if e.reason == "Superseded by version 2")
    assert superseded.who == editor
    assert any(c.before == "Signed, awaiting verification" for c in superseded.changes)


def test_a_third_version_continues_the_lineage(clinician, pharmacist, draft, sign):
    second = order_update(sign(draft, clinician), by=clinician, version=2, cycles=5)
    third = order_update(sign(second, clinician), by=clinician, version=2, cycles=4)
    assert (third.revision, third.lineage_id, third.supersedes_id) == (3, draft.pk, second.pk)
    assert [o.revision for o in order_versions(draft)] == [1, 2, 3]


def test_a_superseded_order_cannot_be_edited_again(clinician, draft, sign):
    signed = sign(draft, clinician)
    successor = order_update(signed, by=clinician, version=signed.version, cycles=3)
    sign(successor, clinician)
    error = refusal(order_update, signed, by=clinician, version=3, cycles=2)
    assert error.code == OrderError.WRONG_STATE
    assert "superseded" in error.message


def test_a_draft_change_leaves_the_signed_version_in_force_until_it_is_signed(
    clinician, pharmacist, draft, sign
):
    signed = sign(draft, clinician)
    successor = order_update(signed, by=clinician, version=signed.version, cycles=3)
    assert reloaded(signed).status == OrderStatus.SIGNED
    assert signed.pk in {o.pk for o in orders_awaiting_verification()}
    # One draft change at a time: the signed version is not changed twice.
    error = refusal(order_update, signed, by=clinician, version=signed.version, cycles=2)
    assert error.code == OrderError.WRONG_STATE
    assert "Version 2" in error.message
    sign(successor, clinician)
    assert reloaded(signed).status == OrderStatus.SUPERSEDED
    assert signed.pk not in {o.pk for o in orders_awaiting_verification()}


# --- sign ------------------------------------------------------------------------------------


def test_signing_freezes_the_engines_plan_and_findings(clinician, draft, sign):
    signed = sign(draft, clinician)
    signed.refresh_from_db()
    assert (signed.status, signed.signed_by, signed.version) == (OrderStatus.SIGNED, clinician, 2)
    assert signed.signed_at is not None
    assert signed.plan_at_signing["daily_dose_g"] == "25"
    assert signed.plan_at_signing["daily_volume_ml"] == 250
    assert [f["code"] for f in signed.findings_at_signing] == [
        "ASEPTIC_MENINGITIS_RISK",
        "HEMOLYSIS_RISK",
        # A warning: signing does not wait for the payer (docs/clinical-rules.md 3.8).
        "NO_AUTHORIZATION",
    ]
    assert signed.history.first().history_change_reason == "Signed"


def test_a_wrong_password_refuses_the_signature(clinician, draft):
    error = refusal(
        services.order_sign,
        draft,
        by=clinician,
        password="not-my-password",
        override_reasons={},
        version=1,
    )
    assert error.code == OrderError.WRONG_PASSWORD
    assert "password" in error.field_errors
    assert reloaded(draft).status == OrderStatus.DRAFT


def test_a_stop_finding_refuses_the_signature_listing_it(clinician, sign):
    patient = worked_example_patient(clinician, iga_status="deficient_with_antibodies")
    order = order_create(by=clinician, **order_values(patient))
    error = refusal(sign, order, clinician)
    assert error.code == OrderError.STOP_FINDINGS
    assert "IgA deficiency with anti-IgA antibodies" in error.message
    assert "IGA_DEFICIENCY_WITH_ANTIBODIES" not in error.message
    assert [f["code"] for f in error.details["findings"]] == ["IGA_DEFICIENCY_WITH_ANTIBODIES"]
    assert reloaded(order).status == OrderStatus.DRAFT


def test_a_400_kg_weight_is_a_stop(clinician, sign, worked_patient):
    order = order_create(
        by=clinician,
        weight_today_kg=Decimal("400"),
        confirm_unusual_weight=True,  # docs/clinical-rules.md 3.1.1
        **order_values(worked_patient),
    )
    error = refusal(sign, order, clinician)
    assert error.code == OrderError.STOP_FINDINGS
    assert "The order is incomplete or invalid" in error.message


def test_each_override_finding_needs_a_reason(clinician, risky_draft, sign):
    error = refusal(
        sign, risky_draft, clinician, {"RENAL_RISK": "Hydrated", "THROMBOSIS_RISK": " "}
    )
    assert error.code == OrderError.OVERRIDE_REASON_MISSING
    assert error.details["missing"] == ["THROMBOSIS_RISK"]
    assert "Thrombosis risk" in error.message and "THROMBOSIS_RISK" not in error.message
    assert not OrderOverride.objects.exists()


def test_overrides_are_stored_with_their_reasons(clinician, risky_draft, sign):
    signed = sign(risky_draft, clinician, {**REASONS, "NOT_A_FINDING": "ignored"})
    overrides = {o.code: o for o in signed.overrides.all()}
    assert set(overrides) == {"RENAL_RISK", "THROMBOSIS_RISK"}
    assert overrides["RENAL_RISK"].reason == "Hydrated, creatinine normal"
    assert overrides["RENAL_RISK"].overridden_by == clinician
    assert "creatinine" in overrides["RENAL_RISK"].message.lower()


def test_an_outdated_weight_needs_an_override_at_signing(clinician, sign, worked_patient):
    worked_patient.weights.update(measured_on=timezone.localdate() - timedelta(days=45))
    order = order_create(by=clinician, **order_values(worked_patient))
    error = refusal(sign, order, clinician)
    assert error.details["missing"] == ["WEIGHT_OUTDATED"]
    signed = sign(order, clinician, {"WEIGHT_OUTDATED": "Weighed at clinic, stable"})
    assert signed.overrides.get().code == "WEIGHT_OUTDATED"


def test_only_a_draft_can_be_signed(clinician, draft, sign):
    signed = sign(draft, clinician)
    error = refusal(sign, signed, clinician)
    assert error.code == OrderError.WRONG_STATE
    assert error.is_conflict


def test_a_stale_signature_is_refused(clinician, draft):
    order_update(draft, by=clinician, version=1, cycles=3)
    error = refusal(
        services.order_sign,
        draft,
        by=clinician,
        password=TEST_PASSWORD,
        override_reasons={},
        version=1,
    )
    assert error.code == OrderError.STALE_VERSION


# --- verify ----------------------------------------------------------------------------------


def test_a_pharmacist_verifies_acknowledging_each_override(
    clinician, pharmacist, risky_draft, sign
):
    signed = sign(risky_draft, clinician, REASONS)
    verified = order_verify(
        signed, by=pharmacist, acknowledged_codes=list(REASONS), version=signed.version
    )
    verified.refresh_from_db()
    assert (verified.status, verified.verified_by) == (OrderStatus.VERIFIED, pharmacist)
    assert all(o.acknowledged_by == pharmacist for o in verified.overrides.all())
    assert all(o.acknowledged_at for o in verified.overrides.all())


def test_every_override_must_be_acknowledged(clinician, pharmacist, risky_draft, sign):
    signed = sign(risky_draft, clinician, REASONS)
    error = refusal(
        order_verify, signed, by=pharmacist, acknowledged_codes=["RENAL_RISK"], version=2
    )
    assert error.code == OrderError.OVERRIDE_NOT_ACKNOWLEDGED
    assert error.details["missing"] == ["THROMBOSIS_RISK"]
    assert reloaded(signed).status == OrderStatus.SIGNED


def test_the_signer_cannot_verify_their_own_order(make_user, worked_patient, sign):
    both = make_user("dr-pharm")
    order = order_create(by=both, **order_values(worked_patient))
    signed = sign(order, both)
    error = refusal(order_verify, signed, by=both, acknowledged_codes=[], version=2)
    assert error.code == OrderError.SIGNER_CANNOT_VERIFY
    assert "another pharmacist" in error.message


def test_the_database_refuses_a_verifier_who_signed(clinician, draft, sign):
    signed = sign(draft, clinician)
    with pytest.raises(IntegrityError):
        Order.objects.filter(pk=signed.pk).update(verified_by=clinician)


def test_verification_is_refused_when_the_plan_now_has_a_stop(clinician, pharmacist, draft, sign):
    signed = sign(draft, clinician)
    # The formulary changed: Privigen is now recorded as containing sucrose, and the patient
    # turned out to have renal impairment.
    Product.objects.filter(slug="privigen").update(contains_sucrose=True)
    signed.patient.risk_factors = ["renal_impairment"]
    signed.patient.save()
    error = refusal(order_verify, signed, by=pharmacist, acknowledged_codes=[], version=2)
    assert error.code == OrderError.STOP_FINDINGS
    assert "Sucrose-containing product with a renal risk" in error.message
    assert reloaded(signed).status == OrderStatus.SIGNED


def test_only_a_signed_order_can_be_verified(pharmacist, draft):
    error = refusal(order_verify, draft, by=pharmacist, acknowledged_codes=[], version=1)
    assert error.code == OrderError.WRONG_STATE


# --- reject ----------------------------------------------------------------------------------


def test_a_rejected_order_returns_to_draft_with_its_reason(
    clinician, pharmacist, risky_draft, sign
):
    signed = sign(risky_draft, clinician, REASONS)
    rejected = order_reject(signed, by=pharmacist, reason="Dose too high for her renal function")
    rejected.refresh_from_db()
    assert rejected.status == OrderStatus.DRAFT
    assert (rejected.signed_by, rejected.signed_at, rejected.plan_at_signing) == (None, None, None)
    assert rejected.rejection_reason == "Dose too high for her renal function"
    assert not rejected.overrides.exists()
    assert rejected.history.first().history_user == pharmacist
    # ... and it can be signed again
    again = services.order_sign(
        rejected,
        by=clinician,
        password=TEST_PASSWORD,
        override_reasons=REASONS,
        version=rejected.version,
    )
    assert again.status == OrderStatus.SIGNED
    assert again.overrides.count() == 2


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_needs_a_reason(clinician, pharmacist, draft, sign, reason):
    signed = sign(draft, clinician)
    error = refusal(order_reject, signed, by=pharmacist, reason=reason)
    assert error.code == OrderError.REASON_REQUIRED
    assert "reason" in error.field_errors
    assert reloaded(signed).status == OrderStatus.SIGNED


def test_only_a_signed_order_can_be_rejected(pharmacist, draft):
    error = refusal(order_reject, draft, by=pharmacist, reason="No")
    assert error.code == OrderError.WRONG_STATE


# --- discontinue and complete ----------------------------------------------------------------


@pytest.fixture
def verified(clinician, pharmacist, draft, sign):
    signed = sign(draft, clinician)
    return order_verify(signed, by=pharmacist, acknowledged_codes=[], version=signed.version)


def test_discontinuing_cancels_future_sessions(clinician, verified, monkeypatch):
    import infusions.receivers

    cancelled: list[Order] = []
    monkeypatch.setattr(
        infusions.receivers, "cancel_future_sessions", lambda order, **_: cancelled.append(order)
    )
    order = order_discontinue(verified, by=clinician, reason="Remission")
    order.refresh_from_db()
    assert order.status == OrderStatus.DISCONTINUED
    assert (order.discontinued_by, order.discontinue_reason) == (clinician, "Remission")
    assert order.discontinued_at is not None
    assert [o.pk for o in cancelled] == [order.pk]


def test_a_discontinuation_needs_a_reason(clinician, verified):
    error = refusal(order_discontinue, verified, by=clinician, reason=" ")
    assert error.code == OrderError.REASON_REQUIRED
    assert reloaded(verified).status == OrderStatus.VERIFIED


def test_a_signed_order_can_be_discontinued(clinician, draft, sign):
    order = order_discontinue(sign(draft, clinician), by=clinician, reason="Changed plan")
    assert order.status == OrderStatus.DISCONTINUED


def test_completing_a_verified_order(clinician, verified):
    order = order_complete(verified, by=clinician)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.completed_at is not None


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (OrderStatus.DRAFT, "discontinue"),
        (OrderStatus.DRAFT, "complete"),
        (OrderStatus.SIGNED, "complete"),
        (OrderStatus.COMPLETED, "discontinue"),
        (OrderStatus.DISCONTINUED, "complete"),
        (OrderStatus.DISCONTINUED, "discontinue"),
        (OrderStatus.SUPERSEDED, "discontinue"),
        (OrderStatus.COMPLETED, "edit"),
        (OrderStatus.DISCONTINUED, "edit"),
        (OrderStatus.SUPERSEDED, "edit"),  # an active one makes a new version (10.3)
        (OrderStatus.VERIFIED, "sign"),
        (OrderStatus.VERIFIED, "verify"),
        (OrderStatus.VERIFIED, "reject"),
    ],
)
def test_illegal_transitions_are_refused(clinician, pharmacist, draft, status, step):
    Order.objects.filter(pk=draft.pk).update(status=status)
    steps = {
        "discontinue": lambda: order_discontinue(draft, by=clinician, reason="r"),
        "complete": lambda: order_complete(draft, by=clinician),
        "edit": lambda: order_update(draft, by=clinician, version=1, cycles=2),
        "sign": lambda: services.order_sign(
            draft, by=clinician, password=TEST_PASSWORD, override_reasons={}, version=1
        ),
        "verify": lambda: order_verify(draft, by=pharmacist, acknowledged_codes=[], version=1),
        "reject": lambda: order_reject(draft, by=pharmacist, reason="r"),
    }
    error = refusal(steps[step])
    assert error.code == OrderError.WRONG_STATE
    assert reloaded(draft).status == status


def test_the_history_shows_every_step_with_who_and_why(clinician, pharmacist, risky_draft, sign):
    signed = sign(risky_draft, clinician, REASONS)
    order_verify(signed, by=pharmacist, acknowledged_codes=list(REASONS), version=2)
    history = order_history(signed)
    steps = [(e.subject, e.reason, e.who) for e in reversed(history) if e.subject == "Version 1"]
    assert steps == [
        ("Version 1", "Created", clinician),
        ("Version 1", "Signed", clinician),
        ("Version 1", "Verified", pharmacist),
    ]
    acknowledged = [e for e in history if e.reason == "Acknowledged at verification"]
    assert {e.subject for e in acknowledged} == {
        "Override: Renal risk",
        "Override: Thrombosis risk",
    }


def test_a_weight_recorded_after_signing_does_not_change_the_signed_plan(clinician, draft, sign):
    signed = sign(draft, clinician)
    PatientWeightFactory.create(patient=signed.patient, weight_kg=Decimal("60"))
    plan = reloaded(signed).plan_at_signing
    assert plan is not None and plan["dosing_weight_kg"] == "68.8"
