"""Which products suit a patient: the product-dependent rules of docs/clinical-rules.md 3.8, at
their edges."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formulary.engine_inputs import dosing_policy_facts, product_facts
from formulary.models import Product
from formulary.selectors import current_policy, products_list
from formulary.suitability import IGA_STATUSES, RISK_FACTORS, suitable_products
from ivig.engine import (
    PRODUCT_RULES,
    SEVERITY_BY_CODE,
    IndicationFacts,
    PatientFacts,
    PlanRequest,
    Regimen,
    compute_plan,
)

from .factories import ProductFactory

pytestmark = pytest.mark.django_db

RENAL_FACTORS = "renal_impairment renal_failure diabetes dehydration sepsis nephrotoxic_drugs"


def verdicts(products, **patient):
    result = suitable_products(products=products, **patient)
    fits = {fit.product.slug: fit for fit in result.suitable + result.unsuitable}
    return {slug: fit for slug, fit in fits.items()}


def codes(fit):
    return [finding.code for finding in fit.findings]


def test_with_no_risk_every_active_product_suits_without_notes():
    result = suitable_products(iga_status="normal", risk_factors=[], age_years=40)
    slugs = [fit.product.slug for fit in result.suitable]
    assert slugs == list(Product.objects.filter(active=True).values_list("slug", flat=True))
    assert "carimune-nf" not in slugs  # inactive products are not offered
    assert result.unsuitable == []
    assert all(fit.notes == [] for fit in result.suitable)


def test_iga_deficiency_with_antibodies_leaves_only_low_iga_products():
    result = suitable_products(
        iga_status="deficient_with_antibodies", risk_factors=[], age_years=40
    )
    assert [(fit.product.slug, fit.notes) for fit in result.suitable] == [
        ("gammagard-sd", ["low IgA"])
    ]
    unsuitable = result.unsuitable
    assert unsuitable and all(
        codes(fit) == ["IGA_DEFICIENCY_WITH_ANTIBODIES"] for fit in unsuitable
    )
    assert all(fit.findings[0].severity == "stop" for fit in unsuitable)
    assert "Privigen is not a low-IgA product" in next(
        fit.findings[0].message for fit in unsuitable if fit.product.slug == "privigen"
    )


def test_iga_deficiency_without_known_antibodies_needs_an_override_for_other_products():
    result = suitable_products(iga_status="deficient", risk_factors=[], age_years=40)
    assert [fit.product.slug for fit in result.suitable] == ["gammagard-sd"]
    assert {codes(fit)[0] for fit in result.unsuitable} == {"IGA_DEFICIENCY"}
    assert {fit.findings[0].severity for fit in result.unsuitable} == {"override"}


@pytest.mark.parametrize("iga_status", ["normal", "unknown"])
def test_no_iga_rule_without_a_known_deficiency(iga_status):
    result = suitable_products(iga_status=iga_status, risk_factors=[], age_years=40)
    assert result.unsuitable == []


@pytest.fixture
def sucrose_product():
    return ProductFactory.create(
        slug="sucrogam", brand_name="Sucrogam", stabilizers=["sucrose"], contains_sucrose=True
    )


@pytest.mark.parametrize(("age_years", "suits"), [(64, True), (65, False)])
def test_sucrose_and_age_65_is_a_renal_risk(sucrose_product, age_years, suits):
    fit = verdicts([sucrose_product], iga_status="normal", risk_factors=[], age_years=age_years)
    assert fit["sucrogam"].suitable is suits
    if not suits:
        assert codes(fit["sucrogam"]) == ["SUCROSE_RENAL_RISK"]
        assert "age 65" in fit["sucrogam"].findings[0].message


@pytest.mark.parametrize("factor", RENAL_FACTORS.split())
def test_sucrose_and_each_renal_factor_stops(sucrose_product, factor):
    plain = Product.objects.get(slug="privigen")
    fit = verdicts(
        [sucrose_product, plain], iga_status="normal", risk_factors=[factor], age_years=30
    )
    assert codes(fit["sucrogam"]) == ["SUCROSE_RENAL_RISK"]
    assert fit["sucrogam"].findings[0].severity == "stop"
    assert fit["privigen"].suitable and fit["privigen"].notes[0] == "sucrose-free"


def test_a_thrombosis_factor_alone_does_not_set_sucrose_products_apart(sucrose_product):
    fit = verdicts([sucrose_product], iga_status="normal", risk_factors=["stroke"], age_years=30)
    assert fit["sucrogam"].suitable


@pytest.mark.parametrize("factor", ["cardiac_insufficiency", "renal_failure"])
@pytest.mark.parametrize(
    ("concentration_pct", "suits"),
    [(Decimal(5), False), (Decimal("9.99"), False), (Decimal(10), True), (Decimal(12), True)],
)
def test_fluid_overload_needs_a_product_of_10_percent_or_more(factor, concentration_pct, suits):
    product = ProductFactory.create(slug="testgam", concentration_pct=concentration_pct)
    fit = verdicts([product], iga_status="normal", risk_factors=[factor], age_years=30)["testgam"]
    assert fit.suitable is suits
    if suits:
        assert f"{concentration_pct} % (less fluid)" in fit.notes
    else:
        assert codes(fit) == ["FLUID_OVERLOAD_RISK"]
        assert fit.findings[0].severity == "override"


def test_cardiac_disease_alone_is_no_fluid_overload_risk():
    product = ProductFactory.create(slug="testgam", concentration_pct=Decimal(5))
    fit = verdicts([product], iga_status="normal", risk_factors=["cardiac_disease"], age_years=30)
    assert fit["testgam"].suitable


def test_every_reason_is_listed_and_notes_only_for_suitable_products():
    result = suitable_products(
        iga_status="deficient_with_antibodies", risk_factors=["renal_failure"], age_years=70
    )
    assert result.suitable == []  # the only low-IgA product is 5 %: fluid overload
    gammagard_sd = next(fit for fit in result.unsuitable if fit.product.slug == "gammagard-sd")
    assert codes(gammagard_sd) == ["FLUID_OVERLOAD_RISK"] and gammagard_sd.notes == []


def test_explanations_name_why_a_product_suits():
    result = suitable_products(
        iga_status="deficient", risk_factors=["diabetes", "cardiac_insufficiency"], age_years=50
    )
    assert result.suitable == []
    low_iga_ten = ProductFactory.create(slug="lowgam", low_iga=True, concentration_pct=Decimal(10))
    fit = verdicts(
        [low_iga_ten],
        iga_status="deficient",
        risk_factors=["diabetes", "cardiac_insufficiency"],
        age_years=50,
    )["lowgam"]
    assert fit.notes == ["low IgA", "sucrose-free", "10 % (less fluid)"]


def test_unknown_codes_are_refused():
    with pytest.raises(ValueError, match="unknown risk factors: kidney"):
        suitable_products(iga_status="normal", risk_factors=["kidney"], age_years=30)
    with pytest.raises(ValueError, match="unknown IgA status"):
        suitable_products(iga_status="low", risk_factors=[], age_years=30)


def _engine_codes(
    product: Product, iga_status: str, factors: list[str], age_years: int
) -> set[str]:
    plan = compute_plan(
        PlanRequest(
            patient=PatientFacts(
                weight_kg=Decimal(70),
                height_cm=Decimal(170),
                sex="female",
                age_years=age_years,
                iga_status=iga_status,
                risk_factors=factors,
            ),
            product=product_facts(product),
            indication=IndicationFacts(
                slug="test",
                name="Test",
                category="Test",
                max_daily_g_per_kg=Decimal(1),
                max_g_per_kg_per_28_days=Decimal(2),
            ),
            regimen=Regimen(
                total_dose_g_per_kg=Decimal(2),
                days_per_cycle=5,
                cycles=1,
                cycle_interval_days=28,
                start_date=date(2027, 1, 4),
            ),
            policy=dosing_policy_facts(current_policy()),
        )
    )
    return {f.code for f in plan.findings} & {rule.code for rule in PRODUCT_RULES}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    iga_status=st.sampled_from(IGA_STATUSES),
    factors=st.lists(st.sampled_from(RISK_FACTORS), unique=True, max_size=4),
    age_years=st.integers(min_value=18, max_value=90),
)
def test_a_suitable_product_raises_none_of_these_findings_in_the_engine(
    iga_status, factors, age_years
):
    """The list agrees with the engine: suitable exactly when the plan has no such finding."""
    products = list(products_list())  # inactive Carimune too: the rules act on it all the same
    result = suitable_products(
        products=products, iga_status=iga_status, risk_factors=factors, age_years=age_years
    )
    for fit in result.suitable + result.unsuitable:
        engine = _engine_codes(fit.product, iga_status, factors, age_years)
        reported = fit.findings + fit.warnings
        assert {finding.code for finding in reported} == engine, fit.product.slug
        assert fit.suitable is all(finding.severity == "warn" for finding in reported)


# --- one place for each product rule: the engine's ------------------------------------------

# For each product rule, a patient and a product that raise it (and the same patient with a
# product that does not): suitability must report every one of them.
PRODUCT_RULE_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "IGA_DEFICIENCY_WITH_ANTIBODIES": (
        {"iga_status": "deficient_with_antibodies", "risk_factors": [], "age_years": 40},
        {"low_iga": False},
        {"low_iga": True},
    ),
    "IGA_DEFICIENCY": (
        {"iga_status": "deficient", "risk_factors": [], "age_years": 40},
        {"low_iga": False},
        {"low_iga": True},
    ),
    "SUCROSE_RENAL_RISK": (
        {"iga_status": "normal", "risk_factors": ["dehydration"], "age_years": 40},
        {"stabilizers": ["sucrose"], "contains_sucrose": True},
        {"stabilizers": ["glycine"], "contains_sucrose": False},
    ),
    "FLUID_OVERLOAD_RISK": (
        {"iga_status": "normal", "risk_factors": ["renal_failure"], "age_years": 40},
        {"concentration_pct": Decimal(5)},
        {"concentration_pct": Decimal(10)},
    ),
    "MALTOSE_GLUCOSE_INTERFERENCE": (
        {"iga_status": "normal", "risk_factors": ["diabetes"], "age_years": 40},
        {"stabilizers": ["maltose"]},
        {"stabilizers": ["glycine"]},
    ),
}


def test_every_product_rule_has_a_suitability_case():
    assert set(PRODUCT_RULE_CASES) == {rule.code for rule in PRODUCT_RULES}


@pytest.mark.parametrize("code", sorted(PRODUCT_RULE_CASES))
def test_suitability_reports_each_product_rule(code):
    patient, raising, harmless = PRODUCT_RULE_CASES[code]
    severity = SEVERITY_BY_CODE[code]
    bad = ProductFactory.create(slug="badgam", **raising)
    good = ProductFactory.create(slug="goodgam", **harmless)
    fits = verdicts([bad, good], **patient)
    reported = fits["badgam"].findings + fits["badgam"].warnings
    assert [(finding.code, finding.severity) for finding in reported] == [(code, severity)]
    assert fits["badgam"].suitable is (severity == "warn")
    assert fits["goodgam"].suitable
    assert fits["goodgam"].findings == [] and fits["goodgam"].warnings == []


def test_a_maltose_product_suits_a_diabetic_patient_with_a_warning():
    octagam = Product.objects.get(slug="octagam-10")
    fit = verdicts([octagam], iga_status="normal", risk_factors=["diabetes"], age_years=50)
    assert fit["octagam-10"].suitable
    assert fit["octagam-10"].notes == ["sucrose-free"]
    assert [w.code for w in fit["octagam-10"].warnings] == ["MALTOSE_GLUCOSE_INTERFERENCE"]
    assert "GDH-PQQ" in fit["octagam-10"].warnings[0].message


def test_a_product_without_a_price_can_still_be_judged():
    product = ProductFactory.create(slug="unpriced", price=False, low_iga=False)
    fit = verdicts([product], iga_status="deficient", risk_factors=[], age_years=40)
    assert codes(fit["unpriced"]) == ["IGA_DEFICIENCY"]
