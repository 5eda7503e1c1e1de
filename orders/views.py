"""Order and patient pages: parse, call a service or selector, render (STYLE).

Every role reads patients; only clinicians register and change them (DESIGN 1).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ivig.accounts.models import User
from ivig.accounts.permissions import ALL_ROLES, role_required
from ivig.accounts.roles import Role, has_role
from ivig.audit.services import access_record

from . import selectors, services
from .errors import OrderError
from .forms import PatientCreateForm, PatientEditForm, WeightForm, add_order_error
from .models import Patient, PatientWeight

PATIENTS_PER_PAGE = 50


def signed_in_user(request: HttpRequest) -> User:
    """The acting user of a request that passed a role check (so never anonymous)."""
    assert isinstance(request.user, User)
    return request.user


@role_required(Role.CLINICIAN)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/home.html")


@role_required(Role.PHARMACIST)
def verification_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/verification_queue.html")


@role_required(Role.AUTHORIZATION_ADMIN)
def authorizations(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/authorizations.html")


@role_required(*ALL_ROLES)
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.patients_search(query), PATIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    return render(
        request,
        "orders/patient_list.html",
        {
            "query": query,
            "page": page,
            "rows": [(patient, patient.age_years(today)) for patient in page],
            "can_edit": has_role(request.user, Role.CLINICIAN),
        },
    )


@role_required(*ALL_ROLES)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    access_record(request, patient)
    can_edit = has_role(request.user, Role.CLINICIAN)
    return render(
        request,
        "orders/patient_detail.html",
        {
            "patient": patient,
            "age_years": patient.age_years(timezone.localdate()),
            "weights": selectors.patient_weights(patient),
            "history": selectors.patient_history(patient),
            "can_edit": can_edit,
            "weight_form": WeightForm() if can_edit else None,
        },
    )


@role_required(Role.CLINICIAN)
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


@role_required(Role.CLINICIAN)
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


@role_required(Role.CLINICIAN)
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
            )
        except OrderError as error:
            add_order_error(form, error)
        else:
            messages.success(request, "Weight recorded.")
            return redirect("orders:patient-detail", pk=patient.pk)
    return render(request, "orders/weight_form.html", {"form": form, "patient": patient})
