"""Issue 19, "Garbled orders": choosing the patient (or the indication) on *New order* swaps the
form's fields in again from what was posted. Every field must come back exactly as typed, and the
order saved from the refreshed fields must carry exactly that text (never ``['…']``)."""

from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Indication, Order
from orders.services import order_create, order_sign

from ..conftest import TEST_PASSWORD
from ..dates import next_monday
from .factories import PatientFactory, PatientWeightFactory, order_values
from .test_order_views import form_data

pytestmark = pytest.mark.django_db

# docs/clinical-rules.md 3.5: the premedication rows as typed (one line, two blank rows).
PREMEDICATION = {
    "premedication-TOTAL_FORMS": "3",
    "premedication-INITIAL_FORMS": "1",
    "premedication-0-drug": "cetirizine",
    "premedication-0-dose": "10",
    "premedication-0-route": "PO",
    "premedication-0-minutes_before": "20",
}
HYDRATION = "0.9% NaCl 500 mL over 1 h before; 'slowly' & <carefully>"
COTHERAPY = "mycophenolate 1 g BID"
NOTES = "Line one.\nLine two, with \"quotes\" and a ['bracket']."
TYPED = {
    **PREMEDICATION,
    "hydration": HYDRATION,
    "concomitant_immunosuppressant": COTHERAPY,
    "notes": NOTES,
    "target_rate_ml_per_h": "150",
    "weight_today_kg": "81.5",
    "total_dose_g_per_kg": "2",
    "days_per_cycle": "4",
    "cycles": "5",
    "cycle_interval_days": "21",
    # Not the factories' start (next_monday()): a day the form would not offer by itself.
    "start_date": next_monday(weeks_ahead=8).isoformat(),
    "dosing_weight_basis": "actual",
    "rate_protocol": "protocol",
}


class FormFields(HTMLParser):
    """The values a browser would post from an HTML fragment: inputs, textareas, selects."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind not in ("submit", "button"):
                self.values[name] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attributes:
            self.values[self._select] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            # A browser drops the one newline that follows <textarea>.
            text = self.values[self._textarea] + data
            self.values[self._textarea] = text[1:] if text.startswith("\n") else text


def fields_of(html: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(html)
    return parser.values


@pytest.fixture
def filled(worked_patient) -> dict[str, Any]:
    """The form with every field filled in, the patient just chosen."""
    return form_data(worked_patient, **TYPED)


def test_choosing_the_patient_brings_every_field_back_as_typed(clinician, client_for, filled):
    response = client_for(clinician).post(reverse("orders:order-form-fields"), filled)
    assert response.status_code == 200
    shown = fields_of(response.content.decode())
    for name, typed in TYPED.items():
        if name == "weight_today_kg":
            continue  # outside the swapped fields
        assert shown[name] == typed, name
    assert shown["indication"] == str(filled["indication"])
    assert shown["product"] == str(filled["product"])
    assert 'class="errorlist"' not in response.content.decode()


def test_a_half_filled_form_comes_back_without_errors_on_untouched_fields(
    clinician, client_for, worked_patient
):
    """The patient is often chosen first: the refresh shows what was typed, no error yet."""
    partial = {"patient": worked_patient.pk, **PREMEDICATION, "cycles": ""}
    response = client_for(clinician).post(reverse("orders:order-form-fields"), partial)
    page = response.content.decode()
    assert response.status_code == 200
    assert fields_of(page)["premedication-0-dose"] == "10"
    assert "This field is required" not in page.split('id="preview"')[0]


def test_the_order_saved_from_the_refreshed_fields_is_exactly_what_was_typed(
    clinician, client_for, filled, worked_patient
):
    client = client_for(clinician)
    refreshed = fields_of(client.post(reverse("orders:order-form-fields"), filled).content.decode())
    # What the browser posts on "Save draft": the patient part of the form, the refreshed fields.
    posted = {
        "patient": worked_patient.pk,
        "weight_today_kg": "",
        "confirm_unusual": "",
        **refreshed,
    }
    response = client.post(reverse("orders:order-create"), posted)
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert order.premedication == ""
    (line,) = order.premedication_lines.all()
    assert (line.drug.slug, line.dose, line.route, line.minutes_before) == (
        "cetirizine",
        Decimal(10),
        "PO",
        20,
    )
    assert order.hydration == HYDRATION.replace("\n", "\r\n")
    assert order.concomitant_immunosuppressant == COTHERAPY
    assert order.notes.replace("\r\n", "\n") == NOTES
    assert order.target_rate_ml_per_h == 150
    assert (order.days_per_cycle, order.cycles, order.cycle_interval_days) == (4, 5, 21)
    page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert "[&#x27;diphenhydramine" not in page and "&#x27;]" not in page.replace(
        "bracket&#x27;]", ""
    )
    # docs/clinical-rules.md 3.5: shown as the lines typed.
    assert "Cetirizine 10 mg PO, 20 min before the start" in page


def test_applying_the_indication_defaults_keeps_the_free_text_and_lines(
    clinician, client_for, filled
):
    kawasaki = Indication.objects.get(slug="kawasaki-disease")
    filled.update(indication=kawasaki.pk, apply_defaults="1")
    response = client_for(clinician).post(reverse("orders:order-form-fields"), filled)
    shown = fields_of(response.content.decode())
    assert shown["days_per_cycle"] == str(kawasaki.default_days_per_cycle)
    assert (shown["premedication-0-drug"], shown["hydration"], shown["notes"]) == (
        "cetirizine",
        HYDRATION,
        NOTES,
    )
    assert shown["target_rate_ml_per_h"] == "150"


def test_a_new_version_keeps_the_dates_and_cycles_typed_on_a_refresh(
    clinician, client_for, worked_patient
):
    """An order under treatment offers the next version's start; a refresh keeps what was typed
    instead of offering it again."""
    order = order_create(by=clinician, **order_values(worked_patient))
    order = order_sign(
        order, by=clinician, password=TEST_PASSWORD, override_reasons={}, version=order.version
    )
    Order.objects.filter(pk=order.pk).update(status="active")
    data = form_data(order, **TYPED, order=order.pk)
    response = client_for(clinician).post(reverse("orders:order-form-fields"), data)
    shown = fields_of(response.content.decode())
    assert (shown["start_date"], shown["cycles"]) == (TYPED["start_date"], "5")


def test_choosing_a_child_prefills_the_weight_based_premedication(clinician, client_for, filled):
    """docs/clinical-rules.md 3.5: the patient chosen (the select's ``premedication_defaults``),
    the lines start again from that patient's defaults, and the preview judges them."""
    child = PatientFactory.create(
        date_of_birth=timezone.localdate() - timedelta(days=3 * 365 + 30), height_cm=Decimal(90)
    )
    PatientWeightFactory.create(patient=child, weight_kg=Decimal(12), recorded_by=clinician)
    as_offered = {  # the adult defaults the form offers before a patient, untouched
        "premedication-TOTAL_FORMS": "4",
        "premedication-INITIAL_FORMS": "2",
        "premedication-0-drug": "diphenhydramine",
        "premedication-0-dose": "25",
        "premedication-0-route": "PO",
        "premedication-0-minutes_before": "30",
        "premedication-1-drug": "acetaminophen",
        "premedication-1-dose": "500",
        "premedication-1-route": "PO",
        "premedication-1-minutes_before": "30",
    }
    filled.update(patient=child.pk, premedication_defaults="1", weight_today_kg="", **as_offered)
    response = client_for(clinician).post(reverse("orders:order-form-fields"), filled)
    shown = fields_of(response.content.decode())
    rows = [(shown[f"premedication-{i}-drug"], shown[f"premedication-{i}-dose"]) for i in range(2)]
    assert rows == [("diphenhydramine", "12"), ("acetaminophen", "180")]
    assert shown["premedication-2-drug"] == ""
    assert "PREMEDICATION_DOSE_HIGH" not in response.content.decode()


def test_lines_changed_before_the_patient_is_chosen_stay_as_typed(clinician, client_for, filled):
    """Issue 19: what the clinician typed survives the patient's refresh; only lines still as
    offered become the patient's defaults."""
    filled.update(premedication_defaults="1")
    response = client_for(clinician).post(reverse("orders:order-form-fields"), filled)
    shown = fields_of(response.content.decode())
    assert (shown["premedication-0-drug"], shown["premedication-0-dose"]) == ("cetirizine", "10")
