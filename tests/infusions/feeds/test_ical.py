"""The feeds' iCalendar text (infusions/feeds/ical.py), read back with the ``icalendar``
package: every event's fields equal its session's; RFC 5545 escaping (backslash, semicolon,
comma, line breaks), folding at 75 octets without cutting a character, CRLF line ends, UTC
times."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from icalendar import Calendar

from infusions.booking.models import SessionStatus
from infusions.feeds.ical import FeedEvent, calendar_bytes, escape_text, fold
from infusions.feeds.selectors import feed_events, feed_window_start
from infusions.models import InfusionSession
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

STAMP = datetime(2026, 12, 7, 12, 30, 5, tzinfo=UTC)
DOMAIN = "ivig.example.org"

EVENT = FeedEvent(
    session_id=41,
    patient_id=7,
    planned_start=datetime(2026, 12, 8, 8, 0, tzinfo=UTC),
    planned_end=datetime(2026, 12, 8, 11, 29, tzinfo=UTC),
    status=SessionStatus.BOOKED,
    partial_dose=False,
    version=3,
    cycle_number=2,
    day_number=4,
    given_name="Ada",
    family_name="Byron",
    mrn="MRN-001",
    brand_name="Privigen",
    chair_name="Chair 1",
)


def _lines(body: bytes) -> list[bytes]:
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b""), "a line ends without CR"
    return body[:-2].split(b"\r\n")


def _events(body: bytes) -> dict[str, Any]:
    return {str(event["uid"]): event for event in Calendar.from_ical(body).walk("VEVENT")}


@pytest.mark.django_db
def test_every_event_read_back_equals_its_session(nurse) -> None:
    today = timezone.localdate()
    chair = ChairFactory.create(name="Chair 1, by the window; east")
    order = verified_order()
    rows = [
        (1, SessionStatus.BOOKED, False),
        (2, SessionStatus.TENTATIVE, False),
        (3, SessionStatus.CANCELLED, False),
        (4, SessionStatus.MISSED, False),
        (-1, SessionStatus.COMPLETED, True),
    ]
    sessions = []
    for offset, status, partial in rows:
        session = session_for(
            order,
            chair,
            local(today + timedelta(days=offset), "09:00"),
            by=nurse,
            status=status,
            day_number=offset + 2,
        )
        if partial:
            InfusionSession.objects.filter(pk=session.pk).update(partial_dose=True, version=5)
        session.refresh_from_db()
        sessions.append(session)

    body = calendar_bytes("IVIg infusion unit", feed_events(feed_window_start()), DOMAIN, STAMP)

    calendar = Calendar.from_ical(body)
    assert str(calendar["x-wr-calname"]) == "IVIg infusion unit"
    assert str(calendar["version"]) == "2.0"
    events = _events(body)
    assert len(events) == len(sessions)
    patient = order.patient
    who = f"{patient.given_name[0].upper()}.{patient.family_name[0].upper()}. {patient.mrn}"
    expected_status = {
        SessionStatus.BOOKED: "CONFIRMED",
        SessionStatus.TENTATIVE: "TENTATIVE",
        SessionStatus.CANCELLED: "CANCELLED",
        SessionStatus.MISSED: "CANCELLED",
        SessionStatus.COMPLETED: "CONFIRMED",
    }
    for session in sessions:
        event = events[f"infusion-session-{session.pk}@{DOMAIN}"]
        assert event.decoded("dtstart") == session.planned_start
        assert event.decoded("dtend") == session.planned_end
        assert event.decoded("dtstamp") == STAMP
        assert str(event["summary"]) == f"IVIg {who} · Privigen · {chair.name}"
        assert str(event["location"]) == chair.name
        assert str(event["description"]) == (
            f"Cycle {session.cycle_number}, day {session.day_number}. "
            f"Status: {session.status_label}."
        )
        assert str(event["status"]) == expected_status[SessionStatus(session.status)]
        assert int(event["sequence"]) == session.version
    completed = events[f"infusion-session-{sessions[-1].pk}@{DOMAIN}"]
    assert "Completed: partial dose" in str(completed["description"])
    assert int(completed["sequence"]) == 5
    assert patient.family_name not in body.decode()  # initials only


def test_commas_semicolons_backslashes_and_line_breaks_are_escaped() -> None:
    event = EVENT._replace(
        given_name=",comma",
        mrn="A;1\\2",
        brand_name="Brand, with; specials\nand a second line\r\nand a third",
        chair_name="Chair 2; east, by the door",
    )
    body = calendar_bytes("IVIg Chair 2; east, by the door", [event], DOMAIN, STAMP)
    text = body.decode()
    assert "A\\;1\\\\2" in text
    assert "Brand\\, with\\; specials\\nand a second line\\nand a third" in text.replace(
        "\r\n ", ""
    )
    read = _events(body)[f"infusion-session-41@{DOMAIN}"]
    assert str(read["summary"]) == (
        "IVIg ,.B. A;1\\2 · Brand, with; specials\nand a second line\nand a third"
        " · Chair 2; east, by the door"
    )
    assert str(read["location"]) == "Chair 2; east, by the door"
    # A non-standard property's value is TEXT by default (RFC 5545 3.8.8.2): escaped too.
    assert b"X-WR-CALNAME:IVIg Chair 2\\; east\\, by the door\r\n" in body


def test_other_control_characters_are_left_out_and_tab_kept() -> None:
    assert escape_text("a\x07b\x1bc\td\x7f") == "abc\td"


def test_long_lines_are_folded_at_75_octets_without_cutting_a_character() -> None:
    long_chair = "Chaise longue près de la fenêtre à l\u2019est — salle d\u2019infusion n° 3 " * 3
    event = EVENT._replace(chair_name=long_chair, brand_name="Ünïcödé brand")
    body = calendar_bytes("IVIg unit", [event], DOMAIN, STAMP)
    lines = _lines(body)
    assert max(len(line) for line in lines) <= 75
    folded = [line for line in lines if line.startswith(b" ")]
    assert len(folded) >= 4  # SUMMARY and LOCATION were longer than one line
    for line in lines:
        line.decode()  # each physical line is whole UTF-8: no character cut in two
    read = _events(body)[f"infusion-session-41@{DOMAIN}"]
    assert str(read["location"]) == long_chair.strip() or str(read["location"]) == long_chair
    assert str(read["summary"]).endswith(long_chair)


@pytest.mark.parametrize("size", [1, 74, 75, 76, 149, 150, 151, 400])
def test_fold_keeps_every_octet_and_each_line_within_75(size) -> None:
    for text in ("x" * size, "é" * size, "€" + "x" * size):
        folded = fold(text)
        lines = folded.split(b"\r\n")
        assert all(len(line) <= 75 for line in lines)
        assert all(line.startswith(b" ") for line in lines[1:])
        assert b"".join([lines[0], *(line[1:] for line in lines[1:])]) == text.encode()


def test_times_are_utc_whatever_the_zone_given() -> None:
    moment = timezone.localtime(datetime(2026, 7, 1, 7, 0, tzinfo=UTC))
    body = calendar_bytes("x", [EVENT._replace(planned_start=moment)], DOMAIN, STAMP)
    assert b"DTSTART:20260701T070000Z" in body
    assert b"DTSTAMP:20261207T123005Z" in body
