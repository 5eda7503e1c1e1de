"""The calendar feeds served from snapshots (infusions/feeds/services.py, docs/clinical-rules.md
6, calendar feeds): the stored body equals the feed built live; every kind of change the feeds
show moves the schedule's version and gives a new body; a 304 to ``If-None-Match``; gzip as
stored; each read logged with the snapshot's record set, and "who read patient X?" answered."""

import gzip
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from formulary.models import Product
from infusions.booking.models import SessionStatus
from infusions.feeds import ical, services
from infusions.feeds.models import FeedSnapshot, ScheduleChange
from infusions.feeds.selectors import feed_events, feed_window_start, schedule_version
from infusions.feeds.services import calendar_token_rotate, schedule_changes_compact
from infusions.models import Chair, InfusionSession
from ivig.audit.models import AccessLog
from ivig.audit.selectors import reads_of
from orders.models import Order, Patient
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

pytestmark = pytest.mark.django_db

DOMAIN = "testserver"
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate"}


@pytest.fixture
def chair():
    return ChairFactory.create(name="Chair 1")


@pytest.fixture
def session(chair, nurse):
    order = verified_order()
    return session_for(
        order, chair, local(timezone.localdate() + timedelta(days=1), "09:00"), by=nurse
    )


@pytest.fixture
def unit_url(nurse):
    return reverse("infusions:feed-unit", args=[calendar_token_rotate(nurse)])


def _body(response) -> bytes:
    assert response.status_code == 200
    if response.get("Content-Encoding") == "gzip":
        return gzip.decompress(response.content)
    return response.content


def _live(name: str = "IVIg infusion unit", chair: Chair | None = None) -> bytes:
    """The feed built now from the sessions, with the stored snapshot's time stamp."""
    scope = "unit" if chair is None else f"chair-{chair.pk}"
    stamp = FeedSnapshot.objects.get(scope=scope).built_at
    return ical.calendar_bytes(name, feed_events(feed_window_start(), chair), DOMAIN, stamp)


def test_the_stored_body_equals_the_feed_built_live(client, session, chair, nurse, unit_url):
    unit = client.get(unit_url, **GZIP)
    assert unit["Content-Encoding"] == "gzip"
    assert _body(unit) == _live()
    chair_url = reverse("infusions:feed-chair", args=[calendar_token_rotate(nurse), chair.pk])
    assert _body(client.get(chair_url)) == _live("IVIg Chair 1", chair)
    assert b"infusion-session-%d@" % session.pk in _body(client.get(chair_url))


def test_a_second_read_serves_the_snapshot_without_reading_the_sessions(
    client, session, unit_url, django_assert_max_num_queries
):
    first = client.get(unit_url, **GZIP)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(unit_url, **GZIP)
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert not [q for q in queries.captured_queries if "infusions_infusionsession" in q["sql"]]
    # the token and its user, its roles, its use noted, the version, the snapshot, the log
    assert len(queries) <= 8, [q["sql"][:80] for q in queries.captured_queries]
    assert FeedSnapshot.objects.count() == 1


def test_plain_when_gzip_is_not_accepted(client, session, unit_url):
    plain = client.get(unit_url)
    assert "Content-Encoding" not in plain
    assert plain.content == gzip.decompress(client.get(unit_url, **GZIP).content)
    assert plain["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Accept-Encoding" in plain["Vary"]
    assert plain["Cache-Control"] == "private, no-store" or set(
        plain["Cache-Control"].replace(" ", "").split(",")
    ) == {"private", "no-store"}


def test_if_none_match_answers_304_and_the_read_is_logged(client, session, unit_url, nurse):
    etag = client.get(unit_url)["ETag"]
    again = client.get(unit_url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert client.get(unit_url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert AccessLog.objects.filter(user=nurse).count() == 3


def _book(session: InfusionSession) -> None:
    order = verified_order()
    session_for(
        order, session.chair, session.planned_start + timedelta(hours=4), by=order.created_by
    )


def _move(session: InfusionSession) -> None:
    session.planned_start += timedelta(days=1)
    session.planned_end += timedelta(days=1)
    session.version += 1
    session.save()


def _cancel(session: InfusionSession) -> None:
    session.status = SessionStatus.CANCELLED
    session.version += 1
    session.save()


def _bulk_cancel(session: InfusionSession) -> None:
    session.status = SessionStatus.CANCELLED
    bulk_update_with_history([session], InfusionSession, ["status"], batch_size=100)


def _queryset_update(session: InfusionSession) -> None:
    InfusionSession.objects.filter(pk=session.pk).update(status=SessionStatus.MISSED)


def _delete(session: InfusionSession) -> None:
    InfusionSession.objects.filter(pk=session.pk).delete()


def _rename_chair(session: InfusionSession) -> None:
    Chair.objects.filter(pk=session.chair_id).update(name="Chair by the window")


def _patient(**values: Any) -> Callable[[InfusionSession], None]:
    def change(session: InfusionSession) -> None:
        patient = Patient.objects.get(pk=session.order.patient_id)
        for field, value in values.items():
            setattr(patient, field, value)
        patient.save()

    return change


def _rename_product(session: InfusionSession) -> None:
    Product.objects.filter(pk=session.order.product_id).update(brand_name="Privigen NEW")


def _other_product(session: InfusionSession) -> Product:
    other = Product.objects.exclude(pk=session.order.product_id).order_by("pk").first()
    assert other is not None
    return other


def _order_product(session: InfusionSession) -> None:
    Order.objects.filter(pk=session.order_id).update(product=_other_product(session))


def _uid(session: InfusionSession) -> bytes:
    return b"UID:infusion-session-%d@" % session.pk


def _moved_start() -> bytes:
    moved = local(timezone.localdate() + timedelta(days=2), "09:00")  # the fixture's, a day on
    return b"DTSTART:" + ical._utc(moved).encode()


def _brand_shown(product: Product) -> bytes:
    return f" · {product.brand_name} · ".encode()


CHANGES: dict[str, tuple[Callable[[InfusionSession], None], Callable[..., bool]]] = {
    "a session booked": (_book, lambda body, s: body.count(b"BEGIN:VEVENT") == 2),
    "a session moved": (
        _move,
        lambda body, s: _moved_start() in body,
    ),
    "a session cancelled": (_cancel, lambda body, s: b"STATUS:CANCELLED" in body),
    "sessions cancelled in bulk": (_bulk_cancel, lambda body, s: b"STATUS:CANCELLED" in body),
    "a queryset update": (_queryset_update, lambda body, s: b"Status: Missed" in body),
    "a session deleted": (_delete, lambda body, s: _uid(s) not in body),
    "a chair renamed": (_rename_chair, lambda body, s: b"Chair by the window" in body),
    "a given name changed": (_patient(given_name="Zoe"), lambda body, s: b"IVIg Z." in body),
    "a family name changed": (_patient(family_name="Quinn"), lambda body, s: b".Q. " in body),
    "an MRN changed": (_patient(mrn="MRN-CHANGED-9"), lambda body, s: b"MRN-CHANGED-9" in body),
    "a product renamed": (_rename_product, lambda body, s: b"Privigen NEW" in body),
    "an order's product changed": (
        _order_product,
        lambda body, s: _brand_shown(_other_product(s)) in body,
    ),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_kind_of_change_gives_a_new_body(client, session, unit_url, change) -> None:
    before = client.get(unit_url)
    version = schedule_version()[0]
    act, shows = CHANGES[change]
    assert not shows(_body(before).replace(b"\r\n ", b""), session)
    act(session)
    assert schedule_version()[0] > version
    after = client.get(unit_url)
    assert after["ETag"] != before["ETag"]
    assert _body(after) == _live()
    assert shows(_body(after).replace(b"\r\n ", b""), session)
    assert FeedSnapshot.objects.count() == 1  # the older snapshot is gone


def test_changes_the_feeds_do_not_show_keep_the_version(session) -> None:
    version = schedule_version()[0]
    patient = Patient.objects.get(pk=session.order.patient_id)
    patient.allergies = "Latex"
    patient.save()
    Chair.objects.filter(pk=session.chair_id).update(location="Second floor")
    Product.objects.filter(pk=session.order.product_id).update(brand_name="Privigen")
    assert schedule_version()[0] == version


def test_a_new_day_builds_the_new_window(client, session, unit_url, monkeypatch) -> None:
    client.get(unit_url)
    tomorrow = feed_window_start() + timedelta(days=1)
    monkeypatch.setattr(services, "feed_window_start", lambda: tomorrow)
    client.get(unit_url)
    assert list(FeedSnapshot.objects.values_list("window_start", flat=True)) == [tomorrow]


def test_folding_the_change_rows_keeps_the_version() -> None:
    ScheduleChange.objects.bulk_create([ScheduleChange(weight=1) for _ in range(1203)])
    ScheduleChange.objects.create(weight=40)
    version, rows = schedule_version()
    assert rows >= 1204
    schedule_changes_compact()
    assert schedule_version() == (version, 1)
    schedule_changes_compact()
    assert schedule_version() == (version, 1)


def test_a_feed_read_folds_the_change_rows_beyond_the_limit(client, session, unit_url, monkeypatch):
    monkeypatch.setattr(services, "COMPACT_AT_ROWS", 3)
    ScheduleChange.objects.bulk_create([ScheduleChange() for _ in range(5)])
    version = schedule_version()[0]
    client.get(unit_url)
    assert schedule_version() == (version, 1)


def test_two_builds_of_one_version_store_one_snapshot(session) -> None:
    key = {
        "scope": "unit",
        "window_start": feed_window_start(),
        "schedule_version": schedule_version()[0],
        "domain": DOMAIN,
    }
    first = services._build(None, DOMAIN, key)
    second = services._build(None, DOMAIN, key)
    assert second.pk == first.pk
    assert FeedSnapshot.objects.count() == 1


def test_each_read_is_logged_with_the_record_set_and_who_read_a_patient_is_answered(
    client, session, unit_url, nurse, clinician, client_for
) -> None:
    other = verified_order()  # no session in the feed
    client.get(unit_url)
    client.get(unit_url)
    logs = list(AccessLog.objects.filter(user=nurse).order_by("pk"))
    assert len(logs) == 2
    assert logs[0].record_set_id == logs[1].record_set_id is not None
    assert logs[0].subject_type == "audit.recordset"
    assert logs[0].subject_id == str(logs[0].record_set_id)
    assert logs[0].record_set is not None
    assert logs[0].record_set.records == {
        "orders.patient": [str(session.order.patient_id)],
        "infusions.infusionsession": [str(session.pk)],
    }
    # A clinician opens the other patient's page: logged the usual way.
    client_for(clinician).get(reverse("orders:patient-detail", args=[other.patient_id]))

    assert set(reads_of("orders.patient", session.order.patient_id)) == set(logs)
    assert set(reads_of("infusions.infusionsession", session.pk)) == set(logs)
    others = list(reads_of("orders.patient", other.patient_id))
    assert [log.user for log in others] == [clinician]


def test_a_chair_feed_is_named_after_the_chair_as_it_is_now(client, session, chair, nurse):
    url = reverse("infusions:feed-chair", args=[calendar_token_rotate(nurse), chair.pk])
    assert b"X-WR-CALNAME:IVIg Chair 1\r\n" in _body(client.get(url))
    Chair.objects.filter(pk=chair.pk).update(name="Recliner 4")
    assert b"X-WR-CALNAME:IVIg Recliner 4\r\n" in _body(client.get(url))


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_later_one_still_moves_the_version(client, session, unit_url):
    """PostgreSQL: transaction A changes a session first (its change row takes the lower id)
    but commits last; B's change commits in between and a feed is built. When A commits, the
    version moves (it counts committed rows, not the highest id), so A's change is served."""
    if connection.vendor != "postgresql":
        pytest.skip("two transactions at once: PostgreSQL")
    later = verified_order()
    other = session_for(
        later, session.chair, session.planned_start + timedelta(hours=4), by=later.created_by
    )
    first = client.get(unit_url)
    a = connections.create_connection("default")
    try:
        a.set_autocommit(False)
        with a.cursor() as cursor:
            cursor.execute(
                "UPDATE infusions_infusionsession SET version = 7 WHERE id = %s", [session.pk]
            )
        InfusionSession.objects.filter(pk=other.pk).update(version=5)  # B: committed at once
        between = client.get(unit_url)
        assert between["ETag"] != first["ETag"]
        assert b"SEQUENCE:5" in _body(between) and b"SEQUENCE:7" not in _body(between)
        a.commit()
    finally:
        a.close()
    after = client.get(unit_url)
    assert after["ETag"] != between["ETag"]
    assert b"SEQUENCE:7" in _body(after)
