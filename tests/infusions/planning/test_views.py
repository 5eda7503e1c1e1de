"""The planner's pages (docs/planner.md): "Suggest a plan" beside the schedule, accepting the
ticked moves, the nurses' load per hour with its warning, and the nurses on shift."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from infusions.models import InfusionSession
from infusions.planning.models import NurseShift
from ivig.audit.models import AccessLog
from tests.infusions.factories import local
from tests.infusions.planning.test_api import one_nurse, stacked

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=2)


def test_schedule_links_the_planner_and_loads_the_nurse_load(nurse, client_for, day):
    page = client_for(nurse).get(f"/infusions/?date={day}")
    text = page.content.decode()
    assert 'data-testid="suggest-plan"' in text
    assert f"/infusions/planner/load/?date={day}" in text


def test_clinicians_see_no_suggest_button_and_may_not_plan(clinician, client_for, day):
    client = client_for(clinician)
    assert (
        'data-testid="suggest-plan"' not in client.get(f"/infusions/?date={day}").content.decode()
    )
    assert client.get(f"/infusions/planner/?date={day}").status_code == 403
    assert client.post(f"/infusions/planner/accept/?date={day}").status_code == 403
    assert client.get(f"/infusions/planner/load/?date={day}").status_code == 200


def test_nurse_load_warns_where_the_ratio_is_broken(nurse, client_for, day):
    stacked(nurse, day, count=3)
    one_nurse(nurse, day)
    text = client_for(nurse).get(f"/infusions/planner/load/?date={day}").content.decode()
    assert 'data-testid="ratio-warning"' in text
    assert "broken at 08:00, 09:00" in text


def test_with_no_nurse_on_shift_the_ratio_is_not_judged(nurse, client_for, day):
    """Three patients in titration and nobody recorded on shift: no hour reads "over" (the
    booking falls back to first fit the same way); the chairs' opening hours are all shown."""
    from infusions.planning.selectors import nurse_load

    stacked(nurse, day, count=3)
    hours, _ = nurse_load(day)
    assert not [hour for hour in hours if hour.over_ratio]
    assert max(hour.patients for hour in hours) == 3
    text = client_for(nurse).get(f"/infusions/planner/load/?date={day}").content.decode()
    assert 'data-testid="ratio-warning"' not in text


def test_the_load_shows_every_opening_hour_however_many_sessions(nurse, client_for, day):
    from infusions.planning.selectors import nurse_load

    stacked(nurse, day, count=1)  # 08:00-12:00 in a chair open 07:00-21:00, nobody on shift
    assert [hour.hour for hour in nurse_load(day)[0]] == list(range(7, 21))


def test_suggest_then_accept_the_ticked_moves(nurse, client_for, day):
    _, sessions = stacked(nurse, day, count=3)
    one_nurse(nurse, day)
    client = client_for(nurse)
    before = AccessLog.objects.count()
    page = client.get(f"/infusions/planner/?date={day}")
    assert page.status_code == 200
    assert AccessLog.objects.count() == before + 1  # the page names patients: its read is logged
    keys = [row["key"] for row in page.context["rows"] if row["move"]]
    assert keys
    answer = client.post(f"/infusions/planner/accept/?date={day}", {"moves": keys[:1]})
    assert answer.status_code == 302
    moved = [
        s
        for s in sessions
        if InfusionSession.objects.get(pk=s.pk).planned_start != local(day, "08:00")
    ]
    assert len(moved) == 1


def test_suggest_page_queries_do_not_grow_with_sessions(nurse, client_for, day):
    one_nurse(nurse, day)
    client = client_for(nurse)
    stacked(nurse, day, count=2)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/infusions/planner/?date={day}")
    stacked(nurse, day, count=4)
    with CaptureQueriesContext(connection) as more:
        client.get(f"/infusions/planner/?date={day}")
    assert len(more) == len(few)


def test_nurse_in_charge_records_a_shift_with_a_break(nurse, client_for, day):
    client = client_for(nurse)
    answer = client.post(
        f"/infusions/planner/shifts/?date={day}",
        {
            "nurse": nurse.pk,
            "day": day.isoformat(),
            "starts_at": "07:00",
            "ends_at": "15:00",
            "break_starts_at": "11:00",
            "break_ends_at": "11:30",
        },
    )
    assert answer.status_code == 302
    shift = NurseShift.objects.get()
    assert [(b.starts_at.hour, b.starts_at.minute) for b in shift.breaks.all()] == [(11, 0)]
    page = client.get(f"/infusions/planner/shifts/?date={day}").content.decode()
    assert "07:00\N{EN DASH}15:00" in page
    refused = client.post(
        f"/infusions/planner/shifts/?date={day}",
        {"nurse": nurse.pk, "day": day.isoformat(), "starts_at": "14:00", "ends_at": "20:00"},
    )
    assert refused.status_code == 200
    assert "already has a shift" in refused.content.decode()


def test_clinicians_may_not_record_shifts(clinician, client_for, day):
    answer = client_for(clinician).post(
        f"/infusions/planner/shifts/?date={day}",
        {"nurse": clinician.pk, "day": day.isoformat(), "starts_at": "07:00", "ends_at": "15:00"},
    )
    assert answer.status_code == 403


def test_nurse_load_queries_do_not_grow_with_sessions(nurse, client_for, day):
    one_nurse(nurse, day)
    client = client_for(nurse)
    stacked(nurse, day, count=1)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/infusions/planner/load/?date={day}")
    stacked(nurse, day, count=4)
    with CaptureQueriesContext(connection) as more:
        client.get(f"/infusions/planner/load/?date={day}")
    assert len(more) == len(few)


def test_a_shift_is_removed_with_its_history(nurse, client_for, day):
    shift = one_nurse(nurse, day)
    client = client_for(nurse)
    assert client.post("/infusions/planner/shifts/remove/", {"shift": "x"}).status_code == 404
    assert client.post("/infusions/planner/shifts/remove/", {"shift": shift.pk}).status_code == 302
    assert not NurseShift.objects.exists()
    assert NurseShift.history.filter(history_type="-").get().history_user == nurse


def test_measures_show_no_trailing_zeros(nurse, client_for, day):
    stacked(nurse, day, count=3)
    one_nurse(nurse, day)
    text = client_for(nurse).get(f"/infusions/planner/?date={day}").content.decode()
    assert '<td class="num">3</td>' in text
    assert ".0<" not in text


@pytest.mark.parametrize(("page", "budget"), [("", 11), ("load/", 10)])
def test_the_planner_reads_the_patients_times_with_its_sessions(
    nurse, client_for, day, page, budget, django_assert_max_num_queries
):
    """The patients' stored windows and preferences come joined to the plan's sessions, not by
    a query of their own listing every patient (docs/planner.md): one query fewer than before."""
    one_nurse(nurse, day)
    client = client_for(nurse)
    stacked(nurse, day, count=3)
    client.get(f"/infusions/planner/{page}?date={day}")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/infusions/planner/{page}?date={day}").status_code == 200
    assert not [q for q in queries if q["sql"].startswith('SELECT "infusions_patientpreference"')]
    with django_assert_max_num_queries(budget):
        client.get(f"/infusions/planner/{page}?date={day}")
