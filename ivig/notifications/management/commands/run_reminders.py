"""``manage.py run_reminders``: run DESIGN 8's daily sweeps now, in this process (the same
services the Celery beat schedule runs at 06:00), and print what they did."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ivig.notifications.reminders import authorization_follow_ups, cycle_reminders


class Command(BaseCommand):
    help = "Run the cycle reminders and authorization follow-ups now; print their counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", type=date.fromisoformat, help="Run as of this date (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--only", choices=("cycles", "authorizations"), help="Run one sweep only."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"]
        sweeps = {"cycles": cycle_reminders, "authorizations": authorization_follow_ups}
        for name, sweep in sweeps.items():
            if options["only"] and options["only"] != name:
                continue
            counts = sweep(today)
            summary = ", ".join(f"{key} {value}" for key, value in counts.items())
            self.stdout.write(f"{name}: {summary}")
