"""The reaction plan page (docs/clinical-rules.md 3.8.3): a clinician records what later
sessions do after an infusion reaction."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.errors import add_to_form

from . import policies
from .errors import InfusionError
from .models import AdministrationEntry, EntryKind
from .reaction_models import REACTION_PLAN_MAX_RATE_ML_PER_H
from .reactions import reaction_of, reaction_plan_record


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


@policy_required(policies.can_plan_reaction)
def reaction_plan(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = get_object_or_404(
        AdministrationEntry.objects.select_related("session__order__patient"),
        pk=entry_pk,
        kind=EntryKind.ADVERSE_EVENT,
    )
    form = ReactionPlanForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            reaction_plan_record(entry, by=signed_in_user(request), **form.cleaned_data)
        except InfusionError as error:
            add_to_form(form, error)
            status = 409 if error.is_conflict else 400
        else:
            messages.success(request, "Reaction plan recorded.")
            return redirect("infusions:session-detail", pk=entry.session_id)
    return render(
        request,
        "infusions/reaction_plan.html",
        {
            "form": form,
            "reaction": reaction_of(entry),
            "patient": entry.session.order.patient,
        },
        status=status,
    )
