"""The one way the engine writes a decimal for people and JSON (ivig/engine/formatting.py, STYLE):
plain notation, no trailing zeros, no negative zero, whole numbers as they are, and a refusal
(never a made-up text) for a non-finite value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ivig.engine.formatting import format_decimal

D = Decimal


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5, "5"),
        (0, "0"),
        (D("5.0"), "5"),
        (D("0.50"), "0.5"),
        (D("1E+2"), "100"),  # never an exponent
        (D("2.5E-7"), "0.00000025"),
        (D("-0.0"), "0"),  # no negative zero
        (D("-0"), "0"),
        (D("-1.50"), "-1.5"),
        (D("10"), "10"),  # a trailing zero before the point stays
        (D("100.00"), "100"),
    ],
)
def test_format_decimal(value: Decimal | int, text: str) -> None:
    assert format_decimal(value) == text


@pytest.mark.parametrize("value", [D("Infinity"), D("-Infinity"), D("NaN")])
def test_a_non_finite_decimal_is_refused(value: Decimal) -> None:
    with pytest.raises(ValueError, match=r"^cannot format a non-finite decimal: Decimal\("):
        format_decimal(value)
