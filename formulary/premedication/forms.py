"""The catalogue's page forms (docs/clinical-rules.md 3.5)."""

from typing import Any

from django import forms

from ivig.forms import PlainDecimalsForm

from .models import PremedicationDrug
from .services import DRUG_FIELDS


class PremedicationDrugForm(PlainDecimalsForm):
    """A drug's name, doses and route; the slug is asked only when the drug is added."""

    class Meta:
        model = PremedicationDrug
        fields = ("slug", *DRUG_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["slug"]

    def drug_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in DRUG_FIELDS}


class ActiveForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500, widget=forms.TextInput)
