"""Formulary rules, tested by calling the services (docs/clinical-rules.md 3.3, 3.4, 3.7, 5)."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from formulary import services
from formulary.models import DosingPolicy, Product, VialSize
from formulary.selectors import current_price, policy_history, product_history
from formulary.services import FormularyError, RateStepData, VialSizeData

from .factories import ProductFactory

pytestmark = pytest.mark.django_db

FIELDS: dict[str, Any] = {
    "brand_name": "Newgam 10%",
    "manufacturer": "New Biologics",
    "concentration_pct": Decimal(10),
    "form": "liquid",
    "stabilizers": ["glycine"],
    "contains_sucrose": False,
    "label_max_mg_per_kg_per_min": Decimal(8),
}
SIZES = [VialSizeData(Decimal(5)), VialSizeData(Decimal(10))]
STEPS = [RateStepData(Decimal(1), 30), RateStepData(Decimal(2), 30), RateStepData(Decimal(8))]


def create(user: Any, **overrides: Any) -> Product:
    arguments: dict[str, Any] = {
        "user": user,
        "slug": "newgam",
        "fields": FIELDS,
        "vial_sizes": SIZES,
        "label_rate_steps": STEPS,
        "price_per_g": Decimal(97),
    }
    return services.product_create(**{**arguments, **overrides})


def refused(code: str, call: Any, **kwargs: Any) -> FormularyError:
    with pytest.raises(FormularyError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_create_makes_the_product_its_sizes_steps_and_price(pharmacist):
    product = create(pharmacist)
    assert product.active and product.slug == "newgam"
    assert [v.size_g for v in product.vial_sizes.all()] == [5, 10]
    steps = [
        (s.position, s.rate_mg_per_kg_per_min, s.minutes) for s in product.label_rate_steps.all()
    ]
    assert steps == [(1, 1, 30), (2, 2, 30), (3, 8, None)]
    price = product.prices.get()
    assert (price.price_per_g, price.effective_from, price.created_by) == (
        97,
        timezone.localdate(),
        pharmacist,
    )
    assert current_price(product) == 97


def test_every_created_row_records_who_created_it(pharmacist):
    product = create(pharmacist)
    entries = product_history(product)
    assert len(entries) == 1 + 2 + 3 + 1  # product, two sizes, three steps, the price
    assert {entry.who for entry in entries} == {pharmacist}
    assert {entry.action for entry in entries} == {"created"}


def test_a_change_is_audited_with_who_before_and_after(pharmacist):
    product = create(pharmacist)
    services.product_update(
        product=product,
        user=pharmacist,
        expected_version=product.version,
        fields={"concentration_pct": Decimal(5), "brand_name": "Newgam 5%"},
    )
    latest = product_history(product)[0]
    assert (latest.who, latest.subject, latest.action) == (pharmacist, "Product", "changed")
    changes = {change.label: (change.before, change.after) for change in latest.changes}
    assert changes == {"concentration (%)": ("10", "5"), "brand name": ("Newgam 10%", "Newgam 5%")}
    record = product.history.first()
    assert record.history_user == pharmacist
    assert record.prev_record.concentration_pct == 10


def test_an_update_that_changes_nothing_records_nothing(pharmacist):
    product = create(pharmacist)
    before = len(product_history(product))
    services.product_update(
        product=product,
        user=pharmacist,
        expected_version=1,
        fields=FIELDS,
        vial_sizes=SIZES,
        label_rate_steps=STEPS,
    )
    assert len(product_history(product)) == before


def test_a_vial_size_left_out_is_kept_inactive_not_deleted(pharmacist):
    product = create(pharmacist)
    services.product_update(
        product=product,
        user=pharmacist,
        expected_version=product.version,
        fields={},
        vial_sizes=[VialSizeData(Decimal(10)), VialSizeData(Decimal(20))],
    )
    sizes = {v.size_g: v.active for v in VialSize.objects.filter(product=product)}
    assert sizes == {5: False, 10: True, 20: True}
    assert product_history(product)[0].who == pharmacist


def test_steps_past_the_new_list_are_removed_and_the_removal_audited(pharmacist):
    product = create(pharmacist)
    services.product_update(
        product=product,
        user=pharmacist,
        expected_version=product.version,
        fields={},
        label_rate_steps=[RateStepData(Decimal(1), 30), RateStepData(Decimal(4))],
    )
    steps = [(s.rate_mg_per_kg_per_min, s.minutes) for s in product.label_rate_steps.all()]
    assert steps == [(1, 30), (4, None)]
    deleted = [e for e in product_history(product) if e.action == "deleted"]
    assert [(e.subject, e.who) for e in deleted] == [("Label rate step 3", pharmacist)]


def test_a_range_given_by_one_end_is_that_value(pharmacist):
    product = create(pharmacist, fields={**FIELDS, "osmolality_min_mosm_per_kg": 320})
    assert (product.osmolality_min_mosm_per_kg, product.osmolality_max_mosm_per_kg) == (320, 320)


BAD_PRODUCTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "no active vial size": (
        "no_active_vial_size",
        "vial_sizes",
        {"vial_sizes": [VialSizeData(Decimal(5), active=False)]},
    ),
    "no vial size": ("no_active_vial_size", "vial_sizes", {"vial_sizes": []}),
    "a size twice": (
        "duplicate_vial_size",
        "vial_sizes",
        {"vial_sizes": [VialSizeData(Decimal(5)), VialSizeData(Decimal("5.0"))]},
    ),
    "no steps": ("no_label_rate_steps", "label_rate_steps", {"label_rate_steps": []}),
    "steps slowing down": (
        "steps_not_ascending",
        "label_rate_steps",
        {"label_rate_steps": [RateStepData(Decimal(2), 30), RateStepData(Decimal(1))]},
    ),
    "steps at the same rate": (
        "steps_not_ascending",
        "label_rate_steps",
        {"label_rate_steps": [RateStepData(Decimal(2), 30), RateStepData(Decimal(2))]},
    ),
    "an open-ended step before the last": (
        "open_ended_step",
        "label_rate_steps",
        {"label_rate_steps": [RateStepData(Decimal(1)), RateStepData(Decimal(2))]},
    ),
    "a timed last step": (
        "last_step_timed",
        "label_rate_steps",
        {"label_rate_steps": [RateStepData(Decimal(1), 30), RateStepData(Decimal(2), 30)]},
    ),
    "a step above the label maximum": (
        "step_above_label_max",
        "label_rate_steps",
        {"label_rate_steps": [RateStepData(Decimal(1), 30), RateStepData(Decimal(9))]},
    ),
    "at-risk maximum above the label maximum": (
        "at_risk_above_label_max",
        "at_risk_max_mg_per_kg_per_min",
        {"fields": {**FIELDS, "at_risk_max_mg_per_kg_per_min": Decimal(9)}},
    ),
    "sucrose listed but not flagged": (
        "sucrose_mismatch",
        "contains_sucrose",
        {"fields": {**FIELDS, "stabilizers": ["sucrose"]}},
    ),
    "sucrose flagged but not listed": (
        "sucrose_mismatch",
        "contains_sucrose",
        {"fields": {**FIELDS, "contains_sucrose": True}},
    ),
    "none with another stabilizer": (
        "invalid_stabilizers",
        "stabilizers",
        {"fields": {**FIELDS, "stabilizers": ["none", "glycine"]}},
    ),
    "unknown stabilizer": (
        "unknown_stabilizer",
        "stabilizers",
        {"fields": {**FIELDS, "stabilizers": ["mannitol"]}},
    ),
    "osmolality range reversed": (
        "invalid_range",
        "osmolality_max_mosm_per_kg",
        {
            "fields": {
                **FIELDS,
                "osmolality_min_mosm_per_kg": 300,
                "osmolality_max_mosm_per_kg": 240,
            }
        },
    ),
    "slug taken": ("slug_taken", "slug", {"slug": "privigen"}),
    "reserved slug": ("reserved_slug", "slug", {"slug": "suitable"}),
    "price 0": ("invalid_price", "price_per_g", {"price_per_g": Decimal(0)}),
}


@pytest.mark.parametrize(("code", "field", "overrides"), BAD_PRODUCTS.values(), ids=BAD_PRODUCTS)
def test_create_refuses_a_product_that_breaks_a_rule(pharmacist, code, field, overrides):
    error = refused(code, create, user=pharmacist, **overrides)
    assert error.field == field
    assert not Product.objects.filter(slug="newgam").exists()


def test_update_checks_the_rules_against_the_result(pharmacist):
    product = ProductFactory.create(steps=[("1", 30), ("8", None)])
    refused(
        "step_above_label_max",
        services.product_update,
        product=product,
        user=pharmacist,
        expected_version=product.version,
        fields={"label_max_mg_per_kg_per_min": Decimal(4)},
    )
    product.refresh_from_db()
    assert product.label_max_mg_per_kg_per_min == 8


def test_deactivate_and_reactivate_need_a_reason_and_record_it(pharmacist):
    product = ProductFactory.create()
    refused(
        "reason_required", services.product_deactivate, product=product, user=pharmacist, reason=" "
    )
    services.product_deactivate(product=product, user=pharmacist, reason="Withdrawn by maker")
    product.refresh_from_db()
    assert not product.active
    latest = product_history(product)[0]
    assert latest.reason == "Deactivated: Withdrawn by maker"
    assert latest.changes[0].label == "active" and latest.who == pharmacist
    refused(
        "already_inactive",
        services.product_deactivate,
        product=product,
        user=pharmacist,
        reason="x",
    )
    services.product_reactivate(product=product, user=pharmacist, reason="Back in stock")
    product.refresh_from_db()
    assert product.active
    refused(
        "already_active", services.product_reactivate, product=product, user=pharmacist, reason="x"
    )


def test_the_current_price_is_the_latest_in_effect(pharmacist):
    product = ProductFactory.create(price="90")
    today = timezone.localdate()
    services.product_price_set(
        product=product, user=pharmacist, price_per_g=Decimal(95), effective_from=today
    )
    services.product_price_set(
        product=product,
        user=pharmacist,
        price_per_g=Decimal(99),
        effective_from=today + timedelta(days=30),
    )
    assert current_price(product) == 95
    assert current_price(product, on=today + timedelta(days=30)) == 99
    assert current_price(product, on=date(2025, 12, 31)) is None


def test_a_past_price_is_allowed_but_not_a_second_price_on_one_date(pharmacist):
    product = ProductFactory.create()
    services.product_price_set(
        product=product, user=pharmacist, price_per_g=Decimal(80), effective_from=date(2025, 6, 1)
    )
    error = refused(
        "duplicate_price_date",
        services.product_price_set,
        product=product,
        user=pharmacist,
        price_per_g=Decimal(85),
        effective_from=date(2025, 6, 1),
    )
    assert error.field == "effective_from"
    assert product.prices.get(effective_from=date(2025, 6, 1)).created_by == pharmacist


def test_a_price_for_the_same_date_entered_at_the_same_moment_is_refused_in_words(
    pharmacist, make_user, monkeypatch
):
    """Two pharmacists at once: both pass the duplicate check before either saves (simulated
    by the check missing the colleague's row); the database's unique date refuses the second,
    which answers the same refusal, not an IntegrityError (a 500), and the first stays."""
    from django.db.models.query import QuerySet

    colleague = make_user("pharm-colleague")
    product = ProductFactory.create()
    services.product_price_set(
        product=product, user=colleague, price_per_g=Decimal(80), effective_from=date(2025, 6, 1)
    )
    real_exists = QuerySet.exists
    calls: list[int] = []

    def racing_exists(self: QuerySet[Any]) -> bool:
        calls.append(1)
        return False if len(calls) == 1 else real_exists(self)

    monkeypatch.setattr(QuerySet, "exists", racing_exists)
    error = refused(
        "duplicate_price_date",
        services.product_price_set,
        product=product,
        user=pharmacist,
        price_per_g=Decimal(85),
        effective_from=date(2025, 6, 1),
    )
    monkeypatch.setattr(QuerySet, "exists", real_exists)
    assert error.field == "effective_from"
    assert len(calls) == 2
    price = product.prices.get(effective_from=date(2025, 6, 1))
    assert (price.price_per_g, price.created_by) == (Decimal(80), colleague)


def test_the_policy_changes_by_version_and_keeps_every_version(pharmacist):
    policy = services.dosing_policy_update(
        user=pharmacist, expected_version=1, fields={"premedication_lead_minutes": 15}
    )
    assert (policy.version, policy.premedication_lead_minutes) == (2, 15)
    versions = policy_history()
    assert [entry.subject for entry in versions] == [
        "Dosing policy version 2",
        "Dosing policy version 1",
    ]
    change = {c.label: (c.before, c.after) for c in versions[0].changes}
    assert change["premedication lead (minutes)"] == ("30", "15")
    assert versions[0].who == pharmacist


def test_a_stale_policy_change_is_refused_and_nothing_saved(pharmacist):
    services.dosing_policy_update(
        user=pharmacist, expected_version=1, fields={"observation_minutes": 45}
    )
    error = refused(
        "stale_version",
        services.dosing_policy_update,
        user=pharmacist,
        expected_version=1,
        fields={"observation_minutes": 60},
    )
    assert "Reload" in error.message
    policy = DosingPolicy.objects.get()
    assert (policy.version, policy.observation_minutes) == (2, 45)


def test_a_policy_change_that_changes_nothing_keeps_the_version(pharmacist):
    policy = services.dosing_policy_update(
        user=pharmacist, expected_version=1, fields={"max_rate_ml_per_h": 200}
    )
    assert policy.version == 1
    assert DosingPolicy.history.count() == 1


def test_a_stale_product_change_is_refused_and_changes_nothing(pharmacist):
    product = create(pharmacist)
    services.product_update(
        product=product, user=pharmacist, expected_version=1, fields={"brand_name": "First"}
    )
    error = refused(
        "stale_version",
        services.product_update,
        product=product,
        user=pharmacist,
        expected_version=1,
        fields={"brand_name": "Second"},
        vial_sizes=[VialSizeData(Decimal(20))],
    )
    assert error.is_conflict and error.field == "version"
    product.refresh_from_db()
    assert (product.brand_name, product.version) == ("First", 2)
    assert {v.size_g for v in product.vial_sizes.filter(active=True)} == {5, 10}


def test_a_vial_size_or_step_change_alone_raises_the_version(pharmacist):
    product = create(pharmacist)
    services.product_update(
        product=product,
        user=pharmacist,
        expected_version=1,
        fields={},
        vial_sizes=[VialSizeData(Decimal(10))],
    )
    product.refresh_from_db()
    assert product.version == 2
    refused(
        "stale_version",
        services.product_update,
        product=product,
        user=pharmacist,
        expected_version=1,
        fields={},
        label_rate_steps=[RateStepData(Decimal(1))],
    )
    assert all(entry.subject != "Product" for entry in product_history(product)[:1])
