"""Template filters for clinical numbers: one way to show a number to people (STYLE)."""

from decimal import Decimal, InvalidOperation

from django import template

from ivig.engine import format_decimal

register = template.Library()


@register.filter(name="num")
def num(value: Decimal | int | str | None) -> str:
    """``{{ dose_g|num }}``: no trailing zeros, a leading zero, thousands separators.

    ``Decimal("12500.50")`` shows as ``12,500.5``; ``Decimal(".5")`` as ``0.5``.
    """
    if value is None or value == "":
        return "—"
    try:
        text = format_decimal(Decimal(str(value)))
    except InvalidOperation:
        return str(value)
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    grouped = f"{int(whole):,}"
    return sign + grouped + (f".{fraction}" if fraction else "")


@register.filter(name="unit")
def with_unit(value: Decimal | int | str | None, unit: str) -> str:
    """``{{ dose_g|unit:"g" }}``: the number as ``num`` shows it, then its unit ("25 g");
    a dash alone where there is no number."""
    shown = num(value)
    return shown if shown == "—" else f"{shown} {unit}"
