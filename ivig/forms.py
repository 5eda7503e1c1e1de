"""Form helpers shared by the apps."""

from collections.abc import Mapping
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


def initial_from_posted(form: forms.BaseForm, data: Mapping[str, Any]) -> dict[str, Any]:
    """What ``form``'s fields would show bound to ``data``, as plain initial values: each field's
    widget reads its own value from ``data`` (one string; a list only for a multiple choice).

    A form shown again from a post (a page refreshed while it is filled in) takes these, never
    the ``QueryDict`` itself: a ``QueryDict`` as ``initial`` shows every value as ``['…']``."""
    values: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = field.widget.value_from_datadict(data, {}, form.add_prefix(name))
        if value is not None:
            values[name] = value
    return values
