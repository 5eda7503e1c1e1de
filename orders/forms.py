"""Patient forms: they parse and show errors; ``orders.services`` decides and saves."""

from django import forms
from django.utils import timezone

from .errors import OrderError
from .models import WEIGHT_MAX_KG, WEIGHT_MIN_KG, Patient, PatientWeight, RiskFactor
from .services import PATIENT_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PatientForm(forms.ModelForm):
    risk_factors = forms.MultipleChoiceField(
        choices=RiskFactor.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {
            "date_of_birth": _DATE,
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
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
    weight_measured_on = forms.DateField(
        label="Weight measured on", required=False, widget=_DATE, initial=timezone.localdate
    )


class PatientEditForm(PatientForm):
    """Edit; ``version`` is the record's version when the form was opened (DESIGN 4)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class WeightForm(forms.ModelForm):
    class Meta:
        model = PatientWeight
        fields = ("weight_kg", "measured_on")
        widgets = {"measured_on": _DATE}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["measured_on"].initial = timezone.localdate


def add_order_error(form: forms.BaseForm, error: OrderError) -> None:
    """Show a service's refusal on the form: on its fields where it names them."""
    if not error.field_errors:
        form.add_error(None, error.message)
        return
    for field, messages in error.field_errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
