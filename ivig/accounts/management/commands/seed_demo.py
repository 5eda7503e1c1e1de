"""``manage.py seed_demo``: idempotent demo data for a laptop run (docs/clinical-rules.md 9).

Each project app may offer ``<app>.demo.seed() -> list[str]``; they run in INSTALLED_APPS order
inside one transaction, so a failed seed leaves nothing half-made.
"""

from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

# The demo authorizations approve courses the infusions demo has already booked: they come last.
PROJECT_APPS = ("accounts", "audit", "formulary", "orders", "infusions", "authorizations")


class Command(BaseCommand):
    help = "Create (or complete) the demo users and demo data. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            for label in PROJECT_APPS:
                module_name = f"{apps.get_app_config(label).name}.demo"
                try:
                    demo = import_module(module_name)
                except ModuleNotFoundError as error:
                    if error.name != module_name:
                        raise
                    continue
                for line in demo.seed():
                    self.stdout.write(f"{label}: {line}")
