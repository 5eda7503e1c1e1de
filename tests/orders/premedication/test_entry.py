"""Premedication entered line by line on the order form and the order API
(docs/clinical-rules.md 3.5): through the real routes, with a field message for each bad line,
and PREMEDICATION_DOSE_HIGH raised by the engine from the lines entered."""

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, OrderStatus
from orders.services import order_create
from tests.orders.factories import order_values
from tests.orders.premedication.test_lines import child, lines_of
from tests.orders.test_order_api import ORDERS, detail, new_order, post, sign_body
from tests.orders.test_order_views import form_data

pytestmark = pytest.mark.django_db


def rows(*lines: tuple[str, ...]) -> dict[str, str]:
    """The form's premedication rows for ``lines`` (drug, dose[, route[, minutes]])."""
    data = {
        "premedication-TOTAL_FORMS": str(len(lines) + 2),
        "premedication-INITIAL_FORMS": str(len(lines)),
    }
    for i, (drug, dose, *rest) in enumerate(lines):
        data.update(
            {
                f"premedication-{i}-drug": drug,
                f"premedication-{i}-dose": dose,
                f"premedication-{i}-route": rest[0] if rest else "",
                f"premedication-{i}-minutes_before": rest[1] if len(rest) > 1 else "",
            }
        )
    return data


def form_with(patient: Any, *lines: tuple[str, ...]) -> dict[str, Any]:
    data = form_data(patient)
    for key in [key for key in data if key.startswith("premedication-")]:
        del data[key]
    return {**data, **rows(*lines)}


# --- the order form --------------------------------------------------------------------------


def test_the_rows_share_one_reading_of_the_drug_catalogue(
    clinician, client_for, worked_patient
) -> None:
    """Issue 21: every row offers every drug, read once for the page, not once per row."""
    path = reverse("orders:order-create") + f"?patient={worked_patient.pk}"
    with CaptureQueriesContext(connection) as queries:
        page = client_for(clinician).get(path).content.decode()
    rows = page.count('data-testid="premedication-row"')
    assert rows == 4  # the two default lines and two blank rows
    assert page.count('<option value="diphenhydramine"') == rows
    assert page.count('<option value="diphenhydramine" selected>') == 1
    drug_reads = [q for q in queries if 'FROM "formulary_premedicationdrug"' in q["sql"]]
    assert len(drug_reads) == 2, "the patient's default lines, then the rows' options"


def test_the_form_saves_the_lines_entered(clinician, client_for, worked_patient) -> None:
    data = form_with(worked_patient, ("cetirizine", "10"), ("hydrocortisone", "100", "IV", "15"))
    response = client_for(clinician).post(reverse("orders:order-create"), data)
    assert response.status_code == 302
    order = Order.objects.get()
    assert lines_of(order) == [
        ("cetirizine", Decimal(10), "mg", "PO", 30),  # blank route and minutes: the defaults
        ("hydrocortisone", Decimal(100), "mg", "IV", 15),
    ]
    assert order.premedication == ""


def test_a_removed_or_blank_row_is_no_line(clinician, client_for, worked_patient) -> None:
    data = form_with(worked_patient, ("cetirizine", "10"), ("acetaminophen", "500"))
    data["premedication-1-remove"] = "on"
    assert client_for(clinician).post(reverse("orders:order-create"), data).status_code == 302
    assert [line[0] for line in lines_of(Order.objects.get())] == ["cetirizine"]


@pytest.mark.parametrize(
    ("lines", "field", "said"),
    [
        ((("nosuchdrug", "10"),), "drug", "Select a valid choice"),
        ((("cetirizine", ""),), "dose", "Give the dose of Cetirizine."),
        ((("", "10"),), "drug", "Choose the drug."),
        ((("cetirizine", "0"),), "dose", "The dose must be above 0."),
        ((("cetirizine", "41"),), "dose", "more than 4 times the adult dose"),
        ((("cetirizine", "abc"),), "dose", "Enter a number."),
        ((("cetirizine", "10", "PO", "45"),), "minutes_before", "15 to 30 minutes"),
        ((("cetirizine", "10"), ("cetirizine", "5")), "drug", "on another line already"),
    ],
)
def test_a_bad_line_is_a_form_error_on_its_field(
    clinician, client_for, worked_patient, lines, field, said
) -> None:
    response = client_for(clinician).post(
        reverse("orders:order-create"), form_with(worked_patient, *lines)
    )
    assert response.status_code == 400
    formset = response.context["form"].lines
    messages = " ".join(" ".join(form.errors.get(field, [])) for form in formset.forms)
    assert said in messages
    assert "Premedication: correct the lines marked below." in response.content.decode()
    assert not Order.objects.exists()


def test_more_lines_shows_the_rows_typed_and_blank_ones(
    clinician, client_for, worked_patient
) -> None:
    data = {**form_with(worked_patient, ("cetirizine", "10")), "more_lines": "1"}
    response = client_for(clinician).post(reverse("orders:order-create"), data)
    assert response.status_code == 200
    formset = response.context["form"].lines
    assert [form["drug"].value() for form in formset.forms] == ["cetirizine", None, None]
    assert not Order.objects.exists()


def test_the_edit_form_shows_the_orders_lines(clinician, client_for, worked_patient) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    response = client_for(clinician).get(reverse("orders:order-edit", args=[order.pk]))
    formset = response.context["form"].lines
    assert [(f["drug"].value(), f["dose"].value()) for f in formset.forms[:2]] == [
        ("diphenhydramine", "25"),
        ("acetaminophen", "500"),
    ]


def test_the_preview_raises_premedication_dose_high_from_the_lines(clinician, client_for) -> None:
    patient = child(clinician)  # 12 kg: diphenhydramine up to 15 mg
    client = client_for(clinician)
    over = client.post(
        reverse("orders:order-preview"), form_with(patient, ("diphenhydramine", "16"))
    )
    assert 'data-testid="finding-PREMEDICATION_DOSE_HIGH"' in over.content.decode()
    assert "Diphenhydramine 16 mg is 1.33 mg/kg" in over.content.decode()
    at = client.post(reverse("orders:order-preview"), form_with(patient, ("diphenhydramine", "15")))
    assert 'data-testid="finding-PREMEDICATION_DOSE_HIGH"' not in at.content.decode()


# --- the API ---------------------------------------------------------------------------------


def test_the_api_takes_the_lines(clinician, client_for, worked_patient) -> None:
    body = new_order(
        worked_patient,
        premedication_lines=[
            {"drug": "cetirizine", "dose": "10", "unit": "mg", "route": "PO"},
            {"drug": "hydrocortisone", "dose": "100", "minutes_before_start": 15},
        ],
    )
    response = post(client_for(clinician), ORDERS, body)
    assert response.status_code == 201, response.json()
    assert response.json()["premedication_lines"] == [
        {"drug": "cetirizine", "dose": "10.00", "unit": "mg", "route": "PO",
         "minutes_before_start": 30},
        {"drug": "hydrocortisone", "dose": "100.00", "unit": "mg", "route": "IV",
         "minutes_before_start": 15},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "field", "said"),
    [
        ({"drug": "nosuchdrug", "dose": "10"}, "drug", "No premedication drug “nosuchdrug”"),
        ({"drug": "cetirizine", "dose": "0"}, "dose", "The dose must be above 0."),
        ({"drug": "cetirizine", "dose": "50"}, "dose", "more than 4 times the adult dose"),
        ({"drug": "cetirizine", "dose": "10", "minutes_before_start": 5}, "minutes_before_start",
         "15 to 30 minutes"),
        ({"drug": "cetirizine", "dose": "10", "route": "SC"}, "route", "not a valid choice"),
        ({"drug": "cetirizine", "dose": "10", "unit": "g"}, "unit", "not a valid choice"),
        ({"drug": "cetirizine"}, "dose", "required"),
        ({"drug": "cetirizine", "dose": "10", "text": "x"}, "text", "Unknown field."),
    ],
)  # fmt: skip
def test_a_bad_line_is_a_400_on_its_field(
    clinician, client_for, worked_patient, line, field, said
) -> None:
    body = new_order(
        worked_patient, premedication_lines=[{"drug": "acetaminophen", "dose": "500"}, line]
    )
    response = post(client_for(clinician), ORDERS, body)
    assert response.status_code == 400
    (message,) = response.json()["field_errors"][f"premedication_lines.{field}"]
    assert message.startswith("Line 2: ")  # the good first line is not named
    assert said in message
    assert not Order.objects.exists()


def test_the_api_refuses_a_drug_twice(clinician, client_for, worked_patient) -> None:
    twice = [{"drug": "cetirizine", "dose": "10"}, {"drug": "cetirizine", "dose": "5"}]
    response = post(
        client_for(clinician), ORDERS, new_order(worked_patient, premedication_lines=twice)
    )
    assert response.status_code == 400
    (message,) = response.json()["field_errors"]["premedication_lines.drug"]
    assert message == "Line 2: Cetirizine is on another line already: give it once."


def test_the_api_no_longer_takes_premedication_text(clinician, client_for, worked_patient) -> None:
    response = post(
        client_for(clinician), ORDERS, new_order(worked_patient, premedication="cetirizine 10 mg")
    )
    assert response.status_code == 400
    assert response.json()["field_errors"]["premedication"] == ["Unknown field."]


def test_a_change_through_the_api_replaces_or_copies_the_lines(
    clinician, client_for, worked_patient
) -> None:
    client = client_for(clinician)
    order = order_create(by=clinician, **order_values(worked_patient))
    changed = client.patch(
        detail(order),
        {"version": order.version, "premedication_lines": [{"drug": "cetirizine", "dose": "10"}]},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert [line["drug"] for line in changed.json()["premedication_lines"]] == ["cetirizine"]
    order.refresh_from_db()
    signed = post(client, detail(order, "sign"), sign_body(order))
    assert signed.status_code == 200, signed.json()
    order.refresh_from_db()
    assert order.status == OrderStatus.SIGNED
    successor = client.patch(
        detail(order), {"version": order.version, "cycles": 3}, content_type="application/json"
    )
    assert successor.status_code == 201
    assert successor.json()["premedication_lines"][0]["drug"] == "cetirizine"  # copied


def test_an_order_written_before_the_lines_shows_its_text_until_lines_replace_it(
    clinician, client_for, worked_patient
) -> None:
    order = order_create(by=clinician, **order_values(worked_patient))
    Order.objects.filter(pk=order.pk).update(premedication="diphenhydramine 25 mg; Tylenol 1 tab")
    client = client_for(clinician)
    page = client.get(reverse("orders:order-edit", args=[order.pk])).content.decode()
    assert 'data-testid="premedication-written-before"' in page
    assert "Tylenol 1 tab" in page
    data = {**form_with(order, ("diphenhydramine", "25"), ("acetaminophen", "650")), "version": 1}
    assert client.post(reverse("orders:order-edit", args=[order.pk]), data).status_code == 302
    order.refresh_from_db()
    assert order.premedication == ""
    assert lines_of(order)[1] == ("acetaminophen", Decimal(650), "mg", "PO", 30)
