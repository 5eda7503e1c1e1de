"""``manage.py seed_scale --patients N``: a centre of realistic size, for measuring (README;
what it makes: demo/seeding/scale_centre.py)."""

import random
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from demo.seeding.scale_centre import (
    DEFAULT_PASSWORD,
    analyze,
    scale_chairs,
    scale_patients_count,
    scale_users,
    seed_centre,
)


class Command(BaseCommand):
    help = "Seed a centre of N patients (orders, authorizations, sessions) for measuring."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=10_000)
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        wanted: int = options["patients"]
        started = timezone.now()
        users = scale_users(options["password"])
        scale_chairs()
        existing = scale_patients_count()
        if existing >= wanted:
            self.stdout.write(f"seed_scale: {existing} patients already, nothing to do")
            return
        rng = random.Random(options["seed"] + existing)
        with transaction.atomic():
            made = seed_centre(range(existing, wanted), users, rng)
        analyze()
        call_command("rebuild_rollups", stdout=self.stdout)  # the derived tables (reports app)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(f"seed_scale: {made} in {seconds:.0f} s")
