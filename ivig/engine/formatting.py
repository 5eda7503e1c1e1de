"""The one way the engine writes a decimal for people and for JSON (STYLE, docs/api.md).

``format_decimal``: plain notation (never an exponent), no trailing zeros, a leading zero before
the point ("0.5", never ".5"), no thousands separators (templates add those in their filter), and
no negative zero. It is exact: it never rounds; round first with an explicit rounding mode.
"""

from decimal import Decimal


def format_decimal(value: Decimal | int) -> str:
    """``Decimal("5.0")`` -> "5", ``Decimal("0.50")`` -> "0.5", ``Decimal("1E+2")`` -> "100"."""
    if isinstance(value, int):
        return str(value)
    if not value.is_finite():
        raise ValueError(f"cannot format a non-finite decimal: {value!r}")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text
