"""Laboratory result pages (docs/clinical-rules.md 3.8.2): record one result, import a lab
export. Parse, call ``orders.labs.services``, render."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import logs_patient_reads
from ivig.audit.services import access_record
from ivig.dates import LAB_TAKEN_ON, date_formfield
from ivig.errors import add_to_form
from orders.patients.models import Patient

from . import policies
from .background import lab_import_upload
from .models import LabImport, LabTest
from .selectors import lab_import_of
from .services import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    ImportReport,
    LabError,
    lab_result_record,
)


class LabResultForm(forms.Form):
    test = forms.ModelChoiceField(queryset=LabTest.objects.all(), empty_label=None)
    taken_on = date_formfield(LAB_TAKEN_ON, label="Taken on", initial=timezone.localdate)
    value = forms.CharField(
        max_length=30,
        help_text="A number in the test's unit (\u201c<5\u201d below the detection limit), "
        "positive/negative, or a blood group such as A+.",
    )
    below_detection_limit = forms.BooleanField(required=False)


class LabImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV with the columns mrn, loinc, taken_on, value, unit: at most "
        f"{IMPORT_MAX_ROWS:,} rows and {IMPORT_MAX_BYTES // 1_000_000} MB."
    )


@logs_patient_reads("orders.patient")
@policy_required(policies.can_record_labs)
def patient_lab_add(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    form = LabResultForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, created = lab_result_record(
                patient,
                by=signed_in_user(request),
                test=form.cleaned_data["test"],
                taken_on=form.cleaned_data["taken_on"],
                value=form.cleaned_data["value"],
                below_detection_limit=form.cleaned_data["below_detection_limit"],
            )
        except LabError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request, "Result recorded." if created else "That result was already recorded."
            )
            return redirect("orders:patient-detail", pk=patient.pk)
    return render(request, "orders/lab_form.html", {"form": form, "patient": patient})


@logs_patient_reads()
@policy_required(policies.can_record_labs)
def lab_import(request: HttpRequest) -> HttpResponse:
    form = LabImportForm(request.POST or None, request.FILES or None)
    report: ImportReport | None = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = lab_import_upload(form.cleaned_data["file"], by=signed_in_user(request))
            if isinstance(result, LabImport):
                return redirect("orders:lab-import-detail", pk=result.pk)
            report = result
        except LabError as error:
            add_to_form(form, error)
            status = 400
        else:
            if report.accepted:
                messages.success(
                    request,
                    f"{report.imported} results imported, {report.duplicates} duplicates ignored.",
                )
            else:
                status = 400
    return render(
        request,
        "orders/lab_import.html",
        {
            "form": form,
            "report": report,
            "max_rows": f"{IMPORT_MAX_ROWS:,}",
            "max_mb": IMPORT_MAX_BYTES // 1_000_000,
            "background_rows": f"{settings.LAB_IMPORT_BACKGROUND_ROWS:,}",
        },
        status=status,
    )


@logs_patient_reads()
@policy_required(policies.can_record_labs)
def lab_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A background import: its progress, then its report."""
    lab_import = lab_import_of(pk)
    access_record(request, lab_import)
    return render(request, "orders/lab_import_detail.html", {"lab_import": lab_import})


@logs_patient_reads()
@policy_required(policies.can_record_labs)
def lab_import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the import's page polls (htmx) until the import has ended."""
    lab_import = lab_import_of(pk)
    access_record(request, lab_import)
    return render(request, "orders/_lab_import_progress.html", {"lab_import": lab_import})
