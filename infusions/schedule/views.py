"""The schedule and the patient's day at the chair (docs/clinical-rules.md 6): the day and week
grid of chairs, a session's page with its plan and record, and its forms (record an entry, give
a reason, move, cancel, confirm). Parse, call a service or selector, render (STYLE).

Nurses book and run infusions; clinicians, pharmacists and authorization admins see the
schedule and sessions read-only (docs/clinical-rules.md 1): every change answers them 403.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from infusions import policies
from infusions.administration import policies as session_reason_policies
from infusions.administration import services as administration
from infusions.administration import session_reasons
from infusions.administration.entries import entry_fields
from infusions.administration.forms import EntryForm, PremedicationGivenForm, SessionReasonForm
from infusions.administration.models import AdministrationEntry, EntryKind
from infusions.administration.premedication import (
    free_text_premedication_offered,
    premedication_given_record,
)
from infusions.administration.record import STATE_KINDS, InfusionState
from infusions.administration.start_coverage import order_coverage_once
from infusions.booking import services as booking
from infusions.booking.forms import (
    CancelForm,
    ConfirmForm,
    MoveForm,
)
from infusions.booking.models import InfusionSession, SessionStatus
from infusions.booking.session_plan import session_plan
from infusions.booking.views import to_book_context
from infusions.chairs.models import Chair
from infusions.chairs.selectors import with_hours
from infusions.errors import InfusionError, add_infusion_error
from infusions.schedule import layout, selectors
from infusions.schedule.uncovered_sessions import uncovered_session_ids
from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import logs_patient_reads
from ivig.audit.services import access_record, access_record_ids
from ivig.dates import parse_day as base_parse_day
from ivig.engine import Finding
from ivig.templatetags.links import pk_path
from orders.models import PremedicationLine


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Shown:
    """A session as the schedule draws it: its link, local clock times, status label and
    coverage badge worked out once in Python, not per use in the template."""

    session: selectors.ScheduledSession
    url: str
    starts: str  # "09:15", local time
    ends: str
    status_label: str
    not_covered: bool


def _shown(sessions: list[selectors.ScheduledSession]) -> dict[int, Shown]:
    uncovered = uncovered_session_ids(sessions)
    zone = timezone.get_current_timezone()  # looked up once, not four times a session
    return {
        session.pk: Shown(
            session,
            # Reversed once (a week draws a hundred sessions or more; a ``reverse`` each was a
            # tenth of the page's cost).
            pk_path("infusions:session-detail", session.pk),
            f"{session.planned_start.astimezone(zone):%H:%M}",
            f"{session.planned_end.astimezone(zone):%H:%M}",
            session.status_label,
            session.pk in uncovered,
        )
        for session in sessions
    }


# A week draws a hundred sessions or more: each cell's links are put together here, escaped as
# the template would escape them, not by a template loop per session (a quarter of the page).
_NOT_COVERED = mark_safe(' <mark class="not-covered" data-testid="not-covered">not covered</mark>')


def _week_cell(shown: dict[int, Shown], cell: list[int]) -> SafeString:
    """A week cell's sessions (their pks, in the cell's order) as the links the week draws,
    escaped by ``format_html_join``."""
    return format_html_join(
        "",
        '<a class="session status-{}" href="{}">{} {} <small>{}</small>{}</a>',
        (
            (
                s.session.status,
                s.url,
                s.starts,
                s.session.family_name,
                s.status_label,
                _NOT_COVERED if s.not_covered else "",
            )
            for s in (shown[pk] for pk in cell)
        ),
    )


@dataclass(frozen=True)
class Block:
    shown: Shown
    column: int  # CSS grid column (column 1 holds the chair's name)
    span: int


@dataclass(frozen=True)
class ChairRow:
    chair: Chair
    blocks: list[Block]


def _bookings(sessions: list[selectors.ScheduledSession]) -> list[layout.Booking]:
    return [
        layout.Booking(
            session.pk,
            session.chair_id,
            session.chair_name,
            session.planned_start,
            session.planned_end,
            holds_chair=session.status not in (SessionStatus.CANCELLED, SessionStatus.MISSED),
        )
        for session in sessions
    ]


def _timeline(
    day: date,
    chairs: list[Chair],
    sessions: list[selectors.ScheduledSession],
    shown: dict[int, Shown],
) -> tuple[list[tuple[str, int]], list[ChairRow], int]:
    """Hour labels (text, grid column), one row per chair and the number of 15-minute columns
    (``layout.day_grid``); cancelled and missed sessions are listed below the timeline, their
    chair time is free."""
    grid = layout.day_grid(
        day,
        [
            layout.ChairDay(
                chair.pk,
                [
                    (hours.opens_at, hours.closes_at)
                    for hours in chair.opening_hours.all()
                    if chair.active and hours.weekday == day.weekday()
                ],
            )
            for chair in chairs
        ],
        _bookings(sessions),
        timezone.get_current_timezone(),
    )
    chair_by_id = {chair.pk: chair for chair in chairs}  # every session's chair among them
    rows = [
        ChairRow(
            chair_by_id[lane.chair_id],
            [Block(shown[block.session_id], block.column, block.span) for block in lane.blocks],
        )
        for lane in grid.lanes
    ]
    return grid.hours, rows, grid.columns


# Chairs per schedule page: the page's chairs bound the sessions it draws, however many
# patients the centre has (a week draws seven days of each chair: fewer chairs a page).
CHAIRS_PER_PAGE = 10


CHAIRS_PER_WEEK_PAGE = 6


@logs_patient_reads()
@policy_required(policies.can_read_schedule)
def schedule(request: HttpRequest) -> HttpResponse:
    """The nurses' landing page: a day (chairs x hours and a list) or a week of sessions, for
    one page of chairs (``chairs_page``: ``CHAIRS_PER_PAGE`` a day, ``CHAIRS_PER_WEEK_PAGE`` a
    week)."""
    today = timezone.localdate()
    day = base_parse_day(request.GET.get("date"), field="date", malformed_is_blank=True) or today
    week = request.GET.get("view") == "week"
    first = layout.week_of(day)[0] if week else day
    start, end = _midnight(first), _midnight(first + timedelta(days=7 if week else 1))
    per_page = CHAIRS_PER_WEEK_PAGE if week else CHAIRS_PER_PAGE
    chairs_page = Paginator(selectors.schedule_chairs(start, end), per_page).get_page(
        request.GET.get("chairs_page")
    )
    chairs = list(chairs_page)
    if not week:  # the day's timeline draws opening hours; the week does not read them
        chairs = with_hours(chairs)
    sessions = selectors.schedule_sessions(start, end, chairs)
    shown = _shown(sessions)
    context: dict[str, Any] = {
        "day": day,
        "today": today,
        "week": week,
        "sessions": list(shown.values()),
        "chairs_page": chairs_page,
        # Kept by the day and week links: the same chairs on another day.
        "chairs_query": f"&chairs_page={chairs_page.number}" if chairs_page.number > 1 else "",
    }
    if week:
        grid = layout.week_grid(
            day,
            [chair.pk for chair in chairs],
            _bookings(sessions),
            timezone.get_current_timezone(),
        )
        chair_by_id = {chair.pk: chair for chair in chairs}
        context |= {
            "days": grid.days,
            "week_rows": [
                (chair_by_id[lane.chair_id], [_week_cell(shown, cell) for cell in lane.cells])
                for lane in grid.lanes
            ],
            "previous": first - timedelta(days=7),
            "next": first + timedelta(days=7),
        }
    else:
        hours, rows, columns = _timeline(day, chairs, sessions, shown)
        context |= {
            "hours": hours,
            "rows": rows,
            "columns": columns,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        }
    can_book = policies.can_book(request.user)
    context |= {"can_book": can_book, "to_book": []}
    if can_book:
        context |= to_book_context(request, today)
    # The page names patients: their ids join the request's one read-log row.
    access_record_ids(
        request,
        "orders.patient",
        [s.patient_id for s in sessions] + [row.order.patient_id for row in context["to_book"]],
    )
    return render(request, "infusions/schedule.html", context)


ENTRY_TITLES = {
    EntryKind.PREMEDICATION_GIVEN: "Premedication given",
    EntryKind.IV_ACCESS: "IV access",
    EntryKind.LOT_RECORDED: "Lot number and vials",
    EntryKind.VITAL_SIGNS: "Vital signs",
    EntryKind.STARTED: "Start the infusion",
    EntryKind.RATE_CHANGED: "Change the rate",
    EntryKind.ADVERSE_EVENT: "Adverse event: stop the infusion",
    EntryKind.RESTARTED: "Restart the infusion",
    EntryKind.COMPLETED: "Complete the infusion",
    EntryKind.NOTE: "Note or correction",
}


def _kinds_now(session: InfusionSession, state: InfusionState) -> list[str]:
    """The entries that make sense at this point of the infusion (free-text premedication only
    for an order written before the lines: the lines are recorded one by one above)."""
    if session.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.MISSED):
        return []
    if not state.started:
        premedication = ["premedication_given"] if free_text_premedication_offered(session) else []
        return [*premedication, "iv_access", "lot_recorded", "vital_signs", "started", "note"]
    if state.stopped:
        return ["vital_signs", "restarted", "completed", "note"]
    return [
        "rate_changed",
        "vital_signs",
        "adverse_event",
        "completed",
        "lot_recorded",
        "iv_access",
        "note",
    ]


@dataclass(frozen=True)
class EntryFormView:
    kind: str
    title: str
    fields_html: SafeString  # the form's fields, as ``infusions/_entry_fields.html`` draws them
    bound: bool  # the posted form, refused: opened, with its messages


def _entry_field_names(kind: str) -> list[str]:
    names = ["occurred_at", *entry_fields(kind)]
    if kind not in STATE_KINDS:
        names.append("correction_of")
    return names


def _entry_fields_html(form: EntryForm, kind: str) -> SafeString:
    return render_to_string(
        "infusions/_entry_fields.html",
        {"form": form, "fields": [form[name] for name in _entry_field_names(kind)]},
    )


@lru_cache(maxsize=256)
def _blank_entry_fields_html(kind: str, start_rate: int | None) -> SafeString:
    """A blank entry form's fields (the start's rate filled in with the plan's first rate):
    the same for every session and request, so drawn once per process. A page offers five to
    seven of these forms; building and drawing them each time, field by field, was about a
    tenth of the session page (~5 ms)."""
    initial: dict[str, Any] = {"kind": kind}
    if kind == EntryKind.STARTED and start_rate is not None:
        initial["rate_ml_per_h"] = start_rate
    return _entry_fields_html(EntryForm(initial=initial, auto_id=f"id_{kind}_%s"), kind)


def _entry_forms(
    kinds: list[str], bound: EntryForm | None, start_rate: int | None
) -> list[EntryFormView]:
    views = []
    for kind in kinds:
        refused = bound is not None and bound.data.get("kind") == kind
        html = (
            _entry_fields_html(bound, kind)
            if refused and bound is not None
            else _blank_entry_fields_html(kind, start_rate)
        )
        views.append(EntryFormView(kind, ENTRY_TITLES[EntryKind(kind)], html, refused))
    return views


def _plan_at_clock_times(
    session: InfusionSession, entries: list[AdministrationEntry]
) -> tuple[selectors.SessionPlan | None, str | None]:
    """The session's plan at clock times, or the message that says why there is none."""
    try:
        return selectors.session_plan_at_clock_times(session, entries), None
    except InfusionError as error:
        return None, error.message


def _change_forms(
    session: InfusionSession,
    can_act: bool,
    move_form: MoveForm | None,
    cancel_form: CancelForm | None,
) -> dict[str, Any]:
    """The move and cancel forms of a session not yet started and the confirm form of a
    tentative one, for those who may act (``move_form``, ``cancel_form`` bound in their place)."""
    changeable = can_act and session.status in (SessionStatus.TENTATIVE, SessionStatus.BOOKED)
    initial_start = timezone.localtime(session.planned_start).replace(tzinfo=None)
    return {
        "move_form": (
            move_form
            or MoveForm(
                initial={
                    "chair": session.chair,
                    "start": initial_start,
                    "version": session.version,
                }
            )
        )
        if changeable
        else None,
        "cancel_form": (cancel_form or CancelForm(initial={"version": session.version}))
        if changeable
        else None,
        "confirm_form": ConfirmForm(initial={"version": session.version})
        if can_act and session.status == SessionStatus.TENTATIVE
        else None,
    }


def _reasons_refused(
    reason_form: SessionReasonForm | None,
    reason_forms: list[tuple[Finding, SessionReasonForm]],
) -> list[Any]:
    """A refused reason whose finding has no form (a stop, a code not raised now) shows above."""
    if reason_form is None or any(form is reason_form for _, form in reason_forms):
        return []
    return [message for messages in reason_form.errors.values() for message in messages]


def _render_session(
    request: HttpRequest,
    session: InfusionSession,
    *,
    bound_entry: EntryForm | None = None,
    move_form: MoveForm | None = None,
    cancel_form: CancelForm | None = None,
    reason_form: SessionReasonForm | None = None,
    premedication_form: PremedicationGivenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    entries = selectors.session_entries(session)
    can_act = policies.can_record(request.user)
    plan, plan_error = _plan_at_clock_times(session, entries)
    state = plan.state if plan else InfusionState()
    reason_forms = _reason_forms(request, session, reason_form) if plan else []
    return render(
        request,
        "infusions/session_detail.html",
        {
            "session": session,
            "order": session.order,
            "patient": session.order.patient,
            "plan": plan,
            "plan_error": plan_error,
            "entries": entries,
            "corrected_ids": {e.correction_of_id for e in entries if e.correction_of_id},
            "can_act": can_act,
            "blockers": administration.session_start_blockers(session) if not state.started else [],
            "entry_forms": _entry_forms(
                _kinds_now(session, state), bound_entry, plan.first_rate_ml_per_h
            )
            if can_act and plan
            else [],
            **_change_forms(session, can_act, move_form, cancel_form),
            "reason_forms": reason_forms,
            "reason_refused": _reasons_refused(reason_form, reason_forms),
            "premedication_form": premedication_form,
            # The coverage panel reads what the start's blockers read (once per request).
            "coverage": order_coverage_once(session.order),
        },
        status=status,
    )


def _reason_forms(
    request: HttpRequest, session: InfusionSession, bound: SessionReasonForm | None
) -> list[tuple[Finding, SessionReasonForm]]:
    """A form per finding a clinician's reason for this session would answer now
    (docs/clinical-rules.md 3.8.2), for those who may give one; ``bound`` in its place."""
    if not session_reason_policies.can_give_session_reason(request.user, session):
        return []
    try:
        answerable = session_reasons.answerable_findings(session_plan(session))
    except InfusionError:
        return []
    return [
        (
            finding,
            bound
            if bound is not None and bound.data.get("code") == finding.code
            else SessionReasonForm(initial={"code": finding.code}),
        )
        for finding in answerable
    ]


def _session(pk: int) -> InfusionSession:
    """The session with its order, patient, product, indication and chair, and the order's
    premedication lines with their drugs: read once for the plan, the order's premedication and
    the record of what was given (each read them again before)."""
    return get_object_or_404(
        InfusionSession.objects.select_related(
            "order__patient", "order__product", "order__indication", "chair"
        ).prefetch_related(
            Prefetch(
                "order__premedication_lines",
                queryset=PremedicationLine.objects.select_related("drug"),
            )
        ),
        pk=pk,
    )


@logs_patient_reads("infusions.infusionsession")
@policy_required(policies.can_read_schedule)
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A session's plan at clock times, its watch list and its administration record."""
    session = _session(pk)
    access_record(request, session)
    return _render_session(request, session)


@policy_required(policies.can_record)
@require_POST
def session_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Append one entry to the record (docs/clinical-rules.md 6: entries are appended, never
    changed)."""
    session = _session(pk)
    form = EntryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        entry = data["entry"]
        try:
            administration.administration_record(
                session,
                entry,
                by=signed_in_user(request),
                occurred_at=data["occurred_at"] or timezone.now(),
                correction_of=administration.entry_to_correct(session, data["correction_of"]),
            )
        except InfusionError as error:
            add_infusion_error(form, error)
            session.refresh_from_db()
            return _render_session(
                request, session, bound_entry=form, status=409 if error.is_conflict else 200
            )
        messages.success(request, f"{EntryKind(entry.kind).label} recorded.")
        return redirect(reverse("infusions:session-detail", args=[session.pk]) + "#record")
    return _render_session(request, session, bound_entry=form)


@policy_required(policies.can_record)
@require_POST
def session_premedication(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a premedication line of the session's order as given or not given
    (docs/clinical-rules.md 3.5, 6)."""
    session = _session(pk)
    form = PremedicationGivenForm(request.POST)
    if form.is_valid():
        try:
            premedication_given_record(
                session, by=signed_in_user(request), **form.service_arguments()
            )
        except InfusionError as error:
            add_infusion_error(form, error)
        else:
            messages.success(request, "Premedication recorded.")
            return redirect(
                reverse("infusions:session-detail", args=[session.pk]) + "#premedication"
            )
    session.refresh_from_db()
    return _render_session(request, session, premedication_form=form, status=400)


def _session_change(
    request: HttpRequest, pk: int, form_class: type[MoveForm] | type[CancelForm], done: str
) -> HttpResponse:
    """Move or cancel (``form_class`` says which) through the service; refusals on the form."""
    session = _session(pk)
    form = form_class(request.POST)

    def page(status: int = 200) -> HttpResponse:
        if isinstance(form, MoveForm):
            return _render_session(request, session, move_form=form, status=status)
        return _render_session(request, session, cancel_form=form, status=status)

    if not form.is_valid():
        return page()
    try:
        if isinstance(form, MoveForm):
            booking.session_move(session, by=signed_in_user(request), **form.cleaned_data)
        else:
            booking.session_cancel(session, by=signed_in_user(request), **form.cleaned_data)
    except InfusionError as error:
        add_infusion_error(form, error)
        return page(409 if error.is_conflict else 200)
    messages.success(request, done)
    return redirect("infusions:session-detail", pk=session.pk)


@policy_required(session_reason_policies.can_give_session_reason)
@require_POST
def session_reason(request: HttpRequest, pk: int) -> HttpResponse:
    """A clinician's reason to go ahead with a session-only finding on this session
    (docs/clinical-rules.md 3.8.2, 3.9): the start is no longer refused for it."""
    session = _session(pk)
    form = SessionReasonForm(request.POST)
    if not form.is_valid():
        return _render_session(request, session, reason_form=form, status=400)
    try:
        session_reasons.session_override_record(
            session, by=signed_in_user(request), **form.cleaned_data
        )
    except InfusionError as error:
        add_infusion_error(form, error)
        return _render_session(
            request, session, reason_form=form, status=409 if error.is_conflict else 400
        )
    messages.success(request, f"Reason given for {form.cleaned_data['code']}.")
    return redirect("infusions:session-detail", pk=session.pk)


@policy_required(policies.can_book)
@require_POST
def session_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a session that has not started, with a reason (docs/clinical-rules.md 6)."""
    return _session_change(request, pk, MoveForm, "Session moved.")


@policy_required(policies.can_book)
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a session that has not started, with a reason (docs/clinical-rules.md 6)."""
    return _session_change(request, pk, CancelForm, "Session cancelled.")


@policy_required(policies.can_book)
@require_POST
def session_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a tentative session: it becomes booked (docs/clinical-rules.md 6, 7)."""
    session = _session(pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the session and confirm it again.")
        return redirect("infusions:session-detail", pk=session.pk)
    try:
        booking.session_confirm(
            session, by=signed_in_user(request), version=form.cleaned_data["version"]
        )
    except InfusionError as error:
        session.refresh_from_db()
        messages.error(request, error.message)
        return _render_session(request, session, status=409 if error.is_conflict else 200)
    messages.success(request, "Session confirmed: booked.")
    return redirect("infusions:session-detail", pk=session.pk)
