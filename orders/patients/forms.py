"""Patient and weight forms: they parse and show errors; ``orders.patients.services`` decides
and saves."""

from typing import Any

from django import forms
from django.utils import timezone

from ivig.dates import DATE_OF_BIRTH, MEASURED_ON, date_formfield
from ivig.forms import PlainDecimalsForm

from .models import WEIGHT_MAX_KG, WEIGHT_MIN_KG, Patient, PatientWeight, RiskFactor
from .services import PATIENT_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


CONFIRM_UNUSUAL = "confirm_unusual"


def confirm_unusual_field() -> forms.BooleanField:
    """docs/clinical-rules.md 3.1.1: "I confirm this weight", hidden until the service finds the
    weight unusual (``add_order_error`` shows it) and kept in view once ticked."""
    return forms.BooleanField(
        label="I confirm this weight", required=False, widget=forms.HiddenInput
    )


def show_weight_confirmation(form: forms.BaseForm) -> None:
    """Turn the hidden "I confirm this weight" into a checkbox on ``form``."""
    field = form.fields.get(CONFIRM_UNUSUAL)
    if field is not None and field.widget.is_hidden:
        field.widget = forms.CheckboxInput()


def keep_weight_confirmation_in_view(form: forms.BaseForm) -> None:
    """A ticked confirmation stays a visible checkbox (never carried along hidden)."""
    given = (form.data if form.is_bound else form.initial).get(CONFIRM_UNUSUAL)
    if given not in (None, "", False, "False", "false"):
        show_weight_confirmation(form)


class PatientForm(PlainDecimalsForm):
    date_of_birth = date_formfield(DATE_OF_BIRTH, label="Date of birth")
    risk_factors = forms.MultipleChoiceField(
        choices=RiskFactor.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "urgent_reason": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"height_cm": "Used for BMI and ideal body weight."}


class PatientCreateForm(PatientForm):
    """Registration, with an optional first weight."""

    weight_kg = forms.DecimalField(
        label="Weight (kg)",
        required=False,
        min_value=WEIGHT_MIN_KG,
        max_value=WEIGHT_MAX_KG,
        decimal_places=2,
    )
    weight_measured_on = date_formfield(
        MEASURED_ON, label="Weight measured on", required=False, initial=timezone.localdate
    )
    confirm_unusual = confirm_unusual_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep_weight_confirmation_in_view(self)


class PatientEditForm(PatientForm):
    """Edit; ``version`` is the record's version when the form was opened (docs/clinical-rules.md
    4)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class WeightForm(forms.ModelForm):
    measured_on = date_formfield(MEASURED_ON, label="Measured on")
    confirm_unusual = confirm_unusual_field()

    class Meta:
        model = PatientWeight
        fields = ("weight_kg", "measured_on")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["measured_on"].initial = timezone.localdate
        keep_weight_confirmation_in_view(self)
