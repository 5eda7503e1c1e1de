"""The stewardship report's urgent starts (docs/clinical-rules.md 3.10) read from the few urgent
orders, not from every order of the centre, and only what the report shows of them."""

from datetime import date

from django.db.models import Q

from orders.models import Order
from reports import stewardship


def test_urgent_orders_have_an_index_of_their_own():
    urgent = [index for index in Order._meta.indexes if index.condition == Q(urgent=True)]
    assert [index.name for index in urgent] == ["order_urgent"]


def test_urgent_starts_read_neither_the_plan_nor_the_order_columns_not_shown():
    sql = str(stewardship.urgent_starts(date(2026, 1, 1), date(2026, 12, 31)).query)
    assert "plan_at_signing" not in sql
    assert '"orders_order"."notes"' not in sql
    assert '"orders_indication"."name"' in sql  # what the report shows, joined
