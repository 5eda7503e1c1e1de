"""The findings as a table of rules (docs/clinical-rules.md 3.8): one function per code, and the
product-dependent ones marked so that the formulary asks exactly those."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ivig.engine import (
    PRODUCT_RULES,
    RULES,
    SEVERITY_BY_CODE,
    PlanRequest,
    compute_plan,
    product_findings,
)
from ivig.engine.plan import plan_with_facts
from ivig.engine.rules import base_facts
from tests.engine.factories import plan_request, product
from tests.engine.strategies import valid_requests

RULE_SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def codes(request: PlanRequest) -> list[str]:
    return [finding.code for finding in compute_plan(request).findings]


def test_every_code_but_invalid_input_has_one_rule_named_after_it() -> None:
    table = [rule.code for rule in RULES]
    assert sorted(table) == sorted(set(SEVERITY_BY_CODE) - {"INVALID_INPUT"})
    assert len(table) == len(set(table))
    for rule in RULES:
        assert rule.check.__name__ == rule.code.lower()
        assert rule.severity == SEVERITY_BY_CODE[rule.code]
        assert rule.check.__doc__ and rule.check.__doc__.startswith(rule.severity + ":")


def test_the_product_rules_are_these_five() -> None:
    assert {rule.code for rule in PRODUCT_RULES} == {
        "IGA_DEFICIENCY_WITH_ANTIBODIES",
        "IGA_DEFICIENCY",
        "SUCROSE_RENAL_RISK",
        "FLUID_OVERLOAD_RISK",
        "MALTOSE_GLUCOSE_INTERFERENCE",
    }


class _UntouchableProduct:
    """Raises on any attribute read: a rule that is not a product rule must never read it."""

    def __getattribute__(self, name: str) -> Any:
        raise AssertionError(f"a rule outside PRODUCT_RULES read product.{name}")


@RULE_SETTINGS
@given(valid_requests())
def test_rules_outside_the_product_rules_never_read_the_product(request: PlanRequest) -> None:
    _, facts = plan_with_facts(request)
    blind = replace(facts, product=_UntouchableProduct())  # type: ignore[arg-type]
    for rule in RULES:
        if not rule.reads_product:
            assert rule.check(blind) == rule.check(facts), rule.code


@RULE_SETTINGS
@given(valid_requests())
def test_product_rules_read_only_the_patient_and_the_product(request: PlanRequest) -> None:
    """Each product rule gives the same answer from the plan's facts as from the patient and the
    product alone; so ``product_findings`` says exactly what the plan says for those codes."""
    plan, facts = plan_with_facts(request)
    assert request.product is not None
    alone = base_facts(request.patient, request.product)
    for rule in PRODUCT_RULES:
        assert rule.check(facts) == rule.check(alone), rule.code
    product_codes = {rule.code for rule in PRODUCT_RULES}
    assert product_findings(request.patient, request.product) == [
        finding for finding in plan.findings if finding.code in product_codes
    ]


def test_product_findings_are_ordered_stop_override_warn() -> None:
    patient = plan_request(
        iga_status="deficient_with_antibodies",
        risk_factors=("diabetes", "cardiac_insufficiency"),
    ).patient
    dilute_maltose_sucrose = product("octagam-5", contains_sucrose=True)
    assert [(f.code, f.severity) for f in product_findings(patient, dilute_maltose_sucrose)] == [
        ("IGA_DEFICIENCY_WITH_ANTIBODIES", "stop"),
        ("SUCROSE_RENAL_RISK", "stop"),
        ("FLUID_OVERLOAD_RISK", "override"),
        ("MALTOSE_GLUCOSE_INTERFERENCE", "warn"),
    ]
    # a 10 % product without sucrose or maltose: only the IgA rule is left
    assert [f.code for f in product_findings(patient, product("gammagard-liquid"))] == [
        "IGA_DEFICIENCY_WITH_ANTIBODIES"
    ]


# --- MALTOSE_GLUCOSE_INTERFERENCE ----------------------------------------------------------


def test_maltose_product_and_diabetes_warn_about_glucose_meters() -> None:
    plan = compute_plan(plan_request(product_slug="octagam-10", risk_factors=("diabetes",)))
    assert [(f.code, f.severity) for f in plan.findings] == [
        ("RENAL_RISK", "override"),
        ("MALTOSE_GLUCOSE_INTERFERENCE", "warn"),
    ]
    message = plan.findings[1].message
    assert "Octagam 10%" in message
    assert "GDH-PQQ" in message and "falsely high" in message
    assert "glucose-specific method" in message


@pytest.mark.parametrize(
    ("slug", "risk_factors", "raised"),
    [
        ("octagam-5", ("diabetes",), True),
        ("octagam-10", ("renal_impairment",), False),  # a renal risk, but no diabetes
        ("octagam-10", (), False),
        ("privigen", ("diabetes",), False),  # diabetes, but no maltose
        ("gammagard-sd", ("diabetes",), False),  # glucose, not maltose
    ],
)
def test_maltose_interference_needs_both_maltose_and_diabetes(
    slug: str, risk_factors: tuple[str, ...], raised: bool
) -> None:
    found = "MALTOSE_GLUCOSE_INTERFERENCE" in codes(
        plan_request(product_slug=slug, risk_factors=risk_factors)
    )
    assert found is raised


def test_product_findings_need_no_plan_and_accept_an_invalid_age() -> None:
    patient = plan_request(age_years=131, weight_kg=None, risk_factors=("renal_failure",)).patient
    findings = product_findings(patient, product("carimune-nf"))
    assert [f.code for f in findings] == ["SUCROSE_RENAL_RISK", "FLUID_OVERLOAD_RISK"]
    assert "age" not in findings[0].message  # an age outside 0-130 is unknown, not "age 131"


def test_plan_facts_carry_the_derived_values() -> None:
    _, facts = plan_with_facts(
        plan_request(age_years=70, risk_factors=("diabetes", "stroke"), start_date=date(2027, 1, 4))
    )
    assert facts.renal_factors == ("diabetes",)
    assert facts.thrombosis_factors == ("stroke",)
    assert facts.renal_risk and facts.thrombosis_risk
    assert facts.dosing_weight_kg == Decimal(70)
    assert facts.daily_dose_g == Decimal(28)
    assert facts.planned_days is not None and facts.planned_days[0] == date(2027, 1, 4)
