"""The pharmacists' lot recall look-up (issue 23): a page, its CSV, the button that notifies each
patient's clinicians, and the same through the API (``/api/v1/lots/``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from formulary.models import Product
from ivig.accounts.permissions import api_policy, policy_required
from ivig.audit.reads import LogsPatientReadsMixin, logs_patient_reads
from ivig.audit.services import access_records
from ivig.csv_export import SafeCsvWriter
from ivig.templatetags.clinical import count

from . import policies
from .lots import LotRow, lot_rows, notify_clinicians


class LotForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.order_by("brand_name"), to_field_name="slug"
    )
    lot = forms.CharField(label="Lot number", max_length=40, strip=True)


def _looked_up(data: Any) -> tuple[LotForm, list[LotRow]]:
    form = LotForm(data or None)
    if not data or not form.is_valid():
        return form, []
    return form, lot_rows(form.cleaned_data["product"], form.cleaned_data["lot"])


@logs_patient_reads()
@policy_required(policies.can_look_up_lots)
def lot_recall(request: HttpRequest) -> HttpResponse:
    form, rows = _looked_up(request.GET)
    access_records(request, [row.session for row in rows])
    return render(
        request,
        "infusions/lot_recall.html",
        {"form": form, "rows": rows, "query": request.GET.urlencode()},
    )


@logs_patient_reads()
@policy_required(policies.can_look_up_lots)
def lot_recall_csv(request: HttpRequest) -> HttpResponse:
    form, rows = _looked_up(request.GET)
    if not form.is_valid():
        return HttpResponse("Choose a product and a lot number.", status=400)
    access_records(request, [row.session for row in rows])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ivig-lot-recall.csv"'
    writer = SafeCsvWriter(response)
    writer.writerow(
        ["product", "lot", "patient", "mrn", "order", "session day", "session status", "vials",
         "vial size g", "grams", "recorded at", "recorded by"]
    )  # fmt: skip
    product, lot = form.cleaned_data["product"], form.cleaned_data["lot"]
    for row in rows:
        writer.writerow(
            [
                product.brand_name,
                lot,
                row.patient.full_name,
                row.patient.mrn,
                row.order.number,
                row.session_day.isoformat(),
                row.session.get_status_display(),
                row.vials,
                f"{row.vial_size_g.normalize():f}",
                f"{row.grams.normalize():f}",
                row.recorded_at.isoformat(timespec="minutes"),
                row.nurse,
            ]
        )
    return response


@require_POST
@policy_required(policies.can_look_up_lots)
def lot_recall_notify(request: HttpRequest) -> HttpResponse:
    form, rows = _looked_up(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a product and a lot number.")
        return redirect("infusions:lot-recall")
    made = notify_clinicians(form.cleaned_data["product"], form.cleaned_data["lot"], rows)
    messages.success(
        request,
        f"{count(made, 'notification')} sent to the clinicians of "
        f"{count(len({r.patient.pk for r in rows}), 'patient')}.",
    )
    query = f"product={form.cleaned_data['product'].slug}&lot={form.cleaned_data['lot']}"
    return redirect(f"{reverse('infusions:lot-recall')}?{query}")


class LotRowSerializer(serializers.Serializer):
    patient = serializers.IntegerField(source="patient.pk")
    patient_name = serializers.CharField(source="patient.full_name")
    mrn = serializers.CharField(source="patient.mrn")
    order = serializers.CharField(source="order.number")
    session = serializers.IntegerField(source="session.pk")
    session_day = serializers.DateField()
    session_status = serializers.CharField(source="session.status")
    vials = serializers.IntegerField()
    vial_size_g = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=True)
    grams = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=True)
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(source="nurse")


class LotRecallView(LogsPatientReadsMixin, APIView):
    """Every patient and session that received a lot of a product (pharmacists)."""

    permission_classes = [api_policy(policies.can_look_up_lots)]

    @extend_schema(
        parameters=[
            OpenApiParameter("product", str, description="The product's slug.", required=True),
            OpenApiParameter("lot", str, description="The lot number.", required=True),
        ],
        responses=LotRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        form, rows = _looked_up(request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            )
        access_records(request._request, [row.session for row in rows])
        return Response(LotRowSerializer(rows, many=True).data)
