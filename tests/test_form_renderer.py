"""The form renderer (ivig/form_renderer.py) draws exactly what Django's templates draw, without
the templates for the simplest widgets (issue 21: form pages at scale)."""

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test import Client
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from formulary.models import Product
from ivig.form_renderer import FormRenderer, _shortcuts
from orders.models import Order
from tests.formulary.test_views import product_post
from tests.orders.factories import OrderFactory, worked_example_patient
from tests.orders.test_order_views import form_data

TEMPLATES = DjangoTemplates()
FAST = FormRenderer()

CHOICES = [
    ("", "---------"),
    ('Group <one> & "two"', [("a", "A & <a>"), ("b", 'B "quoted"')]),
    ("c", 3),
    (4, gettext_lazy("Four")),
]


class Everything(forms.Form):
    """One field of each kind the pages use, with values that need escaping."""

    text = forms.CharField(help_text="Help <b>bold</b> & more", max_length=20)
    lazy = forms.CharField(label=gettext_lazy("Lazy label"), required=False)
    no_label = forms.CharField(label="", required=False)
    number = forms.IntegerField(widget=forms.NumberInput(attrs={"min": 1, "max": 5}))
    amount = forms.DecimalField(initial=Decimal("1.50"), required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, initial=mark_safe("<safe>"))
    agree = forms.BooleanField(required=False, initial=True)
    choice = forms.ChoiceField(choices=CHOICES, initial="b")
    several = forms.MultipleChoiceField(choices=CHOICES, required=False, initial=["a", "c"])
    boxes = forms.MultipleChoiceField(
        choices=CHOICES[2:], widget=forms.CheckboxSelectMultiple, required=False
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), initial='line\n<x> & "y"')
    empty_notes = forms.CharField(widget=forms.Textarea, required=False)
    flagged = forms.CharField(
        required=False,
        widget=forms.TextInput(
            attrs={"data-on": True, "data-off": False, "hx-vals": '{"a": "1"}', "size": 6}
        ),
    )
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    email = forms.EmailField(required=False, disabled=True, initial="a@b.example")

    def clean(self) -> dict[str, Any]:
        self.add_error(None, "A form-wide <error> & more.")
        return self.cleaned_data


def drawings(form_for: Callable[[Any], forms.Form]) -> list[str]:
    """Everything a page draws of a form, with ``renderer``."""
    form = form_for(None)
    parts = [form.as_div(), str(form.non_field_errors())]
    for field in form:
        parts += [
            str(field),
            field.as_field_group(),
            field.label_tag(),
            field.legend_tag(),
            str(field.errors),
            field.as_hidden(),
        ]
    return parts


BOUND_INVALID = {
    "text": "<script>x</script>" * 3,
    "number": "9",
    "amount": "abc",
    "day": "2026-02-31",
    "choice": "zzz",
    "several": ["b", "4"],
    "notes": "",
    "agree": "on",
}
BOUND_VALID = {
    "text": "ok & <fine>",
    "number": "3",
    "hidden": "h",
    "choice": "4",
    "notes": "n",
    "boxes": ["c"],
}


@pytest.mark.parametrize(
    ("data", "auto_id"),
    [(None, "id_%s"), (BOUND_INVALID, "id_%s"), (BOUND_VALID, "id_%s"), (BOUND_INVALID, False)],
    ids=["unbound", "bound with errors", "bound", "without ids"],
)
def test_every_widget_and_field_group_is_drawn_as_the_templates_draw_it(data, auto_id) -> None:
    fast = drawings(lambda _: Everything(data, auto_id=auto_id, renderer=FAST))
    slow = drawings(lambda _: Everything(data, auto_id=auto_id, renderer=TEMPLATES))
    assert fast == slow


def test_the_shortcuts_are_on_for_this_django() -> None:
    """A Django upgrade that changes one of these templates turns its shortcut off (the page
    stays right, only slower): this says so, to check ivig/form_renderer.py against it."""
    assert {
        "django/forms/widgets/input.html",
        "django/forms/widgets/text.html",
        "django/forms/widgets/number.html",
        "django/forms/widgets/hidden.html",
        "django/forms/widgets/checkbox.html",
        "django/forms/widgets/date.html",
        "django/forms/widgets/select.html",
        "django/forms/widgets/textarea.html",
        "django/forms/field.html",
        "django/forms/label.html",
        "django/forms/errors/list/default.html",
    } <= set(_shortcuts())


def test_the_project_draws_forms_with_it() -> None:
    assert isinstance(get_default_renderer(), FormRenderer)


def test_a_select_with_many_options_takes_no_template() -> None:
    choices = [(str(n), f"Option {n}") for n in range(200)]
    field = forms.ChoiceField(choices=choices)
    with mock.patch.object(FAST.engine, "get_template", wraps=FAST.engine.get_template) as loaded:
        html = field.widget.render("pick", "7", renderer=FAST)
        assert html.count("<option") == 200
        assert '<option value="7" selected>Option 7</option>' in html
        errors = forms.utils.ErrorList(renderer=FAST)
        assert str(errors) == ""
    assert loaded.call_count == 0


class _OwnOptions(forms.Select):
    option_template_name = "django/forms/widgets/radio_option.html"  # not select_option.html


@pytest.mark.parametrize(
    "widget",
    [forms.RadioSelect(choices=CHOICES[2:]), _OwnOptions(choices=CHOICES)],
    ids=["radio buttons", "a select with options of its own"],
)
def test_a_widget_the_shortcuts_do_not_know_is_drawn_by_its_templates(widget) -> None:
    with mock.patch.object(FAST.engine, "get_template", wraps=FAST.engine.get_template) as loaded:
        html = widget.render("r", "c", renderer=FAST)
    assert loaded.call_count >= 1
    assert html == widget.render("r", "c", renderer=TEMPLATES)


# --- the pages of issue 21, whole --------------------------------------------------------------

_TOKENS = re.compile(r'(name="csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"')


def _both_ways(send: Callable[[], Any]) -> tuple[str, str]:
    """The page drawn with the shortcuts, then with Django's templates alone."""
    fast = send()
    with mock.patch.object(FormRenderer, "render", DjangoTemplates.render):
        slow = send()
    assert fast.status_code == slow.status_code
    return _TOKENS.sub("", fast.content.decode()), _TOKENS.sub("", slow.content.decode())


def _same_either_way(sends: list[Callable[[], Any]]) -> list[str]:
    pages = []
    for send in sends:
        fast, slow = _both_ways(send)
        assert fast == slow
        pages.append(fast)
    return pages


@pytest.mark.django_db
def test_the_order_form_pages_are_the_same_either_way(clinician, client_for):
    client: Client = client_for(clinician)
    worked_patient = worked_example_patient(clinician)
    order: Order = OrderFactory.create(patient=worked_patient)
    sends = [
        lambda: client.get(reverse("orders:order-create")),
        lambda: client.get(reverse("orders:order-create") + f"?patient={worked_patient.pk}"),
        lambda: client.get(reverse("orders:order-edit", args=[order.pk])),
        # refused: errors on fields, on a premedication row and at the top
        lambda: client.post(
            reverse("orders:order-create"),
            form_data(
                worked_patient,
                days_per_cycle="9",
                start_date=date(2026, 2, 1).isoformat(),
                **{"premedication-0-dose": "x<y"},
            ),
        ),
    ]
    *_, refused = _same_either_way(sends)
    assert 'class="errorlist"' in refused and "Nothing was saved" in refused


@pytest.mark.django_db
def test_the_product_form_pages_are_the_same_either_way(pharmacist, client_for):
    client: Client = client_for(pharmacist)
    product = Product.objects.get(slug="privigen")
    sends = [
        lambda: client.get(reverse("formulary:product-create")),
        lambda: client.get(reverse("formulary:product-edit", args=[product.slug])),
        lambda: client.post(
            reverse("formulary:product-create"),
            product_post(concentration_pct="abc", vial_sizes=[("5", True), ("5", True)]),
        ),
    ]
    *_, refused = _same_either_way(sends)
    assert 'class="errorlist"' in refused and "nothing was saved" in refused
