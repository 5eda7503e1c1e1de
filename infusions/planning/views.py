"""The planner's pages (docs/planner.md): "Suggest a plan" for a day or week beside the current
schedule, accepting some or all of its moves, the nurses' load per hour on the schedule, and the
nurses on shift with the unit's ratios. Parse, check the policy, call a service or selector,
render (STYLE)."""

import re
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from infusions.schedule import layout
from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import logs_patient_reads
from ivig.audit.services import access_record_ids
from ivig.dates import parse_day
from orders.models import Patient

from ..common import hhmm, local
from ..errors import InfusionError, add_infusion_error
from . import policies, problem, selectors, services
from .forms import AcceptForm, PatientTimesForm, PolicyForm, ShiftForm, move_key
from .models import NurseShift, PatientPreference

MOVE_KEY = re.compile(r"^\d{1,10}\|\d{1,10}\|[0-9T:+\-.]{16,40}\|\d{1,10}$")


def _day_and_week(request: HttpRequest) -> tuple[Any, bool]:
    day = parse_day(request.GET.get("date"), field="date", malformed_is_blank=True)
    return day or timezone.localdate(), request.GET.get("view") == "week"


@logs_patient_reads()
@policy_required(policies.can_plan)
def suggest(request: HttpRequest) -> HttpResponse:
    """The planner's proposal for the day (or its week) beside the current schedule: every
    session's current and proposed chair and time, the moves highlighted and ticked, the
    measures of both, and the sessions it could not place with the reason."""
    day, week = _day_and_week(request)
    first, days = (layout.week_of(day)[0], 7) if week else (day, 1)
    suggestion = selectors.suggest(first, days)
    moves = {move.session.pk: move for move in suggestion.moves}
    reasons = {u.session_id: u.reason for u in suggestion.result.unplaced}
    # Only what changes is listed (the moves and the sessions not placed): the page's size is
    # bounded by the planner's work, not by the day's sessions; the rest stay where they are.
    rows: list[dict[str, Any]] = []
    for row in suggestion.context.rows.values():
        move = moves.get(row.pk)
        if move is None and row.pk not in reasons:
            continue
        rows.append(
            {
                "row": row,
                "now": f"{local(row.start):%a} {hhmm(row.start)} to {hhmm(row.end)}",
                "move": move,
                "to": (
                    f"{local(move.start):%a} {hhmm(move.start)} to {hhmm(move.end)}" if move else ""
                ),
                "key": move_key(row.pk, move.chair_id, move.start, row.version) if move else "",
                "reason": reasons.get(row.pk, ""),
            }
        )
    access_record_ids(request, "orders.patient", [item["row"].patient_id for item in rows])
    measures = [
        ("Sessions placed", "sessions_placed"),
        ("Overtime (minutes)", "overtime_min"),
        ("Chair use (%)", "chair_utilisation_pct"),
        ("Peak patients per nurse", "peak_patients_per_nurse"),
        ("Peak titrations per nurse", "peak_titrations_per_nurse"),
        ("Minutes over the nurse ratio", "minutes_over_ratio"),
        ("Patients' times and chairs changed", "preference_misses"),
        ("Cycle days off their chair or time", "continuity_breaks"),
    ]
    return render(
        request,
        "infusions/planning/suggest.html",
        {
            "day": day,
            "week": week,
            "first": first,
            "suggestion": suggestion,
            "rows": rows,
            "staying": len(suggestion.context.rows) - len(rows),
            "measures": [
                (
                    label,
                    getattr(suggestion.current, name),
                    getattr(suggestion.result.measures, name),
                )
                for label, name in measures
            ],
            "schedule_url": reverse("infusions:schedule")
            + f"?date={day:%Y-%m-%d}"
            + ("&view=week" if week else ""),
        },
    )


@policy_required(policies.can_plan)
@require_POST
def accept(request: HttpRequest) -> HttpResponse:
    """Accept the ticked moves: each through the booking service's move (``plan_accept``)."""
    day, week = _day_and_week(request)
    back = reverse("infusions:schedule") + f"?date={day:%Y-%m-%d}" + ("&view=week" if week else "")
    keys = [key for key in request.POST.getlist("moves") if MOVE_KEY.match(key)]
    form = AcceptForm(request.POST, keys=keys)
    if not form.is_valid():
        messages.error(request, "Tick the moves to make.")
        return redirect(back)
    try:
        outcomes = services.plan_accept(form.chosen(), by=signed_in_user(request))
    except InfusionError as error:
        messages.error(request, error.message)
        return redirect(back)
    made = sum(1 for outcome in outcomes if outcome.moved)
    if made:
        messages.success(request, f"{made} of {len(outcomes)} suggested moves made.")
    for outcome in outcomes:
        if not outcome.moved:
            messages.error(request, f"A move was not made: {outcome.message}")
    return redirect(back)


@policy_required(policies.can_see_nurse_load)
def nurse_load(request: HttpRequest) -> HttpResponse:
    """The nurses' load per hour of a day (loaded into the schedule): nurses on the ward,
    patients in chairs and in titration, and a warning where the unit's ratio is broken. No
    patient is named."""
    day, _ = _day_and_week(request)
    hours, policy = selectors.nurse_load(day)
    return render(
        request,
        "infusions/planning/_nurse_load.html",
        {
            "day": day,
            "hours": hours,
            "policy": policy,
            "over": [hour for hour in hours if hour.over_ratio],
            "can_keep_staffing": policies.can_keep_staffing(request.user),
        },
    )


@policy_required(policies.can_see_nurse_load)
def shifts(request: HttpRequest) -> HttpResponse:
    """Nurses on shift on a day and the unit's ratios; the nurse in charge records them."""
    day, _ = _day_and_week(request)
    can_keep = policies.can_keep_staffing(request.user)
    policy = problem.staffing_policy()
    shift_form = ShiftForm(initial={"day": day})
    policy_form = PolicyForm(
        initial={
            "patients_per_nurse": policy.patients_per_nurse,
            "titrations_per_nurse": policy.titrations_per_nurse,
        }
    )
    if request.method == "POST":
        if not can_keep:
            return HttpResponse(status=403)
        by = signed_in_user(request)
        if "patients_per_nurse" in request.POST:
            policy_form = PolicyForm(request.POST)
            if policy_form.is_valid():
                try:
                    services.policy_save(by=by, **policy_form.cleaned_data)
                except InfusionError as error:
                    add_infusion_error(policy_form, error)
                else:
                    messages.success(request, "The nurse ratios are saved.")
                    return redirect(f"{reverse('infusions:planner-shifts')}?date={day:%Y-%m-%d}")
        else:
            shift_form = ShiftForm(request.POST)
            if shift_form.is_valid():
                data = shift_form.cleaned_data
                breaks = (
                    [(data["break_starts_at"], data["break_ends_at"])]
                    if data.get("break_starts_at")
                    else []
                )
                try:
                    services.shift_save(
                        None,
                        by=by,
                        nurse=data["nurse"],
                        day=data["day"],
                        starts_at=data["starts_at"],
                        ends_at=data["ends_at"],
                        breaks=breaks,
                    )
                except InfusionError as error:
                    add_infusion_error(shift_form, error)
                else:
                    messages.success(request, "Shift recorded.")
                    return redirect(
                        f"{reverse('infusions:planner-shifts')}?date={data['day']:%Y-%m-%d}"
                    )
    return render(
        request,
        "infusions/planning/shifts.html",
        {
            "day": day,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
            "shifts": NurseShift.objects.filter(day=day)
            .select_related("nurse")
            .prefetch_related("breaks"),
            "shift_form": shift_form,
            "policy_form": policy_form,
            "can_keep": can_keep,
        },
    )


@policy_required(policies.can_keep_staffing)
@require_POST
def shift_remove(request: HttpRequest) -> HttpResponse:
    """Remove a shift (``shift`` in the form): the history keeps it."""
    shift_id = request.POST.get("shift", "")
    if not shift_id.isdigit() or len(shift_id) > 10:
        raise Http404("No such shift.")
    shift = get_object_or_404(NurseShift, pk=int(shift_id))
    day = shift.day
    services.shift_delete(shift, by=signed_in_user(request))
    messages.success(request, "Shift removed.")
    return redirect(f"{reverse('infusions:planner-shifts')}?date={day:%Y-%m-%d}")


@logs_patient_reads("orders.patient", kwarg="patient_pk")
@policy_required(policies.can_keep_patient_times)
def patient_times(request: HttpRequest, patient_pk: int) -> HttpResponse:
    """A patient's time window and preferred start and chair (docs/planner.md), kept by nurses:
    the planner's suggestions and the booking proposal honour the window and keep the
    preferences when they can. ``next``: the page to go back to (this site's only)."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    preference = PatientPreference.objects.filter(patient=patient).first()
    back = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    form = PatientTimesForm(
        request.POST or None,
        initial={
            "earliest_start": preference.earliest_start,
            "latest_end": preference.latest_end,
            "preferred_start_from": preference.preferred_start_from,
            "preferred_start_to": preference.preferred_start_to,
            "preferred_chair": preference.preferred_chair,
        }
        if preference
        else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_save(patient, by=signed_in_user(request), **form.cleaned_data)
        except InfusionError as error:
            add_infusion_error(form, error)
        else:
            messages.success(request, "The patient's time window and preferences are saved.")
            return redirect(back or reverse("infusions:planner-patient-times", args=[patient.pk]))
    return render(
        request,
        "infusions/planning/patient_times.html",
        {"patient": patient, "form": form, "back": back},
    )
