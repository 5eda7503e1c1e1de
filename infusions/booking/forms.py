"""Forms of booking and of moving, cancelling and confirming sessions. They parse; the services
decide (STYLE)."""

from collections.abc import Iterator
from datetime import date
from typing import Any, cast

from django import forms
from django.utils.choices import BaseChoiceIterator

from infusions.chairs.models import Chair
from infusions.chairs.widgets import ChairSelect
from ivig.dates import BOOKING, BoundedDateField, BoundedDateTimeField


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MoveForm(forms.Form):
    chair = forms.ModelChoiceField(queryset=Chair.objects.filter(active=True), widget=ChairSelect)
    start = BoundedDateTimeField(window=BOOKING, label="Start", widget=DateTimeLocalInput())
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class ProposalForm(forms.Form):
    """Ask for a (new) proposal: from which day, in which chair."""

    date = BoundedDateField(
        window=BOOKING,
        label="Day 1 on or after",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    chair = forms.ModelChoiceField(
        queryset=Chair.objects.filter(active=True),
        required=False,
        empty_label="Any chair",
        widget=ChairSelect,
    )


class DaySlotForm(forms.Form):
    """One cycle day of a booking: the nurse accepts the proposal or picks another chair and
    start time (the day is fixed: a cycle's days are consecutive)."""

    day = BoundedDateField(window=BOOKING, label="Day", widget=forms.HiddenInput)
    chair = forms.ModelChoiceField(queryset=Chair.objects.filter(active=True), widget=ChairSelect)
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))


class BookingForm(forms.Form):
    tentative = forms.BooleanField(
        required=False, label="Tentative (no authorization yet: cannot start until approved)"
    )


class _ChoicesReadOnce(BaseChoiceIterator):
    """A model choice field's choices, read (when first drawn) once for the forms that share
    them."""

    def __init__(self, field: forms.ModelChoiceField) -> None:
        self.field = field
        self._choices: list[Any] | None = None

    def __iter__(self) -> Iterator[Any]:
        if self._choices is None:
            # Iterated, not measured: a model choice iterator's length is a COUNT query.
            self._choices = list(iter(self.field.iterator(self.field)))
        return iter(self._choices)


def day_slot_formset(
    days: int, data: Any = None, initial: list[dict[str, Any]] | None = None
) -> Any:
    """The days of a cycle, their chair selects drawn from one read of the chairs (the same
    active chairs on every day: a day's select lists sixty)."""
    formset_class = forms.formset_factory(
        DaySlotForm, extra=0, min_num=days, max_num=days, validate_min=True, validate_max=True
    )
    formset = formset_class(data, initial=initial, prefix="day")
    fields = [cast(forms.ModelChoiceField, form.fields["chair"]) for form in formset.forms]
    if fields:
        chairs = _ChoicesReadOnce(fields[0])
        for field in fields:
            field.choices = chairs
    return formset


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class ConfirmForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
