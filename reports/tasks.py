"""Celery tasks of the reports app: call a service, nothing else (STYLE)."""

from typing import Any

from celery import shared_task

from ivig.tasks import RETRY

from . import rollup


@shared_task(name="reports.stewardship_rollup", **RETRY)
def stewardship_rollup(self: Any) -> int:
    """The stewardship roll-up's days changed since it was last counted, counted again
    (reports/rollup.py; idempotent, run by beat every 10 minutes)."""
    return rollup.refresh_rollup()
