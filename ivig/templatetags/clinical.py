"""Template filters for clinical numbers and findings: one way to show them to people."""

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings

from ivig.engine import FINDING_TITLES, format_decimal

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


@register.filter(name="count")
def count(value: Decimal | int | str | None, noun: str) -> str:
    """``{{ days|count:"day" }}``: the number as ``num`` shows it and the noun, plural unless the
    number is one ("1 day", "5 days"; "1 cycle", "6 cycles"). A noun with an odd plural gives
    both: ``"child,children"``. Never "day(s)" (issue 19)."""
    one, _, many = noun.partition(",")
    shown = num(value)
    if shown == "—":
        return shown
    return f"{shown} {one if shown == '1' else (many or one + 's')}"


SEVERITY_WORDS = {"stop": "stop", "override": "needs a reason", "warn": "warning"}


@register.filter(name="severity_word")
def severity_word(severity: str) -> str:
    """A finding's severity as people say it ("override" → "needs a reason")."""
    return SEVERITY_WORDS.get(severity, severity)


@register.filter(name="finding_title")
def finding_title(code: str) -> str:
    """A finding's code in plain words ("MAX_DAILY_DOSE" → "Above the maximum daily dose")."""
    return FINDING_TITLES.get(code, code.replace("_", " ").capitalize())


@register.simple_tag
def findings_summary(findings: Iterable[Any] | None) -> dict[str, Any]:
    """The compact line over the findings: counts by severity and the stops' titles, e.g.
    "1 stop — cannot be signed: Above the maximum daily dose" (titles, never codes)."""
    items = list(findings or [])
    stops = [item for item in items if item.severity == "stop"]
    overrides = [item for item in items if item.severity == "override"]
    warns = [item for item in items if item.severity == "warn"]
    parts = []
    for count, one, many in (
        (len(stops), "stop", "stops"),
        (len(overrides), "needs a reason", "need a reason"),
        (len(warns), "warning", "warnings"),
    ):
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    return {
        "stops": stops,
        "overrides": overrides,
        "warns": warns,
        "counts": ", ".join(parts) if parts else "No findings",
        "stop_reason": (
            "cannot be signed: " + "; ".join(finding_title(item.code) for item in stops)
            if stops
            else ""
        ),
    }


@register.filter(name="person")
def person(value: Any) -> str:
    """A user as people know them (full name, else the user name); any other row as its text;
    "system" where nobody is recorded."""
    if value is None or value == "":
        return "system"
    full_name = getattr(value, "get_full_name", None)
    if callable(full_name):
        return str(full_name() or value.get_username())
    return str(value)


@register.filter(name="money")
def money(value: Decimal | int | str | None) -> str:
    """``{{ amount|money }}``: the amount as ``num`` shows it with the ``CURRENCY`` setting's
    code ("11,875 USD"); a dash alone where there is no amount."""
    shown = num(value)
    return shown if shown == "—" else f"{shown} {settings.CURRENCY}"


@register.filter(name="person_or_blank")
def person_or_blank(value: Any) -> str:
    """As ``person``, but blank (a line to fill in) where nobody is recorded."""
    return "" if value is None or value == "" else person(value)
