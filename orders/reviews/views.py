"""The course's response reviews page (docs/clinical-rules.md 10); the API is
``orders.reviews.api``.

Every role reads them (docs/clinical-rules.md 1); clinicians record reviews and accept a taper.
Thin: parse, check the role, call ``orders.reviews.services``, render.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import logs_patient_reads
from ivig.dates import REVIEW, date_formfield
from ivig.errors import add_to_form
from orders import policies
from orders.course_versions import order_in_force
from orders.errors import OrderError
from orders.labs.models import LabResult
from orders.models import Order
from orders.services import pending_change

from . import services as reviews
from . import tapering
from .models import PREDNISONE_MAX_MG_PER_DAY, Decision
from .models import Response as ReviewResponse
from .policies import can_record_reviews


class ReviewForm(forms.Form):
    reviewed_on = date_formfield(REVIEW, label="Reviewed on", initial=timezone.localdate)
    score = forms.DecimalField(max_digits=5, decimal_places=1, min_value=Decimal(0))
    prednisone_mg_per_day = forms.DecimalField(
        label="Prednisone-equivalent dose (mg/day)",
        max_digits=6,
        decimal_places=1,
        min_value=Decimal(0),
        max_value=PREDNISONE_MAX_MG_PER_DAY,
    )
    # No outcome is pre-selected: the clinician chooses one (a required choice).
    response = forms.ChoiceField(choices=[("", "Choose the response"), *ReviewResponse.choices])
    decision = forms.ChoiceField(choices=[("", "Choose the decision"), *Decision.choices])
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    hemoglobin_result = forms.ModelChoiceField(
        queryset=LabResult.objects.none(),
        required=False,
        label="Hemoglobin answered",
        empty_label="None",
        help_text="After a suspected hemolysis: the fallen hemoglobin this review answers. "
        "With the decision to continue, the next cycle is released.",
    )

    def __init__(
        self,
        *args: Any,
        measure_label: str = "Score",
        hemoglobin: QuerySet[LabResult] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["score"].label = measure_label
        field = self.fields["hemoglobin_result"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = hemoglobin if hemoglobin is not None else LabResult.objects.none()
        field.label_from_instance = lambda result: (  # type: ignore[method-assign, assignment]
            f"{result.shown} on {result.taken_on:%Y-%m-%d}"
        )


class TaperForm(forms.Form):
    kind = forms.ChoiceField(choices=[("interval", "interval"), ("dose", "dose")])
    version = forms.IntegerField(widget=forms.HiddenInput)


def _score_label(review_status: reviews.ReviewStatus) -> str:
    low, high = review_status.score_low, review_status.score_high
    return f"{review_status.measure_name} score ({low} to {high})"


def _page(request: HttpRequest, order: Order, form: ReviewForm | None, status_code: int = 200):
    clinician = can_record_reviews(request.user)
    review_status = reviews.review_status(order)
    label = _score_label(review_status)
    if form is None and clinician:
        form = ReviewForm(
            measure_label=label, hemoglobin=reviews.patient_hemoglobin_results(order)[:20]
        )
    current = order_in_force(order)
    return render(
        request,
        "orders/reviews.html",
        {
            "order": order,
            "current": current,
            "status": review_status,
            "reviews": reviews.lineage_reviews(order)[:100],
            "form": form if clinician else None,
            "proposals": tapering.taper_proposals(order, current),
            "can_taper": clinician,
            "pending": pending_change(current),
        },
        status=status_code,
    )


@logs_patient_reads("orders.order")
@policy_required(policies.can_read_orders)
def order_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    """The course's reviews, when the next is due, and (clinicians) the form to record one."""
    order = get_object_or_404(Order.objects.select_related("indication", "patient"), pk=pk)
    if request.method != "POST":
        return _page(request, order, None)
    if not can_record_reviews(request.user):
        return _page(request, order, None, 403)
    measure = reviews.review_status(order)
    form = ReviewForm(
        request.POST,
        measure_label=_score_label(measure),
        hemoglobin=reviews.patient_hemoglobin_results(order),
    )
    if form.is_valid():
        try:
            reviews.review_record(order, by=signed_in_user(request), **form.cleaned_data)
        except OrderError as error:
            add_to_form(form, error)
        else:
            messages.success(request, "Review recorded.")
            return redirect("orders:order-reviews", pk=order.pk)
    return _page(request, order, form, 400)


@require_POST
@logs_patient_reads("orders.order")
@policy_required(can_record_reviews)
def order_taper(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept a taper proposal: a new version of the order, to sign (docs/clinical-rules.md
    10.3)."""
    order = get_object_or_404(Order, pk=pk)
    form = TaperForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a proposal.")
        return redirect("orders:order-reviews", pk=order.pk)
    try:
        successor = tapering.taper_accept(
            order,
            by=signed_in_user(request),
            kind=form.cleaned_data["kind"],
            version=form.cleaned_data["version"],
        )
    except OrderError as error:
        messages.error(request, error.message)
        return redirect("orders:order-reviews", pk=order.pk)
    messages.success(
        request, f"Version {successor.revision} drafted: sign it, then a pharmacist verifies it."
    )
    return redirect("orders:order-detail", pk=successor.pk)


# --- API -----------------------------------------------------------------------------------
