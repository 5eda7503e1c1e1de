"""Validators shared by the apps' models."""

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError

CONTROL_MESSAGE = "Control characters (a line break, a tab …) are not allowed here."


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def no_control_characters(value: Any) -> None:
    """Refuse a one-line identifier or name holding a control character (CR, LF, tab, NUL
    …): it would split a line of a log, a CSV or a calendar feed."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(CONTROL_MESSAGE, code="control_characters")
