"""The chairs' pages: the list and adding or editing a chair with its opening hours (nurses;
docs/clinical-rules.md 6). Parse, call a service, render (STYLE)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from infusions import policies
from infusions.chairs.forms import ChairForm
from infusions.chairs.models import Chair
from infusions.chairs.selectors import chairs_and_hours_text
from infusions.chairs.services import Hours, chair_save
from infusions.errors import InfusionError, add_infusion_error
from ivig.accounts.permissions import policy_required, signed_in_user


@policy_required(policies.can_read_schedule)
def chair_list(request: HttpRequest) -> HttpResponse:
    """Every chair, in use or not, with its opening hours; nurses add and change them."""
    rows = [
        (chair, format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)))
        for chair, lines in chairs_and_hours_text()
    ]
    return render(
        request,
        "infusions/chairs.html",
        {"rows": rows, "can_edit": policies.can_edit_chairs(request.user)},
    )


@policy_required(policies.can_edit_chairs)
def chair_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a chair (no ``pk``) or change one: name, location, in use, opening hours per weekday
    (docs/clinical-rules.md 6), through ``chairs.services.chair_save``. A chair is never
    deleted: it is taken out of use."""
    chair = (
        get_object_or_404(Chair.objects.prefetch_related("opening_hours"), pk=pk)
        if pk is not None
        else None
    )
    form = ChairForm(request.POST or None, chair=chair)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = chair_save(
                chair,
                by=signed_in_user(request),
                name=data["name"],
                location=data["location"],
                active=data["active"],
                opening_hours=[
                    Hours(day, opens, closes)
                    for day, windows in sorted(data["windows"].items())
                    for opens, closes in windows
                ],
            )
        except InfusionError as error:
            add_infusion_error(form, error)
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect("infusions:chairs")
    return render(request, "infusions/chair_form.html", {"form": form, "chair": chair})
