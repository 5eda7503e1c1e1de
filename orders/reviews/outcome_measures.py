"""Each indication's outcome measure for response reviews (docs/clinical-rules.md 10.1).

Pure data: which validated score a clinician records for a disease, its range, and how an
indication's measure is derived from its slug and category. The seed is applied by the data
migration ``orders/migrations/0010_seed_indication_outcome_measures.py`` (which keeps its own
frozen copy of the rule); pages and services read ``Indication.outcome_measure``.
"""

from decimal import Decimal
from typing import NamedTuple

from django.db import models


class OutcomeMeasure(models.TextChoices):
    PDAI = "pdai", "PDAI (Pemphigus Disease Area Index)"
    BPDAI = "bpdai", "BPDAI (Bullous Pemphigoid Disease Area Index), activity"
    CDASI = "cdasi", "CDASI (Cutaneous Dermatomyositis Disease Area and Severity Index), activity"
    PGA = "pga", "Physician's global assessment (0 to 10)"


class ScoreRange(NamedTuple):
    low: Decimal
    high: Decimal


# docs/clinical-rules.md 10.1: the ranges a recorded score must fall in (both ends included).
SCORE_RANGES: dict[str, ScoreRange] = {
    OutcomeMeasure.PDAI: ScoreRange(Decimal(0), Decimal(263)),
    OutcomeMeasure.BPDAI: ScoreRange(Decimal(0), Decimal(360)),
    OutcomeMeasure.CDASI: ScoreRange(Decimal(0), Decimal(100)),
    OutcomeMeasure.PGA: ScoreRange(Decimal(0), Decimal(10)),
}

SHORT_NAMES: dict[str, str] = {
    OutcomeMeasure.PDAI: "PDAI",
    OutcomeMeasure.BPDAI: "BPDAI",
    OutcomeMeasure.CDASI: "CDASI",
    OutcomeMeasure.PGA: "PGA",
}


def measure_for_indication(slug: str, category: str = "") -> str:
    """docs/clinical-rules.md 10.1: PDAI for pemphigus (any form, paraneoplastic included),
    BPDAI for the pemphigoids, CDASI for dermatomyositis, else the physician's global
    assessment. ``category`` is accepted for indications added later without those words in
    their slug; today the slug decides."""
    words = slug.lower()
    if "pemphigus" in words:
        return OutcomeMeasure.PDAI
    if "pemphigoid" in words:
        return OutcomeMeasure.BPDAI
    if "dermatomyositis" in words:
        return OutcomeMeasure.CDASI
    return OutcomeMeasure.PGA
