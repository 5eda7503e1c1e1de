"""Reading the formulary (STYLE: selectors): product lists, prices, the policy, history."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from ivig.audit.history import HistoryEntry, history_entries, newest_first
from ivig.templatetags.clinical import num

from .models import DosingPolicy, LabelRateStep, Product, ProductPrice, Stabilizer, VialSize


def products_list(on: date | None = None) -> QuerySet[Product]:
    """Products with their vial sizes, rate steps and ``current_price_per_g`` (price in effect
    ``on``, default today): a constant number of queries however many products there are."""
    prices = ProductPrice.objects.filter(
        product=OuterRef("pk"), effective_from__lte=on or timezone.localdate()
    ).order_by("-effective_from")
    return Product.objects.annotate(
        current_price_per_g=Subquery(prices.values("price_per_g")[:1])
    ).prefetch_related("vial_sizes", "label_rate_steps")


def current_price(product: Product, on: date | None = None) -> Decimal | None:
    """The price per g in effect ``on`` (default today): the latest dated on or before it."""
    if on is None and hasattr(product, "current_price_per_g"):
        return product.current_price_per_g  # annotated by products_list
    on = on or timezone.localdate()
    if "prices" in getattr(product, "_prefetched_objects_cache", {}):
        in_effect = [price for price in product.prices.all() if price.effective_from <= on]
        latest = max(in_effect, key=lambda price: price.effective_from, default=None)
    else:
        latest = product.prices.filter(effective_from__lte=on).order_by("-effective_from").first()
    return None if latest is None else latest.price_per_g


def price_history(product: Product) -> QuerySet[ProductPrice]:
    return product.prices.select_related("created_by").order_by("-effective_from")


def current_policy() -> DosingPolicy:
    """The dosing policy in force (seeded by migration; the defaults should the row be gone)."""
    policy, _ = DosingPolicy.objects.get_or_create(id=DosingPolicy.SINGLETON_ID)
    return policy


# --- history ----------------------------------------------------------------------------------

STABILIZER_LABELS = {"stabilizers": dict(Stabilizer.choices)}


def _subject(model: type[models.Model]) -> Callable[[Any], str]:
    subjects: dict[type[models.Model], Callable[[Any], str]] = {
        Product: lambda record: "Product",
        VialSize: lambda record: f"Vial size {num(record.size_g)} g",
        LabelRateStep: lambda record: f"Label rate step {record.position}",
        ProductPrice: lambda record: f"Price from {record.effective_from.isoformat()}",
        DosingPolicy: lambda record: f"Dosing policy version {record.version}",
    }
    return subjects[model]


def product_history(product: Product) -> list[HistoryEntry]:
    """Every audited change to the product and its vial sizes, steps and prices, newest first
    (docs/clinical-rules.md 5): four queries, however long the history."""
    entries: list[HistoryEntry] = []
    for model, filters in (
        (Product, {"id": product.pk}),
        (VialSize, {"product_id": product.pk}),
        (LabelRateStep, {"product_id": product.pk}),
        (ProductPrice, {"product_id": product.pk}),
    ):
        records = model.history.filter(**filters).select_related("history_user")
        entries += history_entries(
            records,
            model,
            _subject(model),
            quiet_fields=("product", "position"),
            value_labels=STABILIZER_LABELS,
            # A product's creation is its whole record: the page shows it above.
            list_created_values=model is not Product,
        )
    return newest_first(entries)


def policy_history() -> list[HistoryEntry]:
    """Every version of the dosing policy, newest first."""
    records = DosingPolicy.history.select_related("history_user")
    return newest_first(history_entries(records, DosingPolicy, _subject(DosingPolicy)))
