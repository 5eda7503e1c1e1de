"""Formulary pages (docs/clinical-rules.md 5): every role reads; pharmacists add, edit, deactivate,
price and set the dosing policy. Views parse, call a service or selector, and render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ivig.accounts.models import User
from ivig.accounts.permissions import policy_required

from . import policies, selectors, services
from .filters import ProductFilter
from .forms import (
    RATE_STEPS_PREFIX,
    VIAL_SIZES_PREFIX,
    DosingPolicyForm,
    PriceForm,
    ProductForm,
    RateStepForms,
    ReasonForm,
    VialSizeForms,
    show_service_error,
)
from .models import Product


def _acting_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the policy check has let only signed-in users in
    return request.user


@policy_required(policies.can_read_formulary)
def product_list(request: HttpRequest) -> HttpResponse:
    filterset = ProductFilter(request.GET, queryset=selectors.products_list())
    return render(
        request,
        "formulary/product_list.html",
        {
            "filter": filterset,
            "products": filterset.qs,
            "can_edit": policies.can_change_products(request.user),
        },
    )


def _product(slug: str) -> Product:
    return get_object_or_404(selectors.products_list(), slug=slug)


def _detail(
    request: HttpRequest,
    product: Product,
    reason_form: ReasonForm | None = None,
    price_form: PriceForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "formulary/product_detail.html",
        {
            "product": product,
            "current_price_per_g": selectors.current_price(product),
            "prices": selectors.price_history(product),
            "history": selectors.product_history(product),
            "can_edit": policies.can_change_products(request.user),
            "reason_form": reason_form or ReasonForm(),
            "price_form": price_form or PriceForm(),
        },
    )


@policy_required(policies.can_read_formulary)
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _detail(request, _product(slug))


def _product_form(request: HttpRequest, product: Product) -> HttpResponse:
    """Create (``product`` unsaved) or edit a product with its vial sizes and rate steps."""
    creating = product.pk is None
    data = request.POST if request.method == "POST" else None
    form = ProductForm(data, instance=product)
    vial_sizes = VialSizeForms(data, instance=product, prefix=VIAL_SIZES_PREFIX)
    label_rate_steps = RateStepForms(data, instance=product, prefix=RATE_STEPS_PREFIX)
    # Validate all three (no short cut) so every error shows at once.
    valid = [part.is_valid() for part in (form, vial_sizes, label_rate_steps)]
    if data is not None and all(valid):
        try:
            if creating:
                product = services.product_create(
                    user=_acting_user(request),
                    slug=form.cleaned_data["slug"],
                    fields=form.product_fields(),
                    vial_sizes=vial_sizes.data_for_service(),
                    label_rate_steps=label_rate_steps.data_for_service(),
                    price_per_g=form.cleaned_data["price_per_g"],
                )
            else:
                product = services.product_update(
                    product=product,
                    user=_acting_user(request),
                    expected_version=form.cleaned_data["version"],
                    fields=form.product_fields(),
                    vial_sizes=vial_sizes.data_for_service(),
                    label_rate_steps=label_rate_steps.data_for_service(),
                )
        except services.FormularyError as error:
            show_service_error(
                error, form, {"vial_sizes": vial_sizes, "label_rate_steps": label_rate_steps}
            )
        else:
            messages.success(request, f"{product.brand_name} {'added' if creating else 'saved'}.")
            return redirect("formulary:product-detail", slug=product.slug)
    return render(
        request,
        "formulary/product_form.html",
        {
            "product": None if creating else product,
            "form": form,
            "vial_sizes": vial_sizes,
            "label_rate_steps": label_rate_steps,
        },
    )


@policy_required(policies.can_change_products)
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_form(request, Product())


@policy_required(policies.can_change_products)
def product_edit(request: HttpRequest, slug: str) -> HttpResponse:
    return _product_form(request, get_object_or_404(Product, slug=slug))


def _set_active(request: HttpRequest, slug: str, active: bool) -> HttpResponse:
    product = _product(slug)
    form = ReasonForm(request.POST)
    if form.is_valid():
        service = services.product_reactivate if active else services.product_deactivate
        try:
            service(product=product, user=_acting_user(request), reason=form.cleaned_data["reason"])
        except services.FormularyError as error:
            show_service_error(error, form)
        else:
            state = "reactivated" if active else "deactivated"
            messages.success(request, f"{product.brand_name} {state}.")
            return redirect("formulary:product-detail", slug=slug)
    return _detail(request, product, reason_form=form)


@require_POST
@policy_required(policies.can_change_products)
def product_deactivate(request: HttpRequest, slug: str) -> HttpResponse:
    return _set_active(request, slug, active=False)


@require_POST
@policy_required(policies.can_change_products)
def product_reactivate(request: HttpRequest, slug: str) -> HttpResponse:
    return _set_active(request, slug, active=True)


@require_POST
@policy_required(policies.can_change_products)
def product_price(request: HttpRequest, slug: str) -> HttpResponse:
    product = _product(slug)
    form = PriceForm(request.POST)
    if form.is_valid():
        try:
            services.product_price_set(
                product=product, user=_acting_user(request), **form.cleaned_data
            )
        except services.FormularyError as error:
            show_service_error(error, form)
        else:
            messages.success(request, f"New price for {product.brand_name} recorded.")
            return redirect("formulary:product-detail", slug=slug)
    return _detail(request, product, price_form=form)


@policy_required(policies.can_read_formulary)
def policy(request: HttpRequest) -> HttpResponse:
    """The dosing policy: every role reads it, pharmacists change it (version-checked)."""
    if request.method == "POST" and not policies.can_change_policy(request.user):
        raise PermissionDenied("Only a pharmacist may change the dosing policy.")
    current = selectors.current_policy()
    form = DosingPolicyForm(request.POST if request.method == "POST" else None, instance=current)
    if form.is_bound and form.is_valid():
        try:
            services.dosing_policy_update(
                user=_acting_user(request),
                expected_version=form.cleaned_data["version"],
                fields=form.policy_fields(),
            )
        except services.FormularyError as error:
            show_service_error(error, form)
        else:
            messages.success(request, "Dosing policy saved.")
            return redirect("formulary:policy")
    return render(
        request,
        "formulary/policy.html",
        {
            "policy": selectors.current_policy() if form.is_bound else current,
            "form": form,
            "can_edit": policies.can_change_policy(request.user),
            "history": selectors.policy_history(),
        },
    )
