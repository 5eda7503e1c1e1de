"""The order's numbers as a person may enter them, each with one message in plain words that
names the range (issue 19: never "no more than 2 digits before the decimal point" for 200 g/kg,
never a database constraint's name). The order form and the API check these first; the
database's constraints stay as the last guard (docs/clinical-rules.md 3.8.1)."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from ivig.engine import MAX_PLAUSIBLE_DAILY_DOSE_G_PER_KG
from ivig.templatetags.clinical import num


@dataclass(frozen=True)
class InRange:
    """A number between ``low`` and ``high`` (both included) with at most ``places`` decimal
    places; one message either way, e.g. "Enter a dose per cycle between 0.001 and 10 g/kg"."""

    what: str
    low: Decimal
    high: Decimal
    unit: str = ""
    places: int | None = None

    @property
    def message(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        low, high = num(self.low), num(self.high)
        return f"Enter {self.what} between {low} and {high}{unit}."

    def __call__(self, value: Any) -> None:
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise ValidationError(self.message, code="out_of_range") from None
        if not number.is_finite() or not self.low <= number <= self.high:
            raise ValidationError(self.message, code="out_of_range")
        exponent = number.normalize().as_tuple().exponent
        if self.places is not None and isinstance(exponent, int) and -exponent > self.places:
            places = "a whole number" if self.places == 0 else f"at most {self.places} decimals"
            raise ValidationError(f"{self.message[:-1]}, with {places}.", code="too_many_decimals")


ORDER_RANGES: dict[str, InRange] = {
    "total_dose_g_per_kg": InRange(
        "a dose per cycle", Decimal("0.001"), MAX_PLAUSIBLE_DAILY_DOSE_G_PER_KG, "g/kg", 3
    ),
    "daily_dose_mg_per_kg": InRange(
        "a daily dose", Decimal("0.1"), MAX_PLAUSIBLE_DAILY_DOSE_G_PER_KG * 1000, "mg/kg/day", 1
    ),
    "days_per_cycle": InRange("a number of days per cycle", Decimal(1), Decimal(5), "", 0),
    "cycles": InRange("a number of cycles", Decimal(1), Decimal(60), "", 0),
    "cycle_interval_days": InRange("a cycle interval", Decimal(7), Decimal(90), "days", 0),
}


def range_field_kwargs() -> dict[str, dict[str, Any]]:
    """``extra_kwargs`` for a DRF serializer of the order: each range its field's one check
    (no digit count of the column before it)."""
    kwargs: dict[str, dict[str, Any]] = {}
    for name, in_range in ORDER_RANGES.items():
        kwargs[name] = {"validators": [in_range]}
        if in_range.places:
            kwargs[name]["max_digits"] = None
    return kwargs
