"""Small things of issue "Pages a clinician trusts at a glance": 403s logged on one line, the
favicon, anonymous visitors sent to sign in."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_403_is_logged_once_on_one_line(nurse, client_for):
    logger = logging.getLogger("django.request")
    handler = Records()
    logger.addHandler(handler)
    try:
        assert client_for(nurse).get(reverse("orders:order-create")).status_code == 403
    finally:
        logger.removeHandler(handler)
    [record] = handler.records
    assert record.getMessage() == "Forbidden (Permission denied): /orders/new/"
    assert record.exc_info is None and record.exc_text is None
    assert "\n" not in handler.format(record)


def test_anonymous_visitors_to_the_api_docs_are_sent_to_sign_in() -> None:
    response = Client().get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_favicon_is_linked_and_served(clinician, client_for) -> None:
    page = client_for(clinician).get(reverse("orders:home")).content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    response = Client().get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"].endswith("favicon.svg")


def test_every_beat_entry_names_a_registered_task(settings):
    """A renamed or moved task would leave beat sending a name no worker knows (silently)."""
    from ivig.celery import app

    app.loader.import_default_modules()  # what a worker does at start: every app's tasks
    registered = set(app.tasks.keys())
    missing = {
        name: entry["task"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in registered
    }
    assert not missing


def test_the_web_worker_keeps_what_it_loaded_out_of_full_collections() -> None:
    """ivig.wsgi freezes the objects loaded at start-up (Django, the apps, their modules): the
    garbage collector's full passes no longer walk them every few dozen requests."""
    import gc
    import importlib

    import ivig.wsgi

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    importlib.reload(ivig.wsgi)
    assert gc.get_freeze_count() > 100_000
    gc.unfreeze()
