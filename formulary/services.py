"""Every change to the formulary and the dosing policy (docs/clinical-rules.md 5; STYLE: services).

Each service is one transaction, records the acting user (and a reason where one is given) in
the rows' history, and raises ``FormularyError`` when a rule is broken; pages turn it into a
form error, the API into a 400 (409 for a stale product or policy version). Products are never
deleted (docs/clinical-rules.md 5): they are deactivated, and vial sizes made inactive. Prices
are dated rows added beside the product, never edited by these services, so they need no
version: two prices on one date are refused instead (an administrator's correction in the admin
site counts a product version, which refuses a stale page).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ivig.accounts.models import User
from ivig.errors import DomainError

from .models import (
    RESERVED_SLUGS,
    DosingPolicy,
    LabelRateStep,
    Product,
    ProductPrice,
    Stabilizer,
    VialSize,
)

# What product_create/product_update may set; slug (an identifier) and active (deactivate,
# reactivate) have their own services.
PRODUCT_FIELDS = (
    "brand_name",
    "generic_name",
    "manufacturer",
    "concentration_pct",
    "form",
    "iga_ug_per_ml",
    "low_iga",
    "stabilizers",
    "contains_sucrose",
    "sodium_mmol_per_l",
    "osmolality_min_mosm_per_kg",
    "osmolality_max_mosm_per_kg",
    "ph_min",
    "ph_max",
    "hcpcs_code",
    "label_max_mg_per_kg_per_min",
    "at_risk_max_mg_per_kg_per_min",
    "notes",
)
POLICY_FIELDS = (
    "rounding_tolerance_pct",
    "max_rate_ml_per_h",
    "premedication_lead_minutes",
    "observation_minutes",
    "review_interval_cycles",
    "default_at_risk_max_mg_per_kg_per_min",
    "adjusted_weight_rule",
)


class FormularyError(DomainError):
    """A formulary rule refused a change (``field`` names the input at fault, where one is)."""


@dataclass(frozen=True)
class VialSizeData:
    size_g: Decimal
    active: bool = True


@dataclass(frozen=True)
class RateStepData:
    rate_mg_per_kg_per_min: Decimal
    minutes: int | None = None


def _save(instance: models.Model, user: User | None, reason: str | None = None) -> None:
    """Save with the acting user (and reason) in the row's history record."""
    instance._history_user = user  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    instance.save()


def _assign(instance: models.Model, values: Mapping[str, Any]) -> bool:
    """Set ``values`` on ``instance``; True when any of them differs from what it was."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


# --- rules ------------------------------------------------------------------------------------


def _normalise_range(values: dict[str, Any], low: str, high: str, label: str) -> None:
    """A range given by one end is that single value; ``low`` must not exceed ``high``."""
    if values.get(low) is None:
        values[low] = values.get(high)
    if values.get(high) is None:
        values[high] = values.get(low)
    if values[low] is not None and values[low] > values[high]:
        raise FormularyError("invalid_range", f"The {label} range ends below its start.", high)


def _check_stabilizers(values: Mapping[str, Any]) -> None:
    stabilizers = list(values["stabilizers"])
    unknown = sorted(set(stabilizers) - set(Stabilizer.values))
    if unknown:
        raise FormularyError(
            "unknown_stabilizer", f"Unknown stabilizer: {', '.join(unknown)}.", "stabilizers"
        )
    if Stabilizer.NONE in stabilizers and len(stabilizers) > 1:
        raise FormularyError(
            "invalid_stabilizers", "“none” cannot be listed with other stabilizers.", "stabilizers"
        )
    if values["contains_sucrose"] != (Stabilizer.SUCROSE in stabilizers):
        raise FormularyError(
            "sucrose_mismatch",
            "“Contains sucrose” must be ticked exactly when sucrose is among the stabilizers.",
            "contains_sucrose",
        )


def _check_vial_sizes(vial_sizes: Sequence[VialSizeData]) -> None:
    """docs/clinical-rules.md 3.3: doses are made of active vials, so at least one size must be
    active."""
    sizes = [vial.size_g for vial in vial_sizes]
    if len(set(sizes)) != len(sizes):
        raise FormularyError(
            "duplicate_vial_size", "Each vial size may be listed once.", "vial_sizes"
        )
    if not any(vial.active for vial in vial_sizes):
        raise FormularyError(
            "no_active_vial_size", "At least one vial size must be active.", "vial_sizes"
        )


def _check_label_rate_steps(steps: Sequence[RateStepData], label_max: Decimal | None) -> None:
    """docs/clinical-rules.md 3.4: label steps rise, each but the last lasts some minutes, the last
    runs on."""
    if not steps:
        raise FormularyError(
            "no_label_rate_steps", "Give at least one label rate step.", "label_rate_steps"
        )
    for number, step in enumerate(steps, start=1):
        last = number == len(steps)
        if not last and step.minutes is None:
            raise FormularyError(
                "open_ended_step",
                f"Step {number}: only the last step runs to the end; give its minutes.",
                "label_rate_steps",
            )
        if last and step.minutes is not None:
            raise FormularyError(
                "last_step_timed",
                f"Step {number}: the last step runs to the end; leave its minutes blank.",
                "label_rate_steps",
            )
        if number > 1 and step.rate_mg_per_kg_per_min <= steps[number - 2].rate_mg_per_kg_per_min:
            raise FormularyError(
                "steps_not_ascending",
                f"Step {number}: each step must be faster than the one before.",
                "label_rate_steps",
            )
        if step.rate_mg_per_kg_per_min > RATE_MAX_MG_PER_KG_PER_MIN:
            raise FormularyError(
                "implausible_rate",
                f"Step {number}: {RATE_IMPLAUSIBLE}",
                "label_rate_steps",
            )
        if label_max is not None and step.rate_mg_per_kg_per_min > label_max:
            raise FormularyError(
                "step_above_label_max",
                f"Step {number}: faster than the label maximum rate.",
                "label_rate_steps",
            )


# No IVIg label allows faster than 12 mg/kg/min (the fastest seeded label, Octagam 10 %, is 12):
# a larger figure is a typing error (999 for 9.99), refused on its field.
RATE_MAX_MG_PER_KG_PER_MIN = Decimal(12)
RATE_IMPLAUSIBLE = (
    f"faster than any IVIg label allows (at most {RATE_MAX_MG_PER_KG_PER_MIN} mg/kg/min)."
)


def _check_product(
    values: dict[str, Any], vial_sizes: Sequence[VialSizeData], steps: Sequence[RateStepData]
) -> None:
    _check_stabilizers(values)
    _normalise_range(
        values, "osmolality_min_mosm_per_kg", "osmolality_max_mosm_per_kg", "osmolality"
    )
    _normalise_range(values, "ph_min", "ph_max", "pH")
    label_max = values["label_max_mg_per_kg_per_min"]
    at_risk_max = values["at_risk_max_mg_per_kg_per_min"]
    for name in ("label_max_mg_per_kg_per_min", "at_risk_max_mg_per_kg_per_min"):
        if values[name] is not None and values[name] > RATE_MAX_MG_PER_KG_PER_MIN:
            raise FormularyError("implausible_rate", RATE_IMPLAUSIBLE, name)
    if at_risk_max is not None and label_max is not None and at_risk_max > label_max:
        raise FormularyError(
            "at_risk_above_label_max",
            "The at-risk maximum cannot be above the label maximum.",
            "at_risk_max_mg_per_kg_per_min",
        )
    _check_vial_sizes(vial_sizes)
    _check_label_rate_steps(steps, label_max)


def _product_values(fields: Mapping[str, Any], base: Product) -> dict[str, Any]:
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValueError(f"not product fields: {sorted(unknown)}")
    return {name: fields.get(name, getattr(base, name)) for name in PRODUCT_FIELDS}


def _check_price(price_per_g: Decimal) -> None:
    if price_per_g <= 0:
        raise FormularyError("invalid_price", "The price per g must be above 0.", "price_per_g")


# --- children ---------------------------------------------------------------------------------


def _sync_vial_sizes(product: Product, vial_sizes: Iterable[VialSizeData], user: User) -> bool:
    """The listed sizes with their flags; a size left out is kept, inactive (never deleted).
    True when any row changed."""
    changed = False
    wanted = {vial.size_g: vial.active for vial in vial_sizes}
    existing = {row.size_g: row for row in product.vial_sizes.all()}
    for size_g, row in existing.items():
        if _assign(row, {"active": wanted.get(size_g, False)}):
            _save(row, user)
            changed = True
    for size_g, active in wanted.items():
        if size_g not in existing:
            _save(VialSize(product=product, size_g=size_g, active=active), user)
            changed = True
    return changed


def _sync_label_rate_steps(product: Product, steps: Sequence[RateStepData], user: User) -> bool:
    """Step N of the list becomes position N; steps past the list's end are removed. True when
    any row changed."""
    changed = False
    existing = {row.position: row for row in product.label_rate_steps.all()}
    for position, step in enumerate(steps, start=1):
        values = {
            "rate_mg_per_kg_per_min": step.rate_mg_per_kg_per_min,
            "minutes": step.minutes,
        }
        row = existing.pop(position, None)
        if row is None:
            _save(LabelRateStep(product=product, position=position, **values), user)
            changed = True
        elif _assign(row, values):
            _save(row, user)
            changed = True
    for row in existing.values():
        row._history_user = user  # type: ignore[attr-defined]
        row.delete()
        changed = True
    return changed


# --- products ---------------------------------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    user: User,
    slug: str,
    fields: Mapping[str, Any],
    vial_sizes: Sequence[VialSizeData],
    label_rate_steps: Sequence[RateStepData],
    price_per_g: Decimal,
    price_effective_from: date | None = None,
) -> Product:
    """Add a product with its vial sizes, label rate steps and first price (docs/clinical-rules.md
    5).

    Rules: the slug is free and not a reserved path; sucrose flag matches the stabilizers; at
    least one active vial size (3.3); steps ascending, only the last open-ended (3.4); the
    at-risk maximum not above the label maximum. The price applies from today unless dated.
    """
    if slug in RESERVED_SLUGS:
        raise FormularyError("reserved_slug", f"“{slug}” is reserved; choose another.", "slug")
    if Product.objects.filter(slug=slug).exists():
        raise FormularyError("slug_taken", f"A product with slug “{slug}” exists.", "slug")
    values = _product_values(fields, Product())
    _check_product(values, vial_sizes, label_rate_steps)
    _check_price(price_per_g)
    product = Product(slug=slug, **values)
    _save(product, user)
    _sync_vial_sizes(product, vial_sizes, user)
    _sync_label_rate_steps(product, label_rate_steps, user)
    _save(
        ProductPrice(
            product=product,
            price_per_g=price_per_g,
            effective_from=price_effective_from or timezone.localdate(),
            created_by=user,
        ),
        user,
    )
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    user: User,
    expected_version: int,
    fields: Mapping[str, Any],
    vial_sizes: Sequence[VialSizeData] | None = None,
    label_rate_steps: Sequence[RateStepData] | None = None,
) -> Product:
    """Change a product's figures, vial sizes and label steps (docs/clinical-rules.md 5), audited,
    refusing a stale version (optimistic lock, as the dosing policy and orders).

    ``expected_version`` is the version the pharmacist's form or request was based on; if the
    product (or its vial sizes or steps) changed since, nothing is saved. ``fields`` may be
    partial; ``vial_sizes``/``label_rate_steps`` None leaves them as they are. The rules of
    ``product_create`` hold for the result. A vial size left out becomes inactive. A change
    that changes nothing keeps the version.
    """
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.version != expected_version:
        raise FormularyError(
            DomainError.STALE_VERSION,
            f"{product.brand_name} was changed by someone else (now version {product.version}) "
            f"since this form was opened (version {expected_version}). Reload it, check the "
            "new values and apply your change again.",
            "version",
        )
    values = _product_values(fields, product)
    if vial_sizes is None:
        vial_sizes = [VialSizeData(row.size_g, row.active) for row in product.vial_sizes.all()]
    if label_rate_steps is None:
        label_rate_steps = [
            RateStepData(row.rate_mg_per_kg_per_min, row.minutes)
            for row in product.label_rate_steps.all()
        ]
    _check_product(values, vial_sizes, label_rate_steps)
    figures_changed = _assign(product, values)
    sizes_changed = _sync_vial_sizes(product, vial_sizes, user)
    steps_changed = _sync_label_rate_steps(product, label_rate_steps, user)
    if figures_changed:
        product.version += 1
        _save(product, user)
    elif sizes_changed or steps_changed:
        # The rows' own history records the change; the version moves without an empty
        # "product changed" entry.
        product.version += 1
        Product.objects.filter(pk=product.pk).update(version=product.version)
    return product


def _set_active(product: Product, user: User, reason: str, active: bool) -> Product:
    reason = reason.strip()
    verb = "Reactivated" if active else "Deactivated"
    if not reason:
        raise FormularyError("reason_required", "Give a reason.", "reason")
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.active == active:
        state = "active" if active else "inactive"
        raise FormularyError(f"already_{state}", f"{product.brand_name} is already {state}.")
    product.active = active
    _save(product, user, f"{verb}: {reason}")
    return product


@transaction.atomic
def product_deactivate(*, product: Product, user: User, reason: str) -> Product:
    """Take a product out of use, with a reason; it is kept for history (docs/clinical-rules.md
    5)."""
    return _set_active(product, user, reason, active=False)


@transaction.atomic
def product_reactivate(*, product: Product, user: User, reason: str) -> Product:
    """Bring a deactivated product back into use, with a reason (docs/clinical-rules.md 5)."""
    return _set_active(product, user, reason, active=True)


@transaction.atomic
def product_price_set(
    *, product: Product, user: User, price_per_g: Decimal, effective_from: date
) -> ProductPrice:
    """Record a price per g from a date on (docs/clinical-rules.md 3.7, 5); earlier prices stay in
    history.

    A past date is allowed (a correction); two prices on one date are not.
    """
    _check_price(price_per_g)
    duplicate = FormularyError(
        "duplicate_price_date",
        f"{product.brand_name} already has a price from {effective_from.isoformat()}.",
        "effective_from",
    )
    if ProductPrice.objects.filter(product=product, effective_from=effective_from).exists():
        raise duplicate
    price = ProductPrice(
        product=product, price_per_g=price_per_g, effective_from=effective_from, created_by=user
    )
    try:
        with transaction.atomic():  # a savepoint: the refusal leaves the transaction usable
            _save(price, user)
    except IntegrityError:
        # Two pharmacists entering a price for the same date at once: both passed the check
        # above; the database's unique date keeps one, the other is refused in words, not a 500.
        if ProductPrice.objects.filter(product=product, effective_from=effective_from).exists():
            raise duplicate from None
        raise
    return price


@transaction.atomic
def dosing_policy_update(
    *, user: User, expected_version: int, fields: Mapping[str, Any]
) -> DosingPolicy:
    """Change the dosing policy (docs/clinical-rules.md 3.3-3.5), refusing a stale version
    (optimistic lock).

    ``expected_version`` is the version the pharmacist's form or request was based on; if the
    policy changed since, nothing is saved. A change that changes nothing keeps the version.
    """
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"not policy fields: {sorted(unknown)}")
    policy, _ = DosingPolicy.objects.select_for_update().get_or_create(id=DosingPolicy.SINGLETON_ID)
    if policy.version != expected_version:
        raise FormularyError(
            "stale_version",
            f"The dosing policy was changed by someone else (now version {policy.version}) "
            f"since this form was opened (version {expected_version}). Reload it, check the "
            "new values and apply your change again.",
        )
    if _assign(policy, fields):
        policy.version += 1
        _save(policy, user)
    return policy
