"""Authorization pages (docs/clinical-rules.md 7): parse, call a service or selector, render.

Authorization admins work the dashboard and change authorizations; every other role reads
the list and the detail pages (their changes are refused, 403).
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ivig.accounts.models import User
from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import logs_patient_reads
from ivig.audit.services import access_records
from orders.errors import OrderError
from orders.models import Order

from . import policies, selectors, services
from .coverage_rules import order_coverage
from .forms import (
    AuthorizationCreateForm,
    AuthorizationEditForm,
    DecisionForm,
    DocumentForm,
    ReasonForm,
    RenewForm,
    SubmitForm,
)
from .models import Authorization, AuthorizationStatus
from .order_picker import ORDER_QUERY_PARAM, order_choices, order_matches

PER_PAGE = 50


def _show_error(form: forms.BaseForm, error: OrderError) -> None:
    if not error.field_errors:
        form.add_error(None, error.message)
        return
    for field, field_messages in error.field_errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _status_code(error: OrderError) -> int:
    conflict = (OrderError.STALE_VERSION, services.AuthorizationError.ILLEGAL_TRANSITION)
    return 409 if error.code in conflict else 400


DASHBOARD_PANELS = ("awaiting", "renewals", "denials")


@logs_patient_reads()
@policy_required(policies.can_change_authorizations)
def dashboard(request: HttpRequest) -> HttpResponse:
    """docs/clinical-rules.md 7: awaiting decision, approvals running out, denials, sessions not
    covered; each panel's count and one page of it, most urgent first (``?<panel>_page=``),
    filtered by patient or payer (``?q=``)."""
    board = selectors.dashboard_pages(
        timezone.localdate(),
        {panel: request.GET.get(f"{panel}_page") for panel in DASHBOARD_PANELS},
        request.GET.get("q", "")[:100],
    )
    access_records(
        request,
        [row.authorization for row in board.awaiting]
        + [row.authorization for row in board.renewals]
        + list(board.denials),
    )
    return render(request, "authorizations/authorizations.html", {"dashboard": board})


@logs_patient_reads()
@policy_required(policies.can_read_authorizations)
def authorization_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in AuthorizationStatus.values:
        status = ""
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.authorizations_list(status=status, query=query), PER_PAGE).get_page(
        request.GET.get("page")
    )
    access_records(request, page)
    return render(
        request,
        "authorizations/authorization_list.html",
        {
            "page": page,
            "status": status,
            "query": query,
            "statuses": AuthorizationStatus.choices,
            "can_change": policies.can_change_authorizations(request.user),
        },
    )


def _detail_context(
    request: HttpRequest, authorization: Authorization, **forms_given: forms.BaseForm
) -> dict[str, Any]:
    can_change = policies.can_change_authorizations(request.user)
    initial = {"version": authorization.version}
    context: dict[str, Any] = {
        "authorization": authorization,
        "order": authorization.order,
        "documents": selectors.authorization_documents(authorization),
        "history": selectors.authorization_history(authorization),
        "renewals": authorization.renewals.all(),
        "can_change": can_change,
    }
    if can_change:
        status = authorization.status
        allowed = {name for name, sources in services.TRANSITIONS.items() if status in sources}
        context.update(
            allowed=allowed,
            submit_form=SubmitForm(initial=initial) if "submit" in allowed else None,
            decision_form=DecisionForm(initial=initial) if "decide" in allowed else None,
            appeal_form=ReasonForm(initial=initial) if "appeal" in allowed else None,
            expire_form=ReasonForm(initial=initial) if "expire" in allowed else None,
            renew_form=RenewForm() if "renew" in allowed else None,
            document_form=DocumentForm(),
        )
        context.update(forms_given)
    return context


@logs_patient_reads("authorizations.authorization")
@policy_required(policies.can_read_authorizations)
def authorization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    authorization = get_object_or_404(
        Authorization.objects.select_related("order", "patient", "renews"), pk=pk
    )
    return render(
        request, "authorizations/authorization_detail.html", _detail_context(request, authorization)
    )


@policy_required(policies.can_change_authorizations)
def authorization_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {ORDER_QUERY_PARAM: request.GET.get(ORDER_QUERY_PARAM, "")}
    if request.GET.get("order", "").isdigit():
        initial["order"] = int(request.GET["order"])
    form = AuthorizationCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            authorization = services.authorization_create(
                by=signed_in_user(request), **form.cleaned_data
            )
        except OrderError as error:
            _show_error(form, error)
        else:
            messages.success(request, "Authorization created.")
            return redirect("authorizations:authorization-detail", pk=authorization.pk)
    return render(request, "authorizations/authorization_form.html", {"form": form})


@logs_patient_reads()
@policy_required(policies.can_change_authorizations)
def authorization_order_options(request: HttpRequest) -> HttpResponse:
    """htmx: the new authorization's order options for what was typed (at most
    ``ORDER_MATCHES``, authorizations/order_picker.py)."""
    matches = order_matches(request.GET.get(ORDER_QUERY_PARAM, ""))
    access_records(request, matches)
    return render(
        request, "authorizations/_order_options.html", {"choices": order_choices(matches)}
    )


@logs_patient_reads("authorizations.authorization")
@policy_required(policies.can_change_authorizations)
def authorization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    authorization = get_object_or_404(Authorization, pk=pk)
    form = AuthorizationEditForm(
        request.POST or None, instance=authorization, initial={"version": authorization.version}
    )
    code = 200
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        version = changes.pop("version")
        try:
            services.authorization_update(
                authorization, by=signed_in_user(request), version=version, **changes
            )
        except OrderError as error:
            _show_error(form, error)
            code = _status_code(error)
        else:
            messages.success(request, "Changes saved.")
            return redirect("authorizations:authorization-detail", pk=authorization.pk)
    return render(
        request,
        "authorizations/authorization_form.html",
        {"form": form, "authorization": authorization},
        status=code,
    )


def _transition(
    form_class: type[forms.Form],
    form_name: str,
    act: Callable[[Authorization, User, dict[str, Any]], Authorization],
    done: str,
) -> Callable[[HttpRequest, int], HttpResponse]:
    """A POST-only page action: parse ``form_class``, call the service, back to the detail
    page; a refusal shows on the form there (400, or 409 for a stale or illegal change)."""

    @require_POST
    @policy_required(policies.can_change_authorizations)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        authorization = get_object_or_404(
            Authorization.objects.select_related("order", "patient", "renews"), pk=pk
        )
        form = form_class(request.POST)
        code = 400
        if form.is_valid():
            try:
                result = act(authorization, signed_in_user(request), dict(form.cleaned_data))
            except OrderError as error:
                _show_error(form, error)
                code = _status_code(error)
            else:
                messages.success(request, done)
                return redirect("authorizations:authorization-detail", pk=result.pk)
        authorization.refresh_from_db()
        return render(
            request,
            "authorizations/authorization_detail.html",
            _detail_context(request, authorization, **{form_name: form}),
            status=code,
        )

    return view


def _decide(authorization: Authorization, by: User, data: dict[str, Any]) -> Authorization:
    approved = data.pop("decision") == AuthorizationStatus.APPROVED
    return services.authorization_record_decision(authorization, by=by, approved=approved, **data)


authorization_submit = _transition(
    SubmitForm,
    "submit_form",
    lambda a, by, data: services.authorization_submit(a, by=by, **data),
    "Submitted to the payer.",
)
authorization_decision = _transition(DecisionForm, "decision_form", _decide, "Decision recorded.")
authorization_appeal = _transition(
    ReasonForm,
    "appeal_form",
    lambda a, by, data: services.authorization_appeal(a, by=by, **data),
    "Appeal recorded.",
)
authorization_expire = _transition(
    ReasonForm,
    "expire_form",
    lambda a, by, data: services.authorization_expire(a, by=by, **data),
    "Authorization expired.",
)
authorization_renew = _transition(
    RenewForm,
    "renew_form",
    lambda a, by, data: services.authorization_renew(a, by=by, **data),
    "Renewal created: submit it when ready.",
)
authorization_document_add = _transition(
    DocumentForm,
    "document_form",
    lambda a, by, data: services.authorization_document_add(a, by=by, **data).authorization,
    "Document added.",
)


@logs_patient_reads("orders.order")
@policy_required(policies.can_read_authorizations)
def order_coverage_page(request: HttpRequest, pk: int) -> HttpResponse:
    """An order's coverage and authorizations, for any role (the order page includes the
    same table)."""
    order = get_object_or_404(Order.objects.select_related("patient"), pk=pk)
    return render(
        request,
        "authorizations/authorization_coverage.html",
        {
            "order": order,
            "coverage": order_coverage(order),
            "authorizations": selectors.order_authorizations(order),
            "can_change": policies.can_change_authorizations(request.user),
        },
    )
