"""The data migration that read old orders' premedication text into lines
(docs/clinical-rules.md 3.5): what parses becomes lines, the rest stays as written."""

from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps

from orders.premedication.services import premedication_shown
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

migration = import_module("orders.migrations.0021_parse_premedication_text")


def test_old_orders_text_becomes_lines_where_it_parses() -> None:
    parsed = OrderFactory.create(premedication="diphenhydramine 25 mg PO; acetaminophen 500 mg")
    partly = OrderFactory.create(premedication="Tylenol 1 tab; hydrocortisone 100 mg IV")
    blank = OrderFactory.create(premedication="")
    migration.parse_existing(apps, None)
    assert [
        (line.drug.slug, line.dose, line.route, line.minutes_before)
        for line in parsed.premedication_lines.select_related("drug")
    ] == [
        ("diphenhydramine", Decimal(25), "PO", 30),
        ("acetaminophen", Decimal(500), "PO", 30),
    ]
    shown = premedication_shown(partly)
    assert [line.drug.slug for line in shown.lines] == ["hydrocortisone"]
    assert shown.as_written == ("Tylenol 1 tab",)
    assert not blank.premedication_lines.exists()


def test_running_it_again_adds_nothing() -> None:
    order = OrderFactory.create(premedication="diphenhydramine 25 mg PO")
    migration.parse_existing(apps, None)
    migration.parse_existing(apps, None)
    assert order.premedication_lines.count() == 1
