"""The reaction plan page (docs/clinical-rules.md 3.8.3): a clinician records what later
sessions do after an infusion reaction, or revises that plan (a new version). Added
premedication is entered line by line, as on the order form (3.5); a child's line above the
children's maximum asks for its reason (``dose_high_reason``, shown only then)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from formulary.selectors import current_policy
from infusions import policies
from infusions.administration.models import AdministrationEntry, EntryKind
from infusions.errors import InfusionError
from infusions.reactions.models import REACTION_PLAN_MAX_RATE_ML_PER_H, ReactionPlan
from infusions.reactions.selectors import reaction_of
from infusions.reactions.services import (
    DOSE_HIGH_FIELD,
    LINES_FIELD,
    booking_overruns,
    first_step_rate,
    plan_dose_high,
    plan_line_values,
    plan_versions,
    reaction_plan_record,
    reaction_plan_revise,
)
from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.errors import add_to_form
from orders.premedication.forms import PREFIX as LINES_PREFIX
from orders.premedication.forms import (
    BasePremedicationLines,
    initial_rows,
    lines_formset,
    rows_from_posted,
)


class ReactionPlanForm(forms.Form):
    max_rate_ml_per_h = forms.IntegerField(
        label="Lower maximum rate (mL/h)",
        required=False,
        min_value=1,
        max_value=REACTION_PLAN_MAX_RATE_ML_PER_H,
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to continue unchanged.",
    )
    dose_high_reason = forms.CharField(
        label="Reason for the dose above the child maximum",
        required=False,
        widget=forms.HiddenInput,  # shown when a line is above it (``ask_dose_high_reason``)
    )
    bookings_to_move = forms.BooleanField(
        label="The booking will be moved to give the longer infusion its chair time",
        required=False,
        help_text="Only when a booked session no longer fits its booking: its page warns the "
        "nurse until the booking is moved.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        initial: dict[str, object] | None = None,
        plan: ReactionPlan | None,
        line_rows: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        self.own_lines = plan_line_values(plan) if plan is not None else []
        self.written_before_lines = plan.added_premedication if plan is not None else ""
        # A post without the rows (a client that does not send them) leaves the lines as they
        # are, as the order form does.
        self.lines_posted = self.is_bound and f"{LINES_PREFIX}-TOTAL_FORMS" in self.data
        self.lines: BasePremedicationLines = lines_formset(
            data if self.lines_posted else None,
            initial=initial_rows(self.own_lines) if line_rows is None else line_rows,
            own_drug_ids=[line.drug.pk for line in self.own_lines],
            default_minutes=current_policy().premedication_lead_minutes,
        )

    def ask_dose_high_reason(self, message: str = "") -> None:
        """Show the reason's field (a child's line above the children's maximum), with the
        finding's message unless a refusal already shows it."""
        field = self.fields[DOSE_HIGH_FIELD]
        field.widget = forms.Textarea(attrs={"rows": 2, "data-testid": "dose-high-reason"})
        field.help_text = message

    def is_valid(self) -> bool:
        lines_valid = not self.lines_posted or self.lines.is_valid()
        return super().is_valid() and lines_valid

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version")
        lines = self.lines.line_values() if self.lines_posted else self.own_lines
        return {**data, LINES_FIELD: lines}


def _initial(plan: ReactionPlan | None) -> dict[str, object] | None:
    if plan is None:
        return None
    return {
        "max_rate_ml_per_h": plan.max_rate_ml_per_h,
        "reason": plan.reason,
        "dose_high_reason": plan.dose_high_reason,
        "version": plan.version,
    }


def _ask_dose_high_reason(
    form: ReactionPlanForm, entry: AdministrationEntry, plan: ReactionPlan | None
) -> None:
    """Show the reason's field when it is needed: a refusal asked for it (its message says
    why), a reason is typed, or the plan opened has lines above the children's maximum (the
    finding's message)."""
    refused = bool(form.errors.get(DOSE_HIGH_FIELD))
    # Read without a bound field: one made now would keep the help text from before.
    typed_value = (form.data if form.is_bound else form.initial).get(DOSE_HIGH_FIELD)
    typed = bool((typed_value or "").strip())
    message = ""
    if not refused and not form.is_bound and plan is not None:
        try:
            dose_high = plan_dose_high(entry, form.own_lines)
        except InfusionError:  # a child without a weight: saving says so
            dose_high = None
        message = dose_high.finding.message if dose_high is not None else ""
    if refused or typed or message:
        form.ask_dose_high_reason(message)


@policy_required(policies.can_plan_reaction)
def reaction_plan(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = get_object_or_404(
        AdministrationEntry.objects.select_related("session__order__patient"),
        pk=entry_pk,
        kind=EntryKind.ADVERSE_EVENT,
    )
    plan = ReactionPlan.objects.filter(reaction=entry).first()
    more_lines = request.method == "POST" and "more_lines" in request.POST
    if more_lines:  # the form as typed, with blank rows below the lines
        form = ReactionPlanForm(
            initial={name: request.POST.get(name) for name in ReactionPlanForm.base_fields},
            plan=plan,
            line_rows=rows_from_posted(request.POST),
        )
    elif request.method == "POST":
        form = ReactionPlanForm(request.POST, plan=plan)
    else:
        form = ReactionPlanForm(initial=_initial(plan), plan=plan)
    status = 200
    if request.method == "POST" and not more_lines and form.is_valid():
        version = form.cleaned_data["version"]
        data = form.service_arguments()
        try:
            if plan is None:
                reaction_plan_record(entry, by=signed_in_user(request), **data)
            else:
                reaction_plan_revise(plan, by=signed_in_user(request), version=version or 0, **data)
        except InfusionError as error:
            add_to_form(form, error)
            status = 409 if error.is_conflict else 400
        else:
            messages.success(
                request, "Reaction plan recorded." if plan is None else "Reaction plan revised."
            )
            return redirect("infusions:session-detail", pk=entry.session_id)
    elif request.method == "POST" and not more_lines:
        status = 400
    _ask_dose_high_reason(form, entry, plan)
    current_cap = plan.max_rate_ml_per_h if plan is not None else None
    return render(
        request,
        "infusions/reaction_plan.html",
        {
            "form": form,
            "reaction": reaction_of(entry),
            "patient": entry.session.order.patient,
            "plan": plan,
            "versions": plan_versions(plan) if plan is not None else [],
            "first_step_rate": first_step_rate(entry),
            "overruns": booking_overruns(entry, current_cap) if current_cap else [],
        },
        status=status,
    )
