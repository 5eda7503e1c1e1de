"""Fill ``Order.next_cycle`` and ``next_cycle_due`` (orders 0013) from each order's live sessions,
as ``infusions.booking.refresh_next_cycles`` keeps them from now on (the rule restated here as
it stands today: a migration does not import code that may change)."""

from datetime import timedelta

from django.db import migrations

LIVE_STATUSES = ("tentative", "booked", "in_progress", "completed")


def fill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    InfusionSession = apps.get_model("infusions", "InfusionSession")
    booked: dict[int, set[int]] = {}
    live = InfusionSession.objects.filter(status__in=LIVE_STATUSES)
    for order_id, cycle_number in live.values_list("order_id", "cycle_number").iterator():
        booked.setdefault(order_id, set()).add(cycle_number)
    changed = []
    orders = Order.objects.only("pk", "cycles", "start_date", "cycle_interval_days")
    for order in orders.iterator():
        taken = booked.get(order.pk, set())
        number = next((n for n in range(1, order.cycles + 1) if n not in taken), None)
        order.next_cycle = number
        order.next_cycle_due = (
            None
            if number is None
            else order.start_date + timedelta(days=(number - 1) * order.cycle_interval_days)
        )
        changed.append(order)
    Order.objects.bulk_update(changed, ["next_cycle", "next_cycle_due"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("infusions", "0006_session_overrides"),
        ("orders", "0013_order_next_cycle"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
