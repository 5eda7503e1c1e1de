"""Pharmacist forms: a product with inline vial sizes and rate steps, prices, the policy.

Forms check each field; the rules across fields and rows are the services' (``FormularyError``),
shown on the form by ``show_service_error``.
"""

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from ivig.dates import PRICE, date_formfield
from ivig.forms import PlainDecimalsForm

from .models import DosingPolicy, LabelRateStep, Product, Stabilizer, VialSize
from .services import (
    POLICY_FIELDS,
    PRODUCT_FIELDS,
    FormularyError,
    RateStepData,
    VialSizeData,
)

VIAL_SIZES_PREFIX = "vial_sizes"
RATE_STEPS_PREFIX = "label_rate_steps"


class ProductForm(PlainDecimalsForm):
    stabilizers = forms.MultipleChoiceField(
        choices=Stabilizer.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="As labelled; tick “none” if there is none.",
    )
    price_per_g = forms.DecimalField(
        label="Price per g",
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="Applies from today; later prices are set on the product's page.",
    )
    # The version the edit is based on: a colleague's change since is not silently reverted.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Product
        fields = ("slug", *PRODUCT_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"slug": "Short name", "ph_min": "pH from", "ph_max": "pH to"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # The slug names the product in links and the API; it never changes.
            self.fields["slug"].disabled = True
            del self.fields["price_per_g"]
            if not self.is_bound:
                self.initial["version"] = self.instance.version
        else:
            del self.fields["version"]

    def product_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PRODUCT_FIELDS}


class PlainRows(BaseInlineFormSet):
    """Rows of a product (pages and admin): two rows the same, said with the fields' labels,
    never Django's "duplicate data for size_g" (issue 19)."""

    def get_unique_error_message(self, unique_check: Any) -> str:
        labels = [
            str(self.model._meta.get_field(name).verbose_name)
            for name in unique_check
            if name != self.fk.name
        ]
        return f"Two rows give the same {' and '.join(labels)}: give each once."


class _LabelledRows(PlainRows):
    """Each row's inputs get an accessible name with the row's number ("Vial size 2 (g)")."""

    row_labels: dict[str, str] = {}

    def _construct_form(self, i: int, **kwargs: Any) -> forms.BaseForm:
        form = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        for name, label in self.row_labels.items():
            if name in form.fields:
                form.fields[name].widget.attrs["aria-label"] = label.format(n=i + 1)
        return form


class VialSizeFormSet(_LabelledRows):
    row_labels = {"size_g": "Vial size {n} (g)", "active": "Vial size {n} active"}

    def get_unique_error_message(self, unique_check: Any) -> str:
        """Not Django's "duplicate data for size_g" (issue 19): the same size twice, in words."""
        return "The same vial size is given twice: give each size once."

    def data_for_service(self) -> list[VialSizeData]:
        return [
            VialSizeData(size_g=form.cleaned_data["size_g"], active=form.cleaned_data["active"])
            for form in self.forms
            if form.cleaned_data.get("size_g") is not None
        ]


class RateStepFormSet(_LabelledRows):
    row_labels = {
        "rate_mg_per_kg_per_min": "Step {n} rate (mg/kg/min)",
        "minutes": "Step {n} minutes",
        "DELETE": "Remove step {n}",
    }

    def data_for_service(self) -> list[RateStepData]:
        return [
            RateStepData(
                rate_mg_per_kg_per_min=form.cleaned_data["rate_mg_per_kg_per_min"],
                minutes=form.cleaned_data["minutes"],
            )
            for form in self.forms
            if form.cleaned_data.get("rate_mg_per_kg_per_min") is not None
            and not form.cleaned_data.get("DELETE")
        ]


VialSizeForms = cast(
    type[VialSizeFormSet],
    inlineformset_factory(
        Product,
        VialSize,
        form=PlainDecimalsForm,
        formset=VialSizeFormSet,
        fields=("size_g", "active"),
        extra=3,
        can_delete=False,  # a size is made inactive, never deleted
    ),
)
RateStepForms = cast(
    type[RateStepFormSet],
    inlineformset_factory(
        Product,
        LabelRateStep,
        form=PlainDecimalsForm,
        formset=RateStepFormSet,
        fields=("rate_mg_per_kg_per_min", "minutes"),
        extra=3,
        can_delete=True,
    ),
)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500, widget=forms.TextInput)


class PriceForm(forms.Form):
    price_per_g = forms.DecimalField(
        label="Price per g", max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    effective_from = date_formfield(PRICE, label="Effective from", initial=timezone.localdate)


class DosingPolicyForm(PlainDecimalsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = DosingPolicy
        fields = POLICY_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def policy_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}


def show_service_error(
    error: FormularyError, form: forms.BaseForm, formsets: dict[str, Any] | None = None
) -> None:
    """Put a service's refusal where the pharmacist will see it: on the field at fault, on the
    inline table it concerns, or at the top of the form."""
    formsets = formsets or {}
    if error.field in formsets:
        formsets[error.field].non_form_errors().append(error.message)
    elif error.field in form.fields and not form.fields[error.field].widget.is_hidden:
        form.add_error(error.field, error.message)
    else:
        form.add_error(None, error.message)
