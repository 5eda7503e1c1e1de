"""The reaction plan page (docs/clinical-rules.md 3.8.3): a clinician records what later
sessions do after an infusion reaction, or revises that plan (a new version)."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from infusions import policies
from infusions.administration.models import AdministrationEntry, EntryKind
from infusions.errors import InfusionError
from infusions.reactions.models import REACTION_PLAN_MAX_RATE_ML_PER_H, ReactionPlan
from infusions.reactions.selectors import reaction_of
from infusions.reactions.services import (
    booking_overruns,
    first_step_rate,
    plan_versions,
    reaction_plan_record,
    reaction_plan_revise,
)
from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.errors import add_to_form


class ReactionPlanForm(forms.Form):
    max_rate_ml_per_h = forms.IntegerField(
        label="Lower maximum rate (mL/h)",
        required=False,
        min_value=1,
        max_value=REACTION_PLAN_MAX_RATE_ML_PER_H,
    )
    added_premedication = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example hydrocortisone 100 mg IV 30 minutes before the start.",
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to continue unchanged.",
    )
    bookings_to_move = forms.BooleanField(
        label="The booking will be moved to give the longer infusion its chair time",
        required=False,
        help_text="Only when a booked session no longer fits its booking: its page warns the "
        "nurse until the booking is moved.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _initial(plan: ReactionPlan | None) -> dict[str, object] | None:
    if plan is None:
        return None
    return {
        "max_rate_ml_per_h": plan.max_rate_ml_per_h,
        "added_premedication": plan.added_premedication,
        "reason": plan.reason,
        "version": plan.version,
    }


@policy_required(policies.can_plan_reaction)
def reaction_plan(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = get_object_or_404(
        AdministrationEntry.objects.select_related("session__order__patient"),
        pk=entry_pk,
        kind=EntryKind.ADVERSE_EVENT,
    )
    plan = ReactionPlan.objects.filter(reaction=entry).first()
    if request.method == "POST":
        form = ReactionPlanForm(request.POST)
    else:
        form = ReactionPlanForm(initial=_initial(plan))
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
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
    elif request.method == "POST":
        status = 400
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
