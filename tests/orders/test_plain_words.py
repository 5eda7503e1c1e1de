"""Issue 19, "Plain words": the order and formulary pages and the order API, fed bad inputs and
orders that raise findings, never show a person a finding's code, a database constraint's name,
a column's name, Django's digit count or "(s)". The visible text of each page is read (tags and
attributes left out: a ``data-testid`` may carry a code, a person never reads it)."""

import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse

from formulary.models import Product
from ivig.engine import FINDING_TITLES
from ivig.errors import constraint_in_words
from orders.models import Order
from orders.services import ORDER_FIELDS, order_create, order_update

from ..dates import next_monday
from ..formulary.test_views import product_post
from .factories import order_values, worked_example_patient
from .test_order_views import form_data

pytestmark = pytest.mark.django_db

COLUMN_NAMES = {
    name for name in (*ORDER_FIELDS, "size_g", "weight_kg", "price_per_g") if "_" in name
}
NEVER = [
    re.compile(r"\b(" + "|".join(sorted(FINDING_TITLES)) + r")\b"),
    re.compile(r"[Cc]onstraint|violated"),
    re.compile(r"\b(" + "|".join(sorted(COLUMN_NAMES)) + r")\b"),
    re.compile(r"digits before the decimal point|digits in total"),
    re.compile(r"\w\(s\)"),
    re.compile(r"duplicate data"),
    re.compile(r"(—|-) → (—|-)|not reached: the volume"),
]


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag == "option" or (tag == "input" and dict(attrs).get("type") != "hidden"):
            label = dict(attrs).get("aria-label")
            if label:
                self.parts.append(label)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def assert_plain(text: str, where: str) -> None:
    for pattern in NEVER:
        found = pattern.search(text)
        if found is not None:
            around = text[max(0, found.start() - 120) : found.end() + 80]
            pytest.fail(f"{where}: {found.group(0)!r} in …{around}…")


BAD_ORDER_INPUTS: list[dict[str, Any]] = [
    {"total_dose_g_per_kg": "0"},
    {"total_dose_g_per_kg": "-1"},
    {"total_dose_g_per_kg": "200"},
    {"total_dose_g_per_kg": "2.00001"},
    {"total_dose_g_per_kg": "abc"},
    {"total_dose_g_per_kg": "", "daily_dose_mg_per_kg": "0"},
    {"total_dose_g_per_kg": "", "daily_dose_mg_per_kg": "123456"},
    {"daily_dose_mg_per_kg": "400"},
    {"days_per_cycle": "0"},
    {"days_per_cycle": "9"},
    {"cycles": "0"},
    {"cycles": "61"},
    {"cycle_interval_days": "3"},
    {"cycle_interval_days": "100"},
    {"target_rate_ml_per_h": "0"},
    {"target_rate_ml_per_h": "1.5"},
    {"weight_today_kg": "-3"},
    {"start_date": "not a date"},
    {"product": "99999"},
]


@pytest.mark.parametrize("bad", BAD_ORDER_INPUTS, ids=lambda bad: ",".join(map(str, bad.values())))
def test_the_order_form_answers_bad_input_in_plain_words(
    clinician, client_for, worked_patient, bad
):
    client = client_for(clinician)
    for name in ("orders:order-create", "orders:order-preview", "orders:order-form-fields"):
        response = client.post(reverse(name), form_data(worked_patient, **bad))
        assert response.status_code in (200, 400), (name, response.status_code)
        assert_plain(visible(response.content.decode()), f"{name} {bad}")
    assert not Order.objects.exists()


def test_a_dose_out_of_range_names_the_range(clinician, client_for, worked_patient):
    response = client_for(clinician).post(
        reverse("orders:order-create"), form_data(worked_patient, total_dose_g_per_kg="200")
    )
    text = visible(response.content.decode())
    assert "Enter a dose per cycle between 0.001 and 10 g/kg." in text
    response = client_for(clinician).post(
        reverse("orders:order-create"), form_data(worked_patient, total_dose_g_per_kg="0")
    )
    assert "Enter a dose per cycle between 0.001 and 10 g/kg." in visible(response.content.decode())


@pytest.mark.parametrize("bad", BAD_ORDER_INPUTS[:16], ids=lambda bad: ",".join(bad))
def test_the_order_api_answers_bad_input_in_plain_words(clinician, client_for, worked_patient, bad):
    body: dict[str, Any] = {
        "patient": worked_patient.pk,
        "indication": "pemphigus-vulgaris",
        "product": "privigen",
        "total_dose_g_per_kg": "2",
        "days_per_cycle": 5,
        "cycles": 6,
        "cycle_interval_days": 28,
        "start_date": next_monday().isoformat(),
        **{key: (None if value == "" else value) for key, value in bad.items()},
    }
    response = client_for(clinician).post("/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    answer = response.json()
    messages = " ".join(m for ms in answer["field_errors"].values() for m in ms)
    # ``detail`` names the fields for programs ("cycles: …", docs/api.md); people read messages.
    assert_plain(messages, f"API {bad}")


def test_the_service_says_ranges_and_constraints_in_words_on_their_fields(
    clinician, worked_patient
):
    """The last guards, met without a form or serializer before them: a number out of its range
    is said with the range; a constraint with no words of its own is said on its field."""
    from orders.errors import OrderError

    with pytest.raises(OrderError) as refused:
        order_create(by=clinician, **order_values(worked_patient, total_dose_g_per_kg=Decimal("0")))
    assert refused.value.field_errors == {
        "total_dose_g_per_kg": ["Enter a dose per cycle between 0.001 and 10 g/kg."]
    }
    with pytest.raises(OrderError) as refused:
        order_create(by=clinician, **order_values(worked_patient, target_rate_ml_per_h=0))
    assert refused.value.field_errors == {
        "target_rate_ml_per_h": ["Check the target rate (mL/h): this value is not allowed."]
    }
    assert constraint_in_words("Constraint “nothing_of_ours” is violated.")[1] == (
        "A value is not allowed: please check the entries."
    )


def test_order_pages_with_findings_and_versions_read_in_plain_words(
    clinician, pharmacist, client_for, sign
):
    """Orders raising a stop, overrides and warnings (HEMOLYSIS_RISK); one signed with override
    reasons, then changed (version 2), on every page a person reads."""
    stopped = order_create(
        by=clinician,
        **order_values(
            worked_example_patient(clinician, iga_status="deficient_with_antibodies"),
            days_per_cycle=1,
            cycles=1,
        ),
    )
    patient = worked_example_patient(clinician, risk_factors=["diabetes", "migraine"])
    signed = sign(
        order_create(by=clinician, **order_values(patient)),
        clinician,
        {"RENAL_RISK": "Hydrated", "THROMBOSIS_RISK": "Mobile"},
    )
    successor = order_update(signed, by=clinician, version=signed.version, cycles=3)
    pages = [
        ("orders:home", None),
        ("orders:verification-queue", None),
        *(
            (name, order)
            for order in (stopped, signed, successor)
            for name in ("orders:order-detail", "orders:order-print", "orders:order-edit")
        ),
    ]
    for user in (clinician, pharmacist):
        client = client_for(user)
        for name, order in pages:
            response = client.get(reverse(name, args=[order.pk] if order else []), follow=True)
            assert response.status_code in (200, 403), (name, response.status_code)
            assert_plain(visible(response.content.decode()), f"{user} {name}")
    page = visible(
        client_for(clinician)
        .get(reverse("orders:order-detail", args=[stopped.pk]))
        .content.decode()
    )
    assert "over 1 day " in page and "1 cycle, every" in page
    history = client_for(clinician).get(reverse("orders:order-detail", args=[successor.pk]))
    text = visible(history.content.decode())
    assert "cycles: 6 → 3" in text


def test_version_two_lists_only_what_changed_with_its_value_before(
    clinician, client_for, draft, sign
):
    signed = sign(draft, clinician)
    successor = order_update(
        signed, by=clinician, version=signed.version, cycles=3, notes="Shorter course"
    )
    page = client_for(clinician).get(reverse("orders:order-detail", args=[successor.pk]))
    html = page.content.decode()
    history = html[html.index('data-testid="history"') :]
    created = history[history.index("Version 2") :]
    created = created[: created.index("</tr>")]
    assert "cycles: <del>6</del> → <ins>3</ins>" in created
    assert "notes: <del>—</del> → <ins>Shorter course</ins>" in created
    assert "product" not in created and "premedication" not in created


def test_the_same_vial_size_twice_is_said_in_words(pharmacist, client_for):
    response = client_for(pharmacist).post(
        reverse("formulary:product-create"), product_post(vial_sizes=[("5", True), ("5", True)])
    )
    text = visible(response.content.decode())
    assert "The same vial size is given twice: give each size once." in text
    assert_plain(text, "product form")
    assert not Product.objects.filter(brand_name="Newgam").exists()


def test_a_product_form_out_of_range_is_in_plain_words(pharmacist, client_for):
    for changes in (
        {"vial_sizes": [("0", True)]},
        {"vial_sizes": [("123456789", True)]},
        {"concentration_pct": "0"},
    ):
        response = client_for(pharmacist).post(
            reverse("formulary:product-create"), product_post(**changes)
        )
        assert_plain(visible(response.content.decode()), f"product form {changes}")


def test_days_a_cycle_on_the_booking_page_are_counted_in_words(clinician, nurse, client_for, sign):
    """ "5 days a cycle", "1 day a cycle": never "day(s)" (the booking page reads the order)."""
    for days, dose in ((5, Decimal("2")), (1, Decimal("1"))):
        patient = worked_example_patient(clinician)
        values = order_values(patient, days_per_cycle=days, cycles=1, total_dose_g_per_kg=dose)
        order = sign(
            order_create(by=clinician, **values),
            clinician,
        )
        page = client_for(nurse).get(reverse("infusions:book", args=[order.pk, 1]))
        text = visible(page.content.decode())
        assert f"{days} day{'s' if days > 1 else ''} a cycle" in text
        assert "(s)" not in text
