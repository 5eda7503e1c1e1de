"""The one formatting filter every page uses for clinical numbers (STYLE)."""

from decimal import Decimal

import pytest

from ivig.templatetags.clinical import num, with_unit


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("5.0"), "5"),
        (Decimal(".5"), "0.5"),
        (Decimal("0.50"), "0.5"),
        (Decimal("12500.50"), "12,500.5"),
        (Decimal("1E+2"), "100"),
        (Decimal("-2.50"), "-2.5"),
        (200, "200"),
        ("27.50", "27.5"),
        (None, "—"),
    ],
)
def test_numbers_show_without_trailing_zeros_or_naked_decimals(value, shown):
    assert num(value) == shown


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [(Decimal("25.0"), "g", "25 g"), (250, "mL", "250 mL"), (None, "g", "—")],
)
def test_a_number_with_its_unit(value, unit, shown):
    assert with_unit(value, unit) == shown


# --- links to a row (``pk_url``): what ``{% url %}`` gives, reversed once -----------------


@pytest.mark.parametrize(
    "route",
    [
        "authorizations:authorization-detail",
        "authorizations:order-coverage",
        "infusions:session-detail",
    ],
)
@pytest.mark.parametrize("pk", [1, 7, 42, 2147483646])
def test_a_row_link_is_the_url_tag_s_path(route, pk):
    from django.template import Context, Template
    from django.urls import reverse

    shown = Template(f'{{{{ pk|pk_url:"{route}" }}}}').render(Context({"pk": pk}))
    assert shown == reverse(route, args=[pk])


@pytest.mark.parametrize(("order_pk", "cycle"), [(1, 1), (42, 7), (2147483646, 60)])
def test_a_link_with_two_ids_is_the_url_tag_s_path(order_pk, cycle):
    from django.template import Context, Template

    context = Context({"order_pk": order_pk, "cycle": cycle})
    ours = Template('{% ids_url "infusions:book" order_pk cycle %}').render(context)
    assert ours == Template('{% url "infusions:book" order_pk cycle %}').render(context)
    assert ours == f"/infusions/orders/{order_pk}/cycles/{cycle}/book/"


def test_a_row_link_follows_the_script_prefix():
    from django.urls import get_script_prefix, reverse, set_script_prefix

    from ivig.templatetags.links import pk_path

    before = get_script_prefix()
    try:
        set_script_prefix("/ivig/")
        assert pk_path("infusions:session-detail", 5) == "/ivig/infusions/sessions/5/"
        assert pk_path("infusions:session-detail", 5) == reverse(
            "infusions:session-detail", args=[5]
        )
    finally:
        set_script_prefix(before)
    assert pk_path("infusions:session-detail", 5) == "/infusions/sessions/5/"


def test_a_row_link_refuses_what_is_not_an_id():
    from ivig.templatetags.links import pk_path

    with pytest.raises(ValueError):
        pk_path("infusions:session-detail", "5/../../admin")  # type: ignore[arg-type]
