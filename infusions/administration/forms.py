"""Forms of the administration record and session reasons. They parse; the services decide
(STYLE)."""

from __future__ import annotations

from typing import Any

from django import forms

from formulary.models import Product
from infusions.administration.entries import parse_entry
from infusions.administration.lot_recall import LotRow, lot_rows
from infusions.administration.models import (
    MAX_RATE_ML_PER_H,
    SESSION_REASON_MAX_CHARS,
    EntryKind,
    Severity,
    Symptom,
)
from infusions.booking.forms import DateTimeLocalInput
from infusions.errors import InfusionError, add_infusion_error
from ivig.dates import VIEW, BoundedDateTimeField
from ivig.numbers import INT_MAX, SMALLINT_MAX


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


class PremedicationGivenForm(forms.Form):
    """One premedication line of the session's order (``line``), or one a reaction plan it
    follows adds (``plan_line``), given (at a time; blank: now) or not given (with why), by
    the button pressed (docs/clinical-rules.md 3.5, 6)."""

    line = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=INT_MAX, required=False
    )
    plan_line = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=INT_MAX, required=False
    )
    outcome = forms.ChoiceField(
        choices=[("given", "Given"), ("not_given", "Not given")], widget=forms.HiddenInput
    )
    given_at = BoundedDateTimeField(
        window=VIEW,
        label="Given at",
        required=False,
        widget=DateTimeLocalInput(),
        help_text="Blank: now.",
    )
    not_given_reason = forms.CharField(
        label="Or why not given",
        required=False,
        max_length=SESSION_REASON_MAX_CHARS,
        widget=forms.TextInput(),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and (cleaned.get("line") is None) == (cleaned.get("plan_line") is None):
            raise forms.ValidationError("Choose one premedication line.")
        return cleaned

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "line_id": data["line"],
            "plan_line_id": data["plan_line"],
            "given": data["outcome"] == "given",
            "given_at": data["given_at"],
            "not_given_reason": data["not_given_reason"],
        }


class LotForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.order_by("brand_name"), to_field_name="slug"
    )
    lot = forms.CharField(label="Lot number", max_length=40, strip=True)


def lots_looked_up(data: Any) -> tuple[LotForm, list[LotRow]]:
    """The lot recall look-up from the page's query or the API's: the bound form and, when it is
    valid, every patient and session that received the lot."""
    form = LotForm(data or None)
    if not data or not form.is_valid():
        return form, []
    return form, lot_rows(form.cleaned_data["product"], form.cleaned_data["lot"])
