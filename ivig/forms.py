"""Form helpers shared by the apps."""

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import DecimalValidator
from django.forms.models import ModelChoiceIterator
from django.utils.choices import BaseChoiceIterator

from ivig.engine import format_decimal
from ivig.errors import PlainConstraintsMixin


class PlainDecimalsForm(PlainConstraintsMixin, forms.ModelForm):
    """Shows stored decimals as people write them: "5", not "5.00"; "2", not "2.000" (STYLE);
    a check constraint of the model answers in plain words, never by its name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, value in self.initial.items():
            if isinstance(value, Decimal):
                self.initial[name] = format_decimal(value)
        for field in self.fields.values():
            field.validators = [
                PlainDigits(v.max_digits, v.decimal_places)
                if type(v) is DecimalValidator and v.max_digits is not None
                else v
                for v in field.validators
            ]


class PlainDigits(DecimalValidator):
    """A column's digit count said as the number's range: "Enter a number below 10,000, with at
    most 2 decimals.", never "no more than 6 digits in total" (issue 19)."""

    def __init__(self, max_digits: int, decimal_places: int | None) -> None:
        super().__init__(max_digits, decimal_places)
        from ivig.templatetags.clinical import num

        places = decimal_places or 0
        below = f"Enter a number below {num(Decimal(10) ** (max_digits - places))}"
        decimals = f"at most {places} decimals" if places else "a whole number"
        self.messages = {
            **self.messages,
            "max_digits": f"{below}, with {decimals}.",
            "max_whole_digits": f"{below}.",
            "max_decimal_places": f"Enter {decimals}.",
        }


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


class SharedChoices(BaseChoiceIterator):
    """A model choice field's options read once, in one plain query, and shown by every field
    that shares them (the rows of a formset): one query for the page, not one per row, and no
    server-side cursor (Django's own options are read through ``QuerySet.iterator()``, three
    round trips on PostgreSQL) (issue 21). Each field still validates against its own queryset;
    only the drawing of the options is shared.

    ``share(field)`` in each form's ``__init__``, after the field's queryset is set."""

    def __init__(self) -> None:
        self._field: forms.ModelChoiceField | None = None
        self._choices: list[tuple[Any, Any]] | None = None

    def share(self, field: forms.ModelChoiceField) -> None:
        if self._field is None:
            self._field = field
        field.choices = self

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self._choices is None:
            assert self._field is not None, "share() a field first"
            field = self._field
            assert field.queryset is not None
            options = ModelChoiceIterator(field)
            choices: list[tuple[Any, Any]] = []
            if field.empty_label is not None:
                choices.append(("", field.empty_label))
            choices.extend(options.choice(obj) for obj in field.queryset.all())
            self._choices = choices
        return iter(self._choices)
