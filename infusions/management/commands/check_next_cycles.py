"""``manage.py check_next_cycles [--fix]``: the stored next cycle to book of every order
(``Order.next_cycle``, ``next_cycle_due``) against its sessions
(``booking.selectors.stale_next_cycles``);
exits non-zero when one differs, and with ``--fix`` stores them again
(``booking.next_cycles.refresh_next_cycles``)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from infusions.booking.next_cycles import refresh_next_cycles
from infusions.booking.selectors import stale_next_cycles


class Command(BaseCommand):
    help = "Check (and with --fix, store again) every order's next cycle to book."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="store the values again")

    def handle(self, *args: Any, **options: Any) -> None:
        stale = stale_next_cycles()
        for row in stale[:20]:
            self.stdout.write(
                f"order {row.order_id}: stored {row.stored}, sessions say {row.from_sessions}"
            )
        if not stale:
            self.stdout.write("check_next_cycles: every order's next cycle is true")
            return
        if options["fix"]:
            refresh_next_cycles(row.order_id for row in stale)
            self.stdout.write(f"check_next_cycles: {len(stale)} stored again")
            return
        raise CommandError(f"{len(stale)} order(s) with a stale next cycle (--fix stores them)")
