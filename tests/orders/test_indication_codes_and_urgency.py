"""Rules v3 (issue 23): billable ICD-10-CM codes on every seeded indication, and the emergency
indications whose orders may be urgent (docs/clinical-rules.md 3.10, "ICD-10-CM codes")."""

import re

import pytest

from orders.models import Indication

pytestmark = pytest.mark.django_db

# ICD-10-CM: a letter (U is reserved), two characters (digit, digit or letter), then optionally a
# dot and one to four characters.
WELL_FORMED = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")

# Category and subcategory headers of ICD-10-CM near the seeded codes: each has codes below it
# and is not accepted on a claim (FY2025 Tabular List).
KNOWN_HEADERS = frozenset(
    {
        "D72.1",  # Eosinophilia: D72.10, D72.11-, D72.12, D72.18, D72.19
        "D72.11",  # Hypereosinophilic syndrome: D72.110, D72.111, D72.118, D72.119
        "M33.1",  # Other dermatomyositis: M33.10-M33.19
        "L12.3",  # Acquired epidermolysis bullosa: L12.30, L12.31, L12.35
        "L10.8",  # Other pemphigus: L10.81, L10.89
        "M31.3",  # Wegener's granulomatosis: M31.30, M31.31
        "E05.0",  # Thyrotoxicosis with diffuse goiter: E05.00, E05.01
        "O26.4",  # Herpes gestationis: O26.40-O26.43
        "A69.2",  # Lyme disease: A69.20-A69.29
        "D89.81",  # Graft-versus-host disease: D89.810-D89.813
        "I77.8",  # Other specified disorders of arteries and arterioles: I77.81-, I77.89
        "L51",
        "L12",
        "L10",
        "L93",
        "M33",
        "L90",
        "L95",
        "L50",
        "E05",
        "D72",
    }
)


def _proper_prefixes(code: str) -> set[str]:
    """The category (3 characters) and every shorter subcategory above ``code``."""
    return {code[:n].rstrip(".") for n in range(3, len(code))}


# Left without a code on purpose: the coder's choice (see docs/clinical-rules.md).
WITHOUT_CODE = frozenset({"poems-syndrome"})


def test_every_seeded_indication_code_is_well_formed_and_billable():
    codes = list(Indication.objects.values_list("slug", "icd10_code"))
    assert codes
    assert {slug for slug, code in codes if not code} == WITHOUT_CODE
    # a code that is a parent of another seeded code is a header too
    parents = set().union(*(_proper_prefixes(code) for _, code in codes if code))
    for slug, code in codes:
        if slug in WITHOUT_CODE:
            continue
        assert WELL_FORMED.match(code), f"{slug}: {code!r} is not an ICD-10-CM code"
        assert code not in KNOWN_HEADERS, f"{slug}: {code} is a category header"
        assert code not in parents, f"{slug}: {code} has codes below it"


@pytest.mark.parametrize(
    ("slug", "code"),
    [
        ("nephrogenic-fibrosing-dermopathy", "L90.8"),
        ("degos-disease", "I77.89"),
        ("pretibial-myxedema", "E05.00"),
        ("urticaria-angioedema-hypereosinophilia", "D72.118"),
    ],
)
def test_the_four_rows_of_issue_23(slug, code):
    assert Indication.objects.get(slug=slug).icd10_code == code


def test_only_the_three_emergencies_may_be_urgent_as_seeded():
    assert set(Indication.objects.filter(urgent_allowed=True).values_list("slug", flat=True)) == {
        "toxic-epidermal-necrolysis",
        "stevens-johnson-syndrome",
        "kawasaki-disease",
    }
