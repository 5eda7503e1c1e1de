"""The Celery app: tasks are autodiscovered from every installed app's ``tasks.py``.

Run a worker with ``celery -A ivig.celery worker`` and the scheduler with
``celery -A ivig.celery beat``; the schedule is ``CELERY_BEAT_SCHEDULE`` in settings.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivig.settings")

app = Celery("ivig")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
