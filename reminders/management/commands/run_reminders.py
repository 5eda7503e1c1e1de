"""``manage.py run_reminders``: run the daily sweeps now, in this process (the same services the
Celery beat schedule runs: docs/clinical-rules.md 6's missed sessions at 00:15,
docs/clinical-rules.md 8's reminders at 06:00), and print what they did. Missed sessions are marked
first, as the beat schedule does."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from infusions.booking.services import sessions_mark_missed
from reminders.sweeps import authorization_follow_ups, cycle_reminders


def missed_sessions(today: date | None = None) -> dict[str, int]:
    return {"missed": sessions_mark_missed(today)}


class Command(BaseCommand):
    help = (
        "Mark past sessions that never started as missed, run the cycle reminders and the "
        "authorization follow-ups now; print their counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", type=date.fromisoformat, help="Run as of this date (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--only", choices=("sessions", "cycles", "authorizations"), help="Run one sweep only."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"]
        sweeps = {
            "sessions": missed_sessions,
            "cycles": cycle_reminders,
            "authorizations": authorization_follow_ups,
        }
        for name, sweep in sweeps.items():
            if options["only"] and options["only"] != name:
                continue
            counts = sweep(today)
            summary = ", ".join(f"{key} {value}" for key, value in counts.items())
            self.stdout.write(f"{name}: {summary}")
