"""The stewardship report page and its CSV (docs/clinical-rules.md 10.5): pharmacists only.
Thin: parse the period, call the selectors, render."""

from datetime import date, timedelta

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ivig.accounts.permissions import policy_required
from ivig.csv_export import SafeCsvWriter
from ivig.dates import REPORT, date_formfield

from . import rollup, stewardship
from .policies import can_read_stewardship

ROWS_PER_PAGE = 100
# The CSV is bounded too: a longer period is split by the pharmacist.
CSV_MAX_ROWS = 10_000
MAX_PERIOD_DAYS = 3 * 366


class PeriodForm(forms.Form):
    date_from = date_formfield(REPORT, label="Date from", required=False)
    date_to = date_formfield(REPORT, label="Date to", required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        today = timezone.localdate()
        last = data.get("date_to") or today
        first = data.get("date_from") or (last.replace(day=1) - timedelta(days=335)).replace(day=1)
        if first > last:
            raise forms.ValidationError("The period starts after it ends.")
        if (last - first).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError("Choose a period of at most three years.")
        data["date_from"], data["date_to"] = first, last
        return data


def _period(request: HttpRequest) -> tuple[PeriodForm, date, date]:
    form = PeriodForm(request.GET or None)
    if form.is_valid():
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    fallback = PeriodForm({})
    fallback.is_valid()
    return form, fallback.cleaned_data["date_from"], fallback.cleaned_data["date_to"]


@policy_required(can_read_stewardship)
def stewardship_report(request: HttpRequest) -> HttpResponse:
    form, first, last = _period(request)
    status = 400 if form.is_bound and not form.is_valid() else 200
    period = rollup.period_days(first, last)
    page = Paginator(rollup.grams_rows(first, last, period), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reports/stewardship.html",
        {
            "form": form,
            "first": first,
            "last": last,
            "page": page,
            "savings": rollup.savings(first, last, period),
            "reviews": stewardship.reviews_done(first, last),
            "urgent_starts": list(stewardship.urgent_starts(first, last)[:ROWS_PER_PAGE]),
            "query": f"date_from={first.isoformat()}&date_to={last.isoformat()}",
        },
        status=status,
    )


@policy_required(can_read_stewardship)
def stewardship_csv(request: HttpRequest) -> HttpResponse:
    form, first, last = _period(request)
    if form.is_bound and not form.is_valid():
        problems = [str(message) for messages in form.errors.values() for message in messages]
        return HttpResponse(
            " ".join(problems), status=400, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ivig-stewardship-{first.isoformat()}-{last.isoformat()}.csv"'
    )
    writer = SafeCsvWriter(response)
    writer.writerow(["month", "indication", "product", "prescriber", "sessions", "grams"])
    for row in rollup.grams_rows(first, last)[:CSV_MAX_ROWS]:
        writer.writerow(
            [
                row["month"].strftime("%Y-%m"),  # TruncMonth in the unit's time zone
                row["order__indication__name"],
                row["order__product__brand_name"],
                row["order__signed_by__username"] or "",
                row["sessions"],
                f"{row['grams'].normalize():f}",  # no trailing zeros
            ]
        )
    return response
