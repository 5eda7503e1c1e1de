"""The orders app's Celery tasks, where Celery's autodiscovery looks (``<app>.tasks``); each
feature package keeps its own."""

from .labs.tasks import lab_import_process

__all__ = ["lab_import_process"]
