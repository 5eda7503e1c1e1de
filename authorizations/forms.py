"""Authorization forms: they parse and show errors; ``authorizations.services`` decides."""

from django import forms

from ivig.dates import AUTHORIZATION, date_formfield
from ivig.forms import PlainDecimalsForm
from orders.models import Order, OrderStatus

from .models import Authorization, AuthorizationStatus

# Orders an authorization can be requested for: signed onwards, not replaced or stopped.
REQUESTABLE_ORDER_STATUSES = (
    OrderStatus.SIGNED,
    OrderStatus.VERIFIED,
    OrderStatus.ACTIVE,
)


class OrderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Order) -> str:  # type: ignore[override]
        return f"{obj.number} v{obj.revision} · {obj.patient} · {obj.get_status_display()}"


class AuthorizationCreateForm(forms.Form):
    order = OrderChoiceField(
        queryset=Order.objects.filter(status__in=REQUESTABLE_ORDER_STATUSES).select_related(
            "patient"
        )
    )
    payer = forms.CharField(max_length=200)
    member_id = forms.CharField(label="Member id", max_length=64)
    reference_number = forms.CharField(max_length=64, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AuthorizationEditForm(PlainDecimalsForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Authorization
        fields = ("payer", "member_id", "reference_number", "notes")
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SubmitForm(VersionForm):
    reference_number = forms.CharField(
        max_length=64, required=False, help_text="The payer's reference, if given."
    )


class DecisionForm(VersionForm):
    decision = forms.ChoiceField(
        choices=[
            (AuthorizationStatus.APPROVED.value, "Approved"),
            (AuthorizationStatus.DENIED.value, "Denied"),
        ],
        widget=forms.RadioSelect,
    )
    decision_date = date_formfield(AUTHORIZATION, label="Decision date")
    approved_cycles = forms.IntegerField(min_value=1, required=False)
    approved_grams = forms.DecimalField(
        label="Approved grams", min_value=0, max_digits=8, decimal_places=2, required=False
    )
    valid_from = date_formfield(AUTHORIZATION, label="Valid from", required=False)
    valid_to = date_formfield(AUTHORIZATION, label="Valid to", required=False)
    reason = forms.CharField(
        label="Reason / note",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="A denial needs the payer's reason.",
    )


class ReasonForm(VersionForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RenewForm(forms.Form):
    reference_number = forms.CharField(max_length=64, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DocumentForm(forms.Form):
    title = forms.CharField(max_length=200)
    reference = forms.CharField(max_length=500, help_text="A link, or where the document is filed.")
