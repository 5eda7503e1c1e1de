"""The pharmacists' lot recall look-up (issue 23): a page, its CSV and the button that notifies
each patient's clinicians; the same through the API in ``infusions.administration.api``."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from infusions import policies
from infusions.administration.forms import lots_looked_up
from infusions.administration.lot_recall import notify_clinicians
from ivig.accounts.permissions import policy_required
from ivig.audit.reads import logs_patient_reads
from ivig.audit.services import access_records
from ivig.csv_export import SafeCsvWriter
from ivig.templatetags.clinical import count


@logs_patient_reads()
@policy_required(policies.can_look_up_lots)
def lot_recall(request: HttpRequest) -> HttpResponse:
    form, rows = lots_looked_up(request.GET)
    access_records(request, [row.session for row in rows])
    return render(
        request,
        "infusions/lot_recall.html",
        {"form": form, "rows": rows, "query": request.GET.urlencode()},
    )


@logs_patient_reads()
@policy_required(policies.can_look_up_lots)
def lot_recall_csv(request: HttpRequest) -> HttpResponse:
    form, rows = lots_looked_up(request.GET)
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
    form, rows = lots_looked_up(request.POST)
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
