"""The premedication catalogue's pages (docs/clinical-rules.md 3.5): every role reads it,
pharmacists add and change drugs (``policies.can_change_premedication_catalogue``)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ivig.accounts.permissions import policy_required, signed_in_user

from .. import policies
from ..forms import show_service_error
from ..services import FormularyError
from . import selectors, services
from .forms import ActiveForm, PremedicationDrugForm
from .models import PremedicationDrug


@policy_required(policies.can_read_formulary)
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "formulary/premedication_list.html",
        {
            "drugs": selectors.premedication_drugs(),
            "can_edit": policies.can_change_premedication_catalogue(request.user),
            "history": selectors.catalogue_history(),
        },
    )


def _drug(slug: str) -> PremedicationDrug:
    return get_object_or_404(PremedicationDrug, slug=slug)


def _form_page(request: HttpRequest, drug: PremedicationDrug) -> HttpResponse:
    creating = drug.pk is None
    form = PremedicationDrugForm(request.POST if request.method == "POST" else None, instance=drug)
    if form.is_bound and form.is_valid():
        user = signed_in_user(request)
        try:
            if creating:
                saved = services.premedication_drug_create(
                    user=user, slug=form.cleaned_data["slug"], fields=form.drug_fields()
                )
            else:
                saved = services.premedication_drug_update(
                    user=user, drug=drug, fields=form.drug_fields()
                )
        except FormularyError as error:
            show_service_error(error, form)
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect("formulary:premedication")
    return render(
        request,
        "formulary/premedication_form.html",
        {"form": form, "drug": None if creating else drug, "active_form": ActiveForm()},
    )


@policy_required(policies.can_change_premedication_catalogue)
def drug_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, PremedicationDrug())


@policy_required(policies.can_change_premedication_catalogue)
def drug_edit(request: HttpRequest, slug: str) -> HttpResponse:
    return _form_page(request, _drug(slug))


@require_POST
@policy_required(policies.can_change_premedication_catalogue)
def drug_set_active(request: HttpRequest, slug: str) -> HttpResponse:
    drug = _drug(slug)
    form = ActiveForm(request.POST)
    if form.is_valid():
        try:
            services.premedication_drug_set_active(
                user=signed_in_user(request),
                drug=drug,
                active=not drug.active,
                reason=form.cleaned_data["reason"],
            )
        except FormularyError as error:
            show_service_error(error, form)
        else:
            state = "back in" if not drug.active else "taken out of"
            messages.success(request, f"{drug.name} {state} the catalogue.")
            return redirect("formulary:premedication")
    return render(
        request,
        "formulary/premedication_form.html",
        {"form": PremedicationDrugForm(instance=drug), "drug": drug, "active_form": form},
        status=400,
    )
