"""Lot recall look-up (issue 23): every patient and session that received a lot of a product,
for pharmacists, as a page, a CSV and through the API, with a button that notifies each
patient's clinicians."""

import csv
import io

import pytest
from django.urls import reverse

from formulary.models import Product
from infusions.administration import services as administration
from infusions.administration.entries import parse_entry
from ivig.notifications.models import Kind, Notification
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db


def _lot(session, nurse, lot, size="20", count=1, clock="09:12"):
    return administration.administration_record(
        session,
        parse_entry(
            {"kind": "lot_recorded", "lot_number": lot, "vial_size_g": size, "vial_count": count}
        ),
        by=nurse,
        occurred_at=yesterday_at(clock),
    )


@pytest.fixture
def recalled(nurse):
    """Lot P123 of Privigen given to two patients (one recorded as "p123"); P999 to a third;
    P123 of another product to a fourth."""
    first = verified_order(status=OrderStatus.ACTIVE)
    second = verified_order(status=OrderStatus.ACTIVE)
    second.patient.family_name = "=HYPERLINK"
    second.patient.given_name = "=HYPERLINK"
    second.patient.save()
    third = verified_order(status=OrderStatus.ACTIVE)
    other_product = verified_order(
        status=OrderStatus.ACTIVE, product=Product.objects.get(slug="gamunex-c")
    )
    sessions = [
        session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)
        for order in (first, second, third, other_product)
    ]
    _lot(sessions[0], nurse, "P123", size="20", count=1)
    _lot(sessions[0], nurse, "P124", size="5", count=1)
    _lot(sessions[1], nurse, "p123", size="10", count=2)
    _lot(sessions[2], nurse, "P999")
    _lot(sessions[3], nurse, "P123")
    return first, second, sessions


def test_the_page_finds_every_session_of_the_lot(client_for, pharmacist, nurse, recalled):
    first, second, _ = recalled
    url = reverse("infusions:lot-recall")
    page = client_for(pharmacist).get(url, {"product": "privigen", "lot": " P123 "})
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count('data-testid="lot-row"') == 2
    assert "2 recorded uses of lot P123 of Privigen" in text
    assert first.number in text and second.number in text
    assert "1 \u00d7 20 g" in text and "2 \u00d7 10 g" in text and "nurse-test" in text
    assert client_for(nurse).get(url, {"product": "privigen", "lot": "P123"}).status_code == 403


def test_the_csv_lists_them_safely(client_for, pharmacist, recalled):
    response = client_for(pharmacist).get(
        reverse("infusions:lot-recall-csv"), {"product": "privigen", "lot": "P123"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["product", "lot", "patient"]
    assert len(rows) == 3
    assert {row[9] for row in rows[1:]} == {"20"}  # grams: 1 x 20 g and 2 x 10 g
    names = [row[2] for row in rows[1:]]
    assert any(name.startswith("'=HYPERLINK") for name in names)  # never a formula
    bad = client_for(pharmacist).get(reverse("infusions:lot-recall-csv"), {"product": "privigen"})
    assert bad.status_code == 400


def test_notify_each_patients_clinicians_once(client_for, pharmacist, recalled):
    first, second, _ = recalled
    client = client_for(pharmacist)
    data = {"product": "privigen", "lot": "P123"}
    assert client.post(reverse("infusions:lot-recall-notify"), data).status_code == 302
    notices = Notification.objects.filter(kind=Kind.LOT_RECALL)
    assert {n.recipient_id for n in notices} == {first.created_by_id, second.created_by_id}
    assert all("Privigen lot P123" in n.title for n in notices)
    client.post(reverse("infusions:lot-recall-notify"), data)
    assert Notification.objects.filter(kind=Kind.LOT_RECALL).count() == 2  # not twice


def test_the_api(client_for, pharmacist, nurse, recalled):
    client = client_for(pharmacist)
    body = client.get("/api/v1/lots/", {"product": "privigen", "lot": "P123"}).json()
    assert sorted(row["grams"] for row in body) == ["20.00", "20.00"]
    assert {row["recorded_by"] for row in body} == {"nurse-test"}
    missing = client.get("/api/v1/lots/", {"product": "privigen"})
    assert missing.status_code == 400 and "lot" in missing.json()["field_errors"]
    assert (
        client_for(nurse).get("/api/v1/lots/", {"product": "privigen", "lot": "P1"}).status_code
        == 403
    )
