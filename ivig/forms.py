"""Form helpers shared by the apps."""

from decimal import Decimal
from typing import Any

from django import forms

from ivig.engine import format_decimal


class PlainDecimalsForm(forms.ModelForm):  # type: ignore[type-arg]
    """Shows stored decimals as people write them: "5", not "5.00"; "2", not "2.000" (STYLE)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, value in self.initial.items():
            if isinstance(value, Decimal):
                self.initial[name] = format_decimal(value)
