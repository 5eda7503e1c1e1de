"""Order pages: parse, call a service or selector, render (STYLE). The patient pages are
``orders.patients.views``."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from formulary.services import FormularyError
from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import logs_patient_reads
from ivig.audit.services import access_record, access_records
from ivig.engine import DosePlan, Finding, compute_plan, ideal_and_adjusted_weights_apply

from . import policies, selectors, services
from .dose_plans.engine_inputs import plan_request_from_values
from .dose_plans.plan_accessor import OrderPlan, order_plan
from .errors import OrderError
from .filters import OrderFilter
from .forms import (
    OrderForm,
    OrderReasonForm,
    OrderStepForm,
    OrderVersionForm,
    SignForm,
    VerifyForm,
    add_order_error,
    indication_defaults,
)
from .models import Order, OrderStatus, Patient, PremedicationLine
from .patients.selectors import PATIENT_QUERY_PARAM, patient_choices, patient_matches
from .premedication.services import line_facts

ORDERS_PER_PAGE = 50
QUEUE_PER_PAGE = 50


@logs_patient_reads()
@policy_required(policies.can_read_orders)
def home(request: HttpRequest) -> HttpResponse:
    """Orders (docs/clinical-rules.md 4), filtered by status, patient and search words: every role
    reads them; clinicians start new ones."""
    filterset = OrderFilter(request.GET, queryset=selectors.order_table_rows())
    page = Paginator(filterset.qs, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    access_records(request, page)
    return render(
        request,
        "orders/home.html",
        {"filter": filterset, "page": page, "can_create": policies.can_create_order(request.user)},
    )


@logs_patient_reads()
@policy_required(policies.can_verify)
def verification_queue(request: HttpRequest) -> HttpResponse:
    """Signed orders awaiting an independent check, the longest waiting first
    (docs/clinical-rules.md 4)."""
    now = timezone.now()
    page = Paginator(selectors.orders_awaiting_verification(), QUEUE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    access_records(request, page)
    rows = [
        (
            order,
            int((now - order.signed_at).total_seconds() // 3600) if order.signed_at else 0,
            int((now - order.signed_at).total_seconds() // 60) if order.signed_at else 0,
        )
        for order in page
    ]
    return render(request, "orders/verification_queue.html", {"rows": rows, "page": page})


# --- orders (docs/clinical-rules.md 4)
# -----------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """What the order form's preview shows: the engine's plan, or why there is none yet."""

    plan: DosePlan | None = None
    problems: list[str] = field(default_factory=list)
    # docs/clinical-rules.md 3.1: False shows ideal and adjusted weights as "not used".
    weights_apply: bool = True


def order_form_preview(form: OrderForm) -> Preview:
    """The engine's plan for the form's choices as they stand, unsaved (docs/clinical-rules.md 2:
    the same path as a saved order's, ``plan_request_from_values``)."""
    if not form.is_valid():
        return Preview(
            problems=[
                f"{form.fields[name].label if name in form.fields else 'Order'}: {message}"
                for name, messages in form.errors.items()
                for message in messages
            ]
        )
    data = form.cleaned_data
    try:
        request = plan_request_from_values(
            patient=data["patient"],
            product=data["product"],
            indication=data["indication"],
            regimen=form.regimen(),
            evaluated_on=timezone.localdate(),
            weight_today_kg=data.get("weight_today_kg"),
        )
    except FormularyError as error:
        return Preview(problems=[error.message])
    # docs/clinical-rules.md 3.5: the lines as entered (PREMEDICATION_DOSE_HIGH).
    request = request.model_copy(update={"premedication": line_facts(form.premedication_entered())})
    return Preview(
        plan=compute_plan(request),
        weights_apply=ideal_and_adjusted_weights_apply(
            request.patient.age_years, request.dosing_weight_basis
        ),
    )


def _order_form_page(
    request: HttpRequest,
    form: OrderForm,
    order: Order | None,
    *,
    preview: Preview | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "orders/order_form.html",
        {
            "form": form,
            "order": order,
            "preview": preview,
            "patient_q": (form.data if form.is_bound else form.initial).get(
                PATIENT_QUERY_PARAM, ""
            ),
        },
        status=status,
    )


def _order_form_submit(request: HttpRequest, order: Order | None) -> HttpResponse:
    """Create or change an order from the posted form; "Apply indication defaults" and
    "Preview" (the page without JavaScript) re-show the form instead of saving."""
    if "apply_defaults" in request.POST:
        form = OrderForm.shown_again(indication_defaults(request.POST), order=order)
        return _order_form_page(request, form, order)
    if "more_lines" in request.POST:  # the lines as typed, with blank rows below them
        return _order_form_page(request, OrderForm.shown_again(request.POST, order=order), order)
    form = OrderForm(request.POST, order=order)
    if "preview" in request.POST:
        return _order_form_page(request, form, order, preview=order_form_preview(form))
    if not form.is_valid():
        return _order_form_page(request, form, order, status=400)
    by = signed_in_user(request)
    try:
        if order is None:
            saved = services.order_create(
                by=by, patient=form.cleaned_data["patient"], **form.order_values()
            )
        else:
            saved = services.order_update(
                order, by=by, version=form.cleaned_data["version"], **form.order_values()
            )
    except OrderError as error:
        add_order_error(form, error)
        return _order_form_page(request, form, order, status=409 if error.is_conflict else 400)
    if order is not None and saved.pk != order.pk:
        messages.success(request, f"Version {saved.revision} created: sign it when ready.")
    else:
        messages.success(request, "Order saved as a draft.")
    return redirect("orders:order-detail", pk=saved.pk)


@logs_patient_reads()
@policy_required(policies.can_create_order)
def order_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _order_form_submit(request, None)
    chosen = request.GET.get("patient", "")
    patient = Patient.objects.filter(pk=chosen).first() if chosen.isdigit() else None
    if patient is not None:
        access_record(request, patient)  # the form shows this patient
    form = OrderForm(
        initial={
            "patient": request.GET.get("patient"),
            PATIENT_QUERY_PARAM: request.GET.get(PATIENT_QUERY_PARAM, ""),
        }
    )
    return _order_form_page(request, form, None)


@logs_patient_reads()
@policy_required(policies.can_create_order)
def order_patient_options(request: HttpRequest) -> HttpResponse:
    """htmx: the new order form's patient options for what was typed (at most
    ``PATIENT_MATCHES``; orders/patients/selectors.py)."""
    query = request.GET.get(PATIENT_QUERY_PARAM, "")
    matches = patient_matches(query)
    access_records(request, matches)
    return render(request, "orders/_patient_options.html", {"choices": patient_choices(matches)})


@logs_patient_reads("orders.order")
@policy_required(policies.can_edit)
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    # The form and the preview built from it read the order's patient and lines, and the page
    # is refused when a new version already changes it (``superseded_by``): read once.
    order = get_object_or_404(
        Order.objects.select_related(
            "patient", "product", "indication", "superseded_by"
        ).prefetch_related(
            Prefetch(
                "premedication_lines", queryset=PremedicationLine.objects.select_related("drug")
            )
        ),
        pk=pk,
    )
    if order.status not in services.EDITABLE:
        messages.error(
            request, f"This order is {order.get_status_display().lower()}: it cannot be changed."
        )
        return redirect("orders:order-detail", pk=order.pk)
    pending = services.pending_change(order)
    if pending is not None:
        messages.error(request, services.pending_change_error(order, pending).message)
        return redirect("orders:order-detail", pk=pending.pk)
    if request.method == "POST":
        return _order_form_submit(request, order)
    form = OrderForm(order=order)
    return _order_form_page(request, form, order, preview=order_form_preview(form.as_posted()))


@require_POST
@policy_required(policies.can_create_order)
def order_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the plan for the form as it stands (the ``_preview.html`` partial)."""
    form = OrderForm(request.POST, order=_order_being_edited(request))
    return render(request, "orders/_preview.html", {"preview": order_form_preview(form)})


@require_POST
@policy_required(policies.can_create_order)
def order_form_fields(request: HttpRequest) -> HttpResponse:
    """htmx: the form's fields again after the patient or indication changed (products for the
    patient; with ``apply_defaults``, the indication's regimen), with the preview swapped in
    out of band."""
    order = _order_being_edited(request)
    values = indication_defaults(request.POST) if "apply_defaults" in request.POST else request.POST
    form = OrderForm.shown_again(
        values, order=order, premedication_defaults="premedication_defaults" in request.POST
    )
    return render(
        request,
        "orders/_order_fields_refresh.html",
        # The preview judges the lines shown (a new patient's defaults), not those posted.
        {"form": form, "order": order, "preview": order_form_preview(form.as_posted())},
    )


def _order_being_edited(request: HttpRequest) -> Order | None:
    key = request.POST.get("order")
    if not key or not key.isdigit():
        return None
    return Order.objects.filter(pk=int(key)).first()


def _shown_plan(order: Order) -> tuple[OrderPlan | None, str]:
    """The plan the order page shows: the order's plan as of today (docs/clinical-rules.md
    3.9), with the findings at signing beside it; or why there is none."""
    try:
        return order_plan(order, as_of=timezone.localdate()), "as of today"
    except FormularyError as error:
        return None, error.message


def _order_page(
    request: HttpRequest,
    order: Order,
    *,
    template: str = "orders/order_detail.html",
    status: int = 200,
    bound_forms: dict[str, forms.Form] | None = None,
    refusal: str | None = None,
) -> HttpResponse:
    """The order page (or its print view); ``bound_forms`` replace the action forms that a
    refused step shows again with its message and the user's entries."""
    access_record(request, order)
    living, plan_basis = _shown_plan(order)
    plan = living.plan if living is not None else None
    overrides = list(order.overrides.all())
    draft_overrides = (
        [finding for finding in plan.findings if finding.severity == "override"]
        if plan is not None and order.status == OrderStatus.DRAFT
        else []
    )
    can = policies.order_permissions(request.user, order)
    can["sign"] = can["sign"] and plan is not None
    versions = list(selectors.order_versions(order))
    initial = {"version": order.version}
    context = {
        "order": order,
        "plan": plan,
        "plan_basis": plan_basis,
        # The plan shown is today's (orders.dose_plans.plan_accessor), so the patient's age today
        # decides.
        "weights_apply": ideal_and_adjusted_weights_apply(
            order.patient.age_years(timezone.localdate()),
            order.dosing_weight_basis,  # type: ignore[arg-type]
        ),
        "living": living,
        "new_codes": living.new_finding_codes if living is not None else [],
        "overrides": overrides,
        "versions": versions,
        "history": selectors.order_history(order, versions),
        "can": can,
        "signed_by_me": order.signed_by_id == request.user.pk,
        "sign_form": SignForm(initial=initial, overrides=draft_overrides),
        "verify_form": VerifyForm(initial=initial, overrides=overrides),
        "reject_form": OrderReasonForm(initial=initial, label="Reason for rejecting"),
        "discontinue_form": OrderReasonForm(initial=initial, label="Reason for discontinuing"),
        "complete_form": OrderVersionForm(initial=initial),
        "refusal": refusal,
        **(bound_forms or {}),
    }
    return render(request, template, context, status=status)


@logs_patient_reads("orders.order")
@policy_required(policies.can_read_orders)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_page(request, _order(pk))


@logs_patient_reads("orders.order")
@policy_required(policies.can_read_orders)
def order_print(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_page(request, _order(pk), template="orders/order_print.html")


def _order(pk: int) -> Order:
    """The order with what its page shows of it, the version that changes it included."""
    return get_object_or_404(selectors.orders_with_related().select_related("superseded_by"), pk=pk)


def _order_step(
    request: HttpRequest, pk: int, form_name: str, form: OrderStepForm, step: Callable[..., Order]
) -> tuple[HttpResponse, bool]:
    """Run a lifecycle step from its form on the order page; a refusal shows the page again
    with the message on the form and the user's entries kept (409 when the order moved on)."""
    order = _order(pk)
    refusal = "Nothing was done: please correct the entries marked below."
    retry_after: int | None = None
    if form.is_valid():
        try:
            step(order, by=signed_in_user(request), **form.step_arguments())
        except OrderError as error:
            add_order_error(form, error)
            refusal, status = error.message, error.http_status
            retry_after = error.retry_after_seconds
        else:
            return redirect("orders:order-detail", pk=order.pk), True
    else:
        status = 400
    page = _order_page(
        request, _order(pk), status=status, bound_forms={form_name: form}, refusal=refusal
    )
    if status == 429:
        page["Retry-After"] = str(retry_after or 60)
    return page, False


def _step_view(
    form_name: str,
    make_form: Callable[[HttpRequest, int], OrderStepForm],
    step: Callable[..., Order],
    done: str,
    policy: Callable[..., bool],
) -> Callable[..., HttpResponse]:
    """A page view for one lifecycle step (docs/clinical-rules.md 4), by POST only, for those
    ``policy`` allows."""

    @require_POST
    @policy_required(policy)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        response, succeeded = _order_step(request, pk, form_name, make_form(request, pk), step)
        if succeeded:
            messages.success(request, f"Order {_order(pk).number} {done}.")
        return response

    return view


def _draft_overrides(pk: int) -> list[Finding]:
    living, _ = _shown_plan(_order(pk))
    return [f for f in living.findings if f.severity == "override"] if living else []


order_sign = _step_view(
    "sign_form",
    lambda request, pk: SignForm(request.POST, overrides=_draft_overrides(pk)),
    services.order_sign,
    "signed",
    policies.can_sign,
)
order_verify = _step_view(
    "verify_form",
    lambda request, pk: VerifyForm(request.POST, overrides=_order(pk).overrides.all()),
    services.order_verify,
    "verified",
    policies.can_verify,
)
order_reject = _step_view(
    "reject_form",
    lambda request, pk: OrderReasonForm(request.POST, label="Reason for rejecting"),
    services.order_reject,
    "rejected: it is a draft again",
    policies.can_reject,
)
order_discontinue = _step_view(
    "discontinue_form",
    lambda request, pk: OrderReasonForm(request.POST, label="Reason for discontinuing"),
    services.order_discontinue,
    "discontinued",
    policies.can_discontinue,
)
order_complete = _step_view(
    "complete_form",
    lambda request, pk: OrderVersionForm(request.POST),
    services.order_complete,
    "completed",
    policies.can_complete,
)
