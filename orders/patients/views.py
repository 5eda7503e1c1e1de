"""Patient pages: the list, the patient page (weights, orders, lab trends, history), registering
and changing a patient, recording a weight. Parse, call a service or selector, render (STYLE).

Every role reads patients; only clinicians register and change them (docs/clinical-rules.md 1).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import logs_patient_reads
from ivig.audit.services import access_record, access_records
from orders.errors import OrderError
from orders.forms import add_order_error
from orders.labs.policies import can_record_labs
from orders.labs.selectors import lab_trends
from orders.selectors import patient_orders

from . import policies, selectors, services
from .forms import PatientCreateForm, PatientEditForm, WeightForm
from .models import Patient, PatientWeight

PATIENTS_PER_PAGE = 50


@logs_patient_reads()
@policy_required(policies.can_read_patients)
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.patients_search(query), PATIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    access_records(request, page)
    today = timezone.localdate()
    return render(
        request,
        "orders/patient_list.html",
        {
            "query": query,
            "page": page,
            "rows": [(patient, patient.age_years(today)) for patient in page],
            "can_edit": policies.can_change_patients(request.user),
        },
    )


@logs_patient_reads("orders.patient")
@policy_required(policies.can_read_patients)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    access_record(request, patient)
    can_edit = policies.can_change_patients(request.user)
    return render(
        request,
        "orders/patient_detail.html",
        {
            "patient": patient,
            "age_years": patient.age_years(timezone.localdate()),
            "weights": selectors.patient_weights(patient),
            "orders": patient_orders(patient),
            "history": selectors.patient_history(patient),
            "can_edit": can_edit,
            "weight_form": WeightForm() if can_edit else None,
            "lab_trends": lab_trends(patient),
            "can_record_labs": can_record_labs(request.user),
        },
    )


@policy_required(policies.can_change_patients)
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(by=signed_in_user(request), **form.cleaned_data)
        except OrderError as error:
            add_order_error(form, error)
        else:
            messages.success(request, f"{patient.full_name} registered.")
            return redirect("orders:patient-detail", pk=patient.pk)
    return render(request, "orders/patient_form.html", {"form": form, "patient": None})


@logs_patient_reads("orders.patient")
@policy_required(policies.can_change_patients)
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    form = PatientEditForm(
        request.POST or None, instance=patient, initial={"version": patient.version}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        version = changes.pop("version")
        try:
            services.patient_update(patient, by=signed_in_user(request), version=version, **changes)
        except OrderError as error:
            add_order_error(form, error)
            status = 409 if error.is_conflict else 200
        else:
            messages.success(request, "Changes saved.")
            return redirect("orders:patient-detail", pk=patient.pk)
    return render(
        request, "orders/patient_form.html", {"form": form, "patient": patient}, status=status
    )


@policy_required(policies.can_change_patients)
def patient_weight_add(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    form = WeightForm(request.POST or None, instance=PatientWeight(patient=patient))
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_weight_record(
                patient,
                by=signed_in_user(request),
                weight_kg=form.cleaned_data["weight_kg"],
                measured_on=form.cleaned_data["measured_on"],
                confirm_unusual=form.cleaned_data["confirm_unusual"],
            )
        except OrderError as error:
            add_order_error(form, error)
        else:
            messages.success(request, "Weight recorded.")
            return redirect("orders:patient-detail", pk=patient.pk)
    return render(request, "orders/weight_form.html", {"form": form, "patient": patient})
