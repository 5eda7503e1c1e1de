"""Forms of the nurses' pages. They parse; the services decide (STYLE)."""

import re
from datetime import date, time
from itertools import pairwise
from typing import Any

from django import forms

from ivig.dates import BOOKING, VIEW, BoundedDateField, BoundedDateTimeField
from ivig.numbers import INT_MAX, SMALLINT_MAX

from .entries import parse_entry
from .errors import InfusionError
from .models import MAX_RATE_ML_PER_H, Chair, EntryKind, Severity, Symptom, Weekday
from .override_models import SESSION_REASON_MAX_CHARS


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def add_infusion_error(form: forms.Form, error: InfusionError) -> None:
    """Show a service refusal on the form: on its field where it names one the form has."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class EntryForm(forms.Form):
    """Any entry of the administration record; the page shows each kind's own fields. Once
    each field has parsed, the entry is validated as its kind's model (``entries``), which
    ``cleaned_data["entry"]`` holds."""

    kind = forms.ChoiceField(choices=EntryKind.choices, widget=forms.HiddenInput)
    occurred_at = BoundedDateTimeField(
        window=VIEW,
        label="Time",
        required=False,
        widget=DateTimeLocalInput(),
        help_text="Blank: now.",
    )
    details = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rate_ml_per_h = forms.IntegerField(
        label="Rate (mL/h)", required=False, min_value=1, max_value=MAX_RATE_ML_PER_H
    )
    lot_number = forms.CharField(required=False, max_length=40)
    vial_size_g = forms.DecimalField(
        label="Vial size (g)", required=False, min_value=0, max_digits=5, decimal_places=2
    )
    vial_count = forms.IntegerField(
        label="Vials", required=False, min_value=1, max_value=SMALLINT_MAX
    )
    bp_systolic_mmhg = forms.IntegerField(
        label="Systolic (mmHg)", required=False, min_value=0, max_value=SMALLINT_MAX
    )
    bp_diastolic_mmhg = forms.IntegerField(
        label="Diastolic (mmHg)", required=False, min_value=0, max_value=SMALLINT_MAX
    )
    pulse_per_min = forms.IntegerField(
        label="Pulse (/min)", required=False, min_value=0, max_value=SMALLINT_MAX
    )
    temperature_c = forms.DecimalField(
        label="Temperature (°C)", required=False, max_digits=3, decimal_places=1
    )
    respiratory_rate_per_min = forms.IntegerField(
        label="Respiratory rate (/min)", required=False, min_value=0, max_value=SMALLINT_MAX
    )
    spo2_pct = forms.IntegerField(
        label="SpO₂ (%)", required=False, min_value=0, max_value=SMALLINT_MAX
    )
    symptoms = forms.MultipleChoiceField(
        choices=Symptom.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    severity = forms.ChoiceField(choices=[("", "—"), *Severity.choices], required=False)
    action = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    volume_ml = forms.DecimalField(
        label="Volume given (mL)", required=False, min_value=0, max_digits=6, decimal_places=1
    )
    grams_given = forms.DecimalField(
        label="Grams given (g)", required=False, min_value=0, max_digits=6, decimal_places=2
    )
    correction_of = forms.IntegerField(
        label="Corrects entry #",
        required=False,
        min_value=1,
        max_value=INT_MAX,
        widget=forms.NumberInput(),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned  # a field did not parse: its message says so
        values = {
            name: value
            for name, value in cleaned.items()
            if name not in ("occurred_at", "correction_of")
        }
        try:
            cleaned["entry"] = parse_entry(values)
        except InfusionError as error:
            add_infusion_error(self, error)
        return cleaned


class MoveForm(forms.Form):
    chair = forms.ModelChoiceField(queryset=Chair.objects.filter(active=True))
    start = BoundedDateTimeField(window=BOOKING, label="Start", widget=DateTimeLocalInput())
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class SessionReasonForm(forms.Form):
    """A clinician's reason to go ahead with a session-only finding on this session
    (docs/clinical-rules.md 3.8.2)."""

    code = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Reason to go ahead",
        max_length=SESSION_REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason to go ahead."},
        help_text="For this session only; the next session is judged again.",
    )


class ProposalForm(forms.Form):
    """Ask for a (new) proposal: from which day, in which chair."""

    date = BoundedDateField(
        window=BOOKING,
        label="Day 1 on or after",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    chair = forms.ModelChoiceField(
        queryset=Chair.objects.filter(active=True), required=False, empty_label="Any chair"
    )


class DaySlotForm(forms.Form):
    """One cycle day of a booking: the nurse accepts the proposal or picks another chair and
    start time (the day is fixed: a cycle's days are consecutive)."""

    day = BoundedDateField(window=BOOKING, label="Day", widget=forms.HiddenInput)
    chair = forms.ModelChoiceField(queryset=Chair.objects.filter(active=True))
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))


class BookingForm(forms.Form):
    tentative = forms.BooleanField(
        required=False, label="Tentative (no authorization yet: cannot start until approved)"
    )


def day_slot_formset(
    days: int, data: Any = None, initial: list[dict[str, Any]] | None = None
) -> Any:
    formset_class = forms.formset_factory(
        DaySlotForm, extra=0, min_num=days, max_num=days, validate_min=True, validate_max=True
    )
    return formset_class(data, initial=initial, prefix="day")


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class ConfirmForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


# "08:00-18:00" or "08:00-12:00, 13:00-17:00" (an en or em dash, or "to", also separates).
WINDOW = re.compile(r"^\s*(\d{1,2}:\d{2})\s*(?:-|\u2013|\u2014|to)\s*(\d{1,2}:\d{2})\s*$")


def parse_windows(text: str) -> list[tuple[time, time]]:
    """A weekday's opening windows from text; blank: closed. Raises ``ValidationError``."""
    windows = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        match = WINDOW.match(part)
        try:
            if match is None:
                raise ValueError
            opens, closes = (time.fromisoformat(value.zfill(5)) for value in match.groups())
        except ValueError:
            raise forms.ValidationError(
                f"{part!r} is not an opening: write it as 08:00-18:00 (several: "
                "08:00-12:00, 13:00-17:00)."
            ) from None
        if closes <= opens:
            raise forms.ValidationError(f"{part}: a chair closes after it opens.")
        windows.append((opens, closes))
    windows.sort()
    for (_, closes), (opens, _) in pairwise(windows):
        if opens < closes:
            raise forms.ValidationError("The openings of one day cannot overlap.")
    return windows


def format_windows(windows: list[tuple[time, time]]) -> str:
    return ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in windows)


class ChairForm(forms.Form):
    """A chair and its opening hours, one text field per weekday (the service saves them)."""

    name = forms.CharField(max_length=60)
    location = forms.CharField(max_length=120, required=False)
    active = forms.BooleanField(
        required=False, initial=True, help_text="Untick to stop booking this chair."
    )

    def __init__(self, *args: Any, chair: Chair | None = None, **kwargs: Any) -> None:
        if chair is not None and "initial" not in kwargs:
            by_day: dict[int, list[tuple[time, time]]] = {}
            for hours in chair.opening_hours.all():
                by_day.setdefault(hours.weekday, []).append((hours.opens_at, hours.closes_at))
            kwargs["initial"] = {
                "name": chair.name,
                "location": chair.location,
                "active": chair.active,
                **{
                    f"hours_{day}": format_windows(sorted(windows))
                    for day, windows in by_day.items()
                },
            }
        super().__init__(*args, **kwargs)
        for day in Weekday:
            self.fields[f"hours_{day.value}"] = forms.CharField(
                label=day.label,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "closed"}),
            )
        self.fields["hours_0"].help_text = "For example 08:00-18:00; blank: closed."

    @property
    def chair_fields(self) -> list[Any]:
        return [self[name] for name in ("name", "location", "active")]

    @property
    def hour_fields(self) -> list[Any]:
        return [self[f"hours_{day.value}"] for day in Weekday]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        windows: dict[int, list[tuple[time, time]]] = {}
        for day in Weekday:
            name = f"hours_{day.value}"
            if name not in cleaned:
                continue
            try:
                windows[day.value] = parse_windows(cleaned[name])
            except forms.ValidationError as error:
                self.add_error(name, error)
        cleaned["windows"] = windows
        return cleaned
