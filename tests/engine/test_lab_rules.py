"""The rules from laboratory results and earlier reactions (docs/clinical-rules.md 3.8.2,
3.8.3), each at its boundaries, with worked examples and properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ivig.engine import (
    CycleFacts,
    LabValue,
    PlanRequest,
    ReactionFacts,
    compute_plan,
    product_findings,
)
from tests.engine.factories import plan_request, product

PROPERTY_SETTINGS = settings(max_examples=150, derandomize=True, deadline=None)
SESSION_DAY = date(2027, 3, 1)


def request_with(patient: dict[str, Any] | None = None, **request_fields: Any) -> PlanRequest:
    """The factory's request (a 40-year-old, no risk factor) with lab facts on the patient."""
    base_fields = {
        key: request_fields.pop(key)
        for key in ("age_years", "risk_factors", "iga_status", "blood_group", "product_slug")
        if key in request_fields
    }
    request = plan_request(**base_fields)
    if patient:
        request = request.model_copy(update={"patient": request.patient.model_copy(update=patient)})
    return request.model_copy(update=request_fields) if request_fields else request


def found(request: PlanRequest) -> dict[str, str]:
    return {item.code: item.message for item in compute_plan(request).findings}


# --- eGFR under 60 is renal impairment ------------------------------------------------------


def test_egfr_48_is_a_renal_risk_named_with_its_date() -> None:
    findings = found(
        request_with({"latest_egfr_ml_min_173m2": Decimal(48), "egfr_on": date(2026, 12, 2)})
    )
    assert "from eGFR 48 on 2 Dec 2026" in findings["RENAL_RISK"]


def test_egfr_boundary_59_9_counts_60_does_not() -> None:
    assert "RENAL_RISK" in found(request_with({"latest_egfr_ml_min_173m2": Decimal("59.9")}))
    assert "RENAL_RISK" not in found(request_with({"latest_egfr_ml_min_173m2": Decimal(60)}))
    assert "RENAL_RISK" not in found(request_with({"latest_egfr_ml_min_173m2": None}))


def test_a_low_egfr_stops_a_sucrose_product() -> None:
    patient = {"latest_egfr_ml_min_173m2": Decimal(48), "egfr_on": date(2026, 12, 2)}
    findings = found(request_with(patient, product_slug="carimune-nf"))
    assert "from eGFR 48 on 2 Dec 2026" in findings["SUCROSE_RENAL_RISK"]
    facts = request_with(patient).patient
    codes = [item.code for item in product_findings(facts, product("carimune-nf"))]
    assert "SUCROSE_RENAL_RISK" in codes


# --- CREATININE_DUE -------------------------------------------------------------------------


def test_creatinine_due_only_for_a_sessions_plan_with_a_renal_risk() -> None:
    renal: dict[str, Any] = {"risk_factors": ("diabetes",)}
    assert "CREATININE_DUE" not in found(request_with(**renal, evaluated_on=SESSION_DAY))
    assert "CREATININE_DUE" in found(request_with(**renal, session_on=SESSION_DAY))
    assert "CREATININE_DUE" not in found(request_with(session_on=SESSION_DAY))


def test_creatinine_30_days_before_the_session_is_recent_31_is_not() -> None:
    def due(days_before: int) -> bool:
        request = request_with(
            {"creatinine_on": SESSION_DAY - timedelta(days=days_before)},
            age_years=70,
            session_on=SESSION_DAY,
        )
        return "CREATININE_DUE" in found(request)

    assert not due(0)
    assert not due(30)
    assert due(31)
    assert due(-1)  # a result after the session's day does not count for it


def test_creatinine_due_says_when_the_last_one_was() -> None:
    message = found(
        request_with(
            {"creatinine_on": date(2027, 1, 5)}, risk_factors=("sepsis",), session_on=SESSION_DAY
        )
    )["CREATININE_DUE"]
    assert "the latest creatinine is from 5 Jan 2027" in message
    assert "by 1 Mar 2027" in message


@PROPERTY_SETTINGS
@given(
    days_before=st.integers(min_value=-400, max_value=400) | st.none(),
    renal=st.booleans(),
)
def test_creatinine_due_exactly_when_none_in_the_30_days(
    days_before: int | None, renal: bool
) -> None:
    creatinine_on = None if days_before is None else SESSION_DAY - timedelta(days=days_before)
    request = request_with(
        {"creatinine_on": creatinine_on},
        risk_factors=("renal_impairment",) if renal else (),
        session_on=SESSION_DAY,
    )
    recent = days_before is not None and 0 <= days_before <= 30
    assert ("CREATININE_DUE" in found(request)) == (renal and not recent)


# --- HEMOLYSIS_SUSPECTED --------------------------------------------------------------------

CYCLE = CycleFacts(first_day=date(2027, 1, 4), last_day=date(2027, 1, 8), dose_g_per_kg=Decimal(2))


def hb(day: date, value: str) -> LabValue:
    return LabValue(taken_on=day, value=Decimal(value))


def hemolysis(results: list[LabValue], cycle: CycleFacts | None = CYCLE) -> str | None:
    request = request_with({"hemoglobin_results": results, "last_cycle": cycle})
    return found(request).get("HEMOLYSIS_SUSPECTED")


def test_a_drop_of_2_g_dl_after_a_2_g_kg_cycle_stops() -> None:
    message = hemolysis([hb(date(2027, 1, 4), "13.5"), hb(date(2027, 1, 12), "11.5")])
    assert message is not None
    assert "from 13.5 g/dL (4 Jan 2027) to 11.5 g/dL (12 Jan 2027)" in message
    assert compute_plan(
        request_with({"hemoglobin_results": [hb(date(2027, 1, 4), "13.5"),
                                              hb(date(2027, 1, 12), "11.5")],
                      "last_cycle": CYCLE})
    ).findings[0].severity == "stop"  # fmt: skip


def test_a_drop_of_1_9_does_not() -> None:
    assert hemolysis([hb(date(2027, 1, 4), "13.5"), hb(date(2027, 1, 12), "11.6")]) is None


def test_the_window_ends_14_days_after_the_last_day() -> None:
    pre = hb(date(2027, 1, 3), "13")
    assert hemolysis([pre, hb(date(2027, 1, 22), "11")]) is not None  # last day + 14
    assert hemolysis([pre, hb(date(2027, 1, 23), "11")]) is None  # last day + 15


def test_the_pre_cycle_value_is_the_latest_on_or_before_the_first_day() -> None:
    older, pre = hb(date(2026, 12, 1), "15"), hb(date(2027, 1, 4), "12.5")
    assert hemolysis([older, pre, hb(date(2027, 1, 10), "11")]) is None  # 1.5 below 12.5


def test_a_cycle_under_2_g_kg_or_no_cycle_or_no_pre_value_does_not_stop() -> None:
    results = [hb(date(2027, 1, 4), "13.5"), hb(date(2027, 1, 12), "11")]
    low_dose = CYCLE.model_copy(update={"dose_g_per_kg": Decimal("1.99")})
    assert hemolysis(results, low_dose) is None
    assert hemolysis(results, None) is None
    assert hemolysis(results[1:]) is None


def test_a_later_hemoglobin_back_within_2_g_dl_lifts_the_stop() -> None:
    results = [hb(date(2027, 1, 4), "13.5"), hb(date(2027, 1, 12), "11")]
    assert hemolysis([*results, hb(date(2027, 1, 30), "11.6")]) is None
    assert hemolysis([*results, hb(date(2027, 1, 30), "11.5")]) is not None


@PROPERTY_SETTINGS
@given(
    pre=st.decimals(min_value=6, max_value=18, places=1),
    drop=st.decimals(min_value=-3, max_value=6, places=1),
    day_after_last=st.integers(min_value=-3, max_value=20),
    dose=st.decimals(min_value="0.4", max_value=3, places=2),
)
def test_hemolysis_exactly_when_2_g_dl_below_in_the_window_after_2_g_kg(
    pre: Decimal, drop: Decimal, day_after_last: int, dose: Decimal
) -> None:
    after_on = CYCLE.last_day + timedelta(days=day_after_last)
    cycle = CYCLE.model_copy(update={"dose_g_per_kg": dose})
    message = hemolysis([hb(CYCLE.first_day, str(pre)), hb(after_on, str(pre - drop))], cycle)
    in_window = CYCLE.first_day < after_on <= CYCLE.last_day + timedelta(days=14)
    assert (message is not None) == (drop >= 2 and dose >= 2 and in_window)


# --- IGA_STATUS_CHECK and BLOOD_GROUP_CHECK -------------------------------------------------


def test_iga_below_detection_warns_while_the_status_is_normal_or_unknown() -> None:
    below = {"iga_below_detection": True, "iga_on": date(2026, 11, 3)}
    for status, warned in (
        ("normal", True),
        ("unknown", True),
        ("deficient", False),
        ("deficient_with_antibodies", False),
    ):
        findings = found(request_with(below, iga_status=status))
        assert ("IGA_STATUS_CHECK" in findings) == warned, status
    assert "on 3 Nov 2026" in found(request_with(below))["IGA_STATUS_CHECK"]
    assert "IGA_STATUS_CHECK" not in found(request_with({"iga_below_detection": False}))


def test_an_abo_result_contradicting_the_record_warns() -> None:
    assert "BLOOD_GROUP_CHECK" in found(request_with({"abo_from_lab": "A"}, blood_group="O"))
    assert "BLOOD_GROUP_CHECK" not in found(request_with({"abo_from_lab": "O"}, blood_group="O"))
    assert "BLOOD_GROUP_CHECK" not in found(request_with(blood_group="O"))
    unknown = found(request_with({"abo_from_lab": "AB"}, blood_group="unknown"))
    assert "not recorded" in unknown["BLOOD_GROUP_CHECK"]


# --- PRIOR_INFUSION_REACTION ----------------------------------------------------------------


def reaction(planned: bool = False, **fields: Any) -> ReactionFacts:
    values: dict[str, Any] = {
        "session_id": 1,
        "occurred_on": date(2027, 1, 5),
        "severity": "moderate",
        "symptoms": ["Fever", "Skin rash"],
        "rate_at_onset_ml_per_h": 120,
        "planned": planned,
    }
    values.update(fields)
    return ReactionFacts(**values)


def test_an_unplanned_reaction_is_an_override_until_planned() -> None:
    plan = compute_plan(request_with(prior_reactions=[reaction()]))
    finding = next(item for item in plan.findings if item.code == "PRIOR_INFUSION_REACTION")
    assert finding.severity == "override"
    assert "5 Jan 2027: moderate (Fever, Skin rash) at 120 mL/h" in finding.message
    assert "PRIOR_INFUSION_REACTION" not in found(request_with(prior_reactions=[reaction(True)]))
    assert "PRIOR_INFUSION_REACTION" not in found(request_with())


@PROPERTY_SETTINGS
@given(st.lists(st.booleans(), max_size=5))
def test_the_reaction_finding_exactly_when_one_is_unplanned(planned: list[bool]) -> None:
    reactions = [reaction(flag, session_id=index) for index, flag in enumerate(planned)]
    raised = "PRIOR_INFUSION_REACTION" in found(request_with(prior_reactions=reactions))
    assert raised == (not all(planned))


def test_several_results_on_one_day_are_read_conservatively() -> None:
    pre = [hb(date(2027, 1, 4), "13"), hb(date(2027, 1, 4), "13.5")]
    same_day_after = [hb(date(2027, 1, 12), "11.6"), hb(date(2027, 1, 12), "11.5")]
    assert hemolysis([*pre, *same_day_after]) is not None
    assert hemolysis([*reversed(pre), *reversed(same_day_after)]) is not None


# --- a reaction plan's maximum rate caps the titration (3.8.3) ------------------------------


@PROPERTY_SETTINGS
@given(cap=st.integers(min_value=1, max_value=220))
def test_a_capped_plan_never_runs_above_the_cap_and_gives_the_same_volume(cap: int) -> None:
    from ivig.engine.reaction_cap import capped_plan

    plan = compute_plan(plan_request())
    capped = capped_plan(plan, cap)
    assert plan.titration is not None and capped.titration is not None
    assert max(step.rate_ml_per_h for step in capped.titration) <= max(cap, 1)
    # The day's volume, each step shown to 0.1 mL (half up): within 0.05 mL per step.
    given = sum((step.volume_ml for step in capped.titration), Decimal(0))
    assert plan.daily_volume_ml is not None
    assert abs(given - plan.daily_volume_ml) <= Decimal("0.05") * len(capped.titration)
    assert capped.infusion_minutes is not None and plan.infusion_minutes is not None
    assert capped.infusion_minutes >= plan.infusion_minutes
    if cap >= max(step.rate_ml_per_h for step in plan.titration):
        assert capped == plan
    assert capped.daily_dose_g == plan.daily_dose_g  # the dose never changes
