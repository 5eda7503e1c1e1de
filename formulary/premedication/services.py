"""Every change to the premedication catalogue (docs/clinical-rules.md 3.5), audited: each
service is one transaction and records the acting user (and reason) in the row's history.
Drugs are never deleted: an order's line keeps pointing at its drug; a drug is deactivated."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from ivig.accounts.models import User

from ..services import FormularyError
from .models import PremedicationDrug

# What premedication_drug_create/update may set (slug is fixed; active has its own services).
DRUG_FIELDS = (
    "name",
    "adult_dose",
    "dose_unit",
    "route",
    "child_dose_mg_per_kg",
    "child_max_mg_per_kg",
    "position",
)


def _save(drug: PremedicationDrug, user: User, reason: str | None = None) -> None:
    drug._history_user = user  # type: ignore[attr-defined]
    if reason:
        drug._change_reason = reason  # type: ignore[attr-defined]
    drug.full_clean()
    drug.save()


def _check(fields: Mapping[str, Any]) -> None:
    """The children's dose per kg may not be above their maximum per kg: otherwise the default
    itself would raise PREMEDICATION_DOSE_HIGH (docs/clinical-rules.md 3.5)."""
    unknown = set(fields) - set(DRUG_FIELDS)
    if unknown:
        raise ValueError(f"not premedication drug fields: {sorted(unknown)}")
    dose: Decimal | None = fields.get("child_dose_mg_per_kg")
    maximum: Decimal | None = fields.get("child_max_mg_per_kg")
    if dose is not None and maximum is not None and dose > maximum:
        raise FormularyError(
            "child_dose_above_maximum",
            "The children's dose per kg is above the children's maximum per kg; lower the dose "
            "or raise the maximum.",
            "child_dose_mg_per_kg",
        )


@transaction.atomic
def premedication_drug_create(
    *, user: User, slug: str, fields: Mapping[str, Any]
) -> PremedicationDrug:
    """Add a drug to the catalogue (pharmacists)."""
    _check(fields)
    if PremedicationDrug.objects.filter(slug=slug).exists():
        raise FormularyError(
            "duplicate_slug", f"A premedication drug “{slug}” exists already.", "slug"
        )
    drug = PremedicationDrug(slug=slug, **fields)
    _save(drug, user)
    return drug


@transaction.atomic
def premedication_drug_update(
    *, user: User, drug: PremedicationDrug, fields: Mapping[str, Any]
) -> PremedicationDrug:
    """Change a drug's name, doses, route or position; a change that changes nothing is not
    recorded."""
    _check({**{name: getattr(drug, name) for name in DRUG_FIELDS}, **fields})
    locked = PremedicationDrug.objects.select_for_update().get(pk=drug.pk)
    changed = False
    for name, value in fields.items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed = True
    if changed:
        _save(locked, user)
    return locked


@transaction.atomic
def premedication_drug_set_active(
    *, user: User, drug: PremedicationDrug, active: bool, reason: str
) -> PremedicationDrug:
    """Take a drug out of the catalogue's choices (or back), with a reason; orders that name it
    keep it."""
    if not reason.strip():
        raise FormularyError("reason_required", "Give the reason.", "reason")
    locked = PremedicationDrug.objects.select_for_update().get(pk=drug.pk)
    if locked.active != active:
        locked.active = active
        _save(locked, user, reason)
    return locked
