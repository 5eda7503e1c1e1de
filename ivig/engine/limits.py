"""The clinical ranges outside which a request cannot be planned (INVALID_INPUT,
docs/clinical-rules.md 3.8). Kept apart so that the plan and the rules share one copy."""

from decimal import Decimal

WEIGHT_MIN_KG = Decimal(1)
WEIGHT_MAX_KG = Decimal(350)
HEIGHT_MIN_CM = Decimal(40)
HEIGHT_MAX_CM = Decimal(250)
AGE_MIN_YEARS = 0
AGE_MAX_YEARS = 130
DAYS_PER_CYCLE_MIN = 1
DAYS_PER_CYCLE_MAX = 5
CYCLES_MIN = 1
CYCLES_MAX = 60
CYCLE_INTERVAL_MIN_DAYS = 7
CYCLE_INTERVAL_MAX_DAYS = 90
TARGET_RATE_MIN_ML_PER_H = 1
MAX_PLAUSIBLE_DAILY_DOSE_G_PER_KG = Decimal(10)


def valid_age_years(age_years: int) -> int | None:
    """The age when it is within 0-130 years, else None (an invalid value is unknown)."""
    return age_years if AGE_MIN_YEARS <= age_years <= AGE_MAX_YEARS else None
