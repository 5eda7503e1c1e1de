"""Authorization forms: they parse and show errors; ``authorizations.services`` decides."""

from django import forms

from ivig.dates import AUTHORIZATION, date_formfield
from ivig.forms import PlainDecimalsForm
from orders.models import Order

from .models import Authorization, AuthorizationStatus
from .order_picker import (
    ORDER_QUERY_PARAM,
    order_choices,
    order_label,
    order_matches,
    requestable_orders,
)


class OrderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Order) -> str:
        return order_label(obj)


class AuthorizationCreateForm(forms.Form):
    """The order is searched for (``order_q``, authorizations/order_picker.py): the select lists
    at most ``ORDER_MATCHES`` orders, none once one is chosen; any requestable order's id is
    accepted."""

    order = OrderChoiceField(queryset=requestable_orders())
    payer = forms.CharField(max_length=200)
    member_id = forms.CharField(label="Member id", max_length=64)
    reference_number = forms.CharField(max_length=64, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.order_chosen = self._chosen_order()
        field = self.fields["order"]
        if self.order_chosen is not None and not self.has_error("order"):
            field.widget = forms.HiddenInput()
            return
        field.widget.choices = order_choices(order_matches(self.order_query))
        field.widget.attrs["data-testid"] = "order-select"

    @property
    def order_query(self) -> str:
        return str(self.data.get(ORDER_QUERY_PARAM) or self.initial.get(ORDER_QUERY_PARAM) or "")

    def _chosen_order(self) -> Order | None:
        key = self["order"].value()
        if key in (None, ""):
            return None
        try:
            return requestable_orders().filter(pk=int(str(key))).first()
        except (TypeError, ValueError):
            return None


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
