"""Per-request overhead: a signed-in page reads the session but does not save it on every
request; the idle clock is renewed at most once per ``SESSION_IDLE_RENEWAL_SECONDS``
(ivig/accounts/middleware.py, README "Configuration")."""

import time
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def _session_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if "django_session" in query["sql"] and query["sql"].lstrip().upper().startswith(WRITES)
    ]


def _get(client, seconds_from_now: float):
    """One request with the timeouts' clock moved, counting queries and session saves."""
    store = type(client.session)
    with (
        mock.patch("ivig.accounts.middleware.now", return_value=time.time() + seconds_from_now),
        mock.patch.object(store, "save", autospec=True, side_effect=store.save) as save,
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get(reverse("orders:home"))
    assert response.status_code == 200
    return save.call_count, queries


def test_a_signed_in_page_does_not_save_the_session_on_every_request(clinician, client_for):
    client = client_for(clinician)  # signing in starts both clocks
    saves, queries = _get(client, 0)
    assert saves == 0
    assert _session_writes(queries) == []

    saves, queries = _get(client, 1)
    assert saves == 0
    assert _session_writes(queries) == []
    if settings.SESSION_ENGINE.endswith(".cache"):  # with Redis: not even a read
        assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]

    saves, queries = _get(client, settings.SESSION_IDLE_RENEWAL_SECONDS - 1)
    assert saves == 0
    assert _session_writes(queries) == []


def test_the_idle_clock_is_renewed_once_a_minute_at_most(clinician, client_for):
    client = client_for(clinician)
    renewal = settings.SESSION_IDLE_RENEWAL_SECONDS
    assert _get(client, 0)[0] == 0
    assert _get(client, renewal)[0] == 1
    assert _get(client, renewal + 1)[0] == 0
    assert _get(client, 2 * renewal)[0] == 1


def test_a_signed_in_request_costs_fewer_queries_than_before(clinician, client_for):
    """The session costs at most one read (database engine) and nothing with Redis."""
    client = client_for(clinician)
    _get(client, 0)
    _, queries = _get(client, 1)
    session_queries = [q for q in queries.captured_queries if "django_session" in q["sql"]]
    assert len(session_queries) <= (0 if settings.SESSION_ENGINE.endswith(".cache") else 1)
