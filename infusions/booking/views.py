"""Booking a cycle (docs/clinical-rules.md 6): the cycles to book, proposed slots, confirming
them. Parse, call a service or selector, render (STYLE)."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from infusions import policies
from infusions.booking import selectors
from infusions.booking import services as booking
from infusions.booking.forms import BookingForm, ProposalForm, day_slot_formset, parse_day
from infusions.booking.services import Slot
from infusions.errors import InfusionError
from infusions.planning import policies as planning_policies
from infusions.planning import selectors as planning_selectors
from infusions.planning.ranking import NewSession
from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import logs_patient_reads
from ivig.templatetags.clinical import count
from orders.models import Order

TO_BOOK_PER_PAGE = 25


def to_book_context(request: HttpRequest, today: date) -> dict[str, Any]:
    """*Cycles to book*: due within the chosen window (``window`` days, default 14), the
    soonest first, one page (``to_book_page``) at a time."""
    window = request.GET.get("window", "")
    days = int(window) if window.isdigit() else selectors.TO_BOOK_WINDOW_DAYS
    if days not in selectors.TO_BOOK_WINDOWS:
        days = selectors.TO_BOOK_WINDOW_DAYS
    page = Paginator(selectors.cycles_to_book(today, days), TO_BOOK_PER_PAGE).get_page(
        request.GET.get("to_book_page")
    )
    return {
        "to_book": selectors.to_book_rows(page),
        "to_book_page": page,
        "to_book_window": days,
        "to_book_windows": selectors.TO_BOOK_WINDOWS,
    }


@dataclass
class _BookStep:
    """What the booking page shows after a GET (the proposal) or a refused POST."""

    formset: Any
    slots: list[Slot] = field(default_factory=list)
    proposal: booking.Proposal | None = None
    error: str | None = None


def _posted_slots(formset: Any) -> list[Slot]:
    return [
        Slot(
            number,
            form.cleaned_data["chair"],
            timezone.make_aware(
                datetime.combine(form.cleaned_data["day"], form.cleaned_data["start_time"])
            ),
        )
        for number, form in enumerate(formset.forms, 1)
    ]


def _confirm_posted(
    request: HttpRequest, order: Order, cycle: int, booking_form: BookingForm
) -> _BookStep | HttpResponse:
    """The posted days booked (a redirect to the schedule), or the page's step with the refusal."""
    formset = day_slot_formset(order.days_per_cycle, request.POST)
    if not (formset.is_valid() and booking_form.is_valid()):
        return _BookStep(formset, error="Check each day's chair and start time.")
    slots = _posted_slots(formset)
    try:
        sessions = booking.booking_confirm(
            order,
            cycle,
            slots,
            signed_in_user(request),
            tentative=booking_form.cleaned_data["tentative"],
        )
    except InfusionError as refusal:
        return _BookStep(formset, slots, error=refusal.message)
    messages.success(
        request,
        f"Cycle {cycle} of order {order.number} booked: {count(len(sessions), 'day')}.",
    )
    first_day = timezone.localtime(sessions[0].planned_start).date()
    return redirect(f"{reverse('infusions:schedule')}?date={first_day.isoformat()}")


def _propose(order: Order, cycle: int, requested: Any, chosen_chair: Any) -> _BookStep:
    """The proposal (docs/clinical-rules.md 6) as the days' initial chairs and times, or the
    refusal."""
    slots: list[Slot] = []
    proposal: booking.Proposal | None = None
    error: str | None = None
    try:
        proposal = booking.booking_proposal(order, cycle, requested, chosen_chair)
        slots = proposal.slots
    except InfusionError as refusal:
        error = refusal.message
    formset = day_slot_formset(
        order.days_per_cycle,
        initial=[
            {
                "day": slot.day,
                "chair": slot.chair,
                "start_time": timezone.localtime(slot.start).time(),
            }
            for slot in slots
        ],
    )
    return _BookStep(formset, slots, proposal, error)


def _day_rows(formset: Any, slots: list[Slot]) -> list[tuple[Any, date | None, datetime | None]]:
    """Each day's form with its day and the slot's end (where proposed)."""
    ends = [timezone.localtime(slot.end) if slot.end else None for slot in slots]
    return [
        (form, _as_date(form["day"].value()), ends[index] if index < len(ends) else None)
        for index, form in enumerate(formset.forms)
    ]


def _requested(proposal_form: ProposalForm) -> tuple[Any, Any]:
    """The day and chair asked for in the query, each None when not given or not valid."""
    requested = proposal_form.cleaned_data.get("date") if proposal_form.is_valid() else None
    chosen_chair = proposal_form.cleaned_data.get("chair") if proposal_form.is_valid() else None
    return requested, chosen_chair


@logs_patient_reads("orders.order", kwarg="order_pk")
@policy_required(policies.can_book)
def book(request: HttpRequest, order_pk: int, cycle: int) -> HttpResponse:
    """Book a cycle: the proposal (docs/clinical-rules.md 6), accepted as is or with another chair
    or start time on any day."""
    order = get_object_or_404(Order.objects.select_related("patient", "product"), pk=order_pk)
    proposal_form = ProposalForm(request.GET or None)
    requested, chosen_chair = _requested(proposal_form)
    booking_form = BookingForm(request.POST or None)
    if request.method == "POST":
        step = _confirm_posted(request, order, cycle, booking_form)
        if isinstance(step, HttpResponse):
            return step
    else:
        step = _propose(order, cycle, requested, chosen_chair)
    proposal = step.proposal
    load: dict[str, Any] = {}
    if proposal is not None and proposal.over_ratio_day and proposal.session is not None:
        load = _load_with(proposal, proposal.over_ratio_day, proposal.session)
    return render(
        request,
        "infusions/book.html",
        {
            "order": order,
            "cycle": cycle,
            "proposal_form": proposal_form,
            "formset": step.formset if step.slots or request.method == "POST" else None,
            "rows": _day_rows(step.formset, step.slots),
            "booking_form": booking_form,
            "error": step.error,
            "proposal": proposal,
            **load,
            "can_keep_patient_times": planning_policies.can_keep_patient_times(request.user),
        },
    )


def _load_with(proposal: booking.Proposal, day: date, session: NewSession) -> dict[str, Any]:
    """The schedule's nurse-load panel for ``day`` with the proposed session counted
    (docs/planner.md): its warning names the hours the booking would break the ratio in."""
    (slot,) = [slot for slot in proposal.slots if slot.day == day]
    start = timezone.localtime(slot.start)
    begin = start.hour * 60 + start.minute
    titration = begin + session.titration_offset_min
    hours, policy = planning_selectors.nurse_load(
        day,
        adding=[
            (begin, begin + session.duration_min, titration, titration + session.titration_min)
        ],
    )
    return {
        "day": day,
        "hours": hours,
        "policy": policy,
        "over": [hour for hour in hours if hour.over_ratio],
    }


def _as_date(value: Any) -> date | None:
    return value if isinstance(value, date) else parse_day(value)
