"""The one formatting filter every page uses for clinical numbers (STYLE)."""

from decimal import Decimal

import pytest

from ivig.templatetags.clinical import num, with_unit


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("5.0"), "5"),
        (Decimal(".5"), "0.5"),
        (Decimal("0.50"), "0.5"),
        (Decimal("12500.50"), "12,500.5"),
        (Decimal("1E+2"), "100"),
        (Decimal("-2.50"), "-2.5"),
        (200, "200"),
        ("27.50", "27.5"),
        (None, "—"),
    ],
)
def test_numbers_show_without_trailing_zeros_or_naked_decimals(value, shown):
    assert num(value) == shown


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [(Decimal("25.0"), "g", "25 g"), (250, "mL", "250 mL"), (None, "g", "—")],
)
def test_a_number_with_its_unit(value, unit, shown):
    assert with_unit(value, unit) == shown
