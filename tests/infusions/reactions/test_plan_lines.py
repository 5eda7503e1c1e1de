"""A reaction plan's added premedication, line by line (docs/clinical-rules.md 3.5, 3.8.3): a
catalogue drug, a dose in its unit, a route and the minutes before the start, checked by the
order's one rule (``line_problems``) on the page and the API, kept per version; later sessions
show the lines beside the order's and the nurse records each given or not given."""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from formulary.premedication.models import PremedicationDrug
from infusions.administration.models import PremedicationGiven
from infusions.administration.premedication import premedication_given_record
from infusions.errors import InfusionError
from infusions.reactions.models import ReactionPlan, ReactionPlanLine
from infusions.reactions.services import reaction_plan_record, reaction_plan_revise
from orders.models import PremedicationLine
from orders.premedication.forms import rows_as_posted
from orders.premedication.services import LineValues
from tests.infusions.factories import ChairFactory, session_for
from tests.infusions.reactions.test_services import make_course, react

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(nurse, clinician):
    """The order, the session of the reaction two days ago, and a later one started a few
    minutes ago today (where premedication given now is recorded)."""
    order, first, _ = make_course(nurse, clinician)
    today = timezone.now() - timedelta(minutes=5)
    later = session_for(order, ChairFactory.create(), today, by=nurse, day_number=3)
    return order, first, later


HYDROCORTISONE = [{"drug": "hydrocortisone", "dose": "100", "route": "IV"}]


def drug(slug: str) -> PremedicationDrug:
    return PremedicationDrug.objects.get(slug=slug)


def line(slug: str, dose: str, route: str = "IV", minutes: int = 30) -> LineValues:
    found = drug(slug)
    return LineValues(found, Decimal(dose), found.dose_unit, route, minutes)


def plan_url(reaction) -> str:
    return reverse("infusions:reaction-plan", args=[reaction.pk])


def api_url(reaction) -> str:
    return f"/api/v1/reactions/{reaction.pk}/plan/"


def given_url(session) -> str:
    return f"/api/v1/infusion-sessions/{session.pk}/premedication/"


# --- the service ------------------------------------------------------------------------------


def test_a_plan_adds_lines_of_its_version_and_a_revision_keeps_the_old_ones(
    course, nurse, clinician, client_for
) -> None:
    _, first, _ = course
    reaction = react(client_for(nurse), first)
    plan = reaction_plan_record(reaction, by=clinician, added_lines=[line("hydrocortisone", "100")])
    assert plan.summary == "premedication: Hydrocortisone 100 mg IV, 30 min before the start"
    (row,) = plan.lines.all()
    assert (row.version, row.drug.slug, row.dose, row.route) == (1, "hydrocortisone", 100, "IV")
    assert row.history.get().history_user == clinician

    revised = reaction_plan_revise(
        plan, by=clinician, version=1,
        added_lines=[line("methylprednisolone", "40", minutes=20)],
    )  # fmt: skip
    assert revised.version == 2
    assert [(r.version, r.drug.slug) for r in ReactionPlanLine.objects.order_by("version")] == [
        (1, "hydrocortisone"),  # version 1's line stays: a nurse's record may name it
        (2, "methylprednisolone"),
    ]
    assert revised.added_lines_words == "Methylprednisolone 40 mg IV, 20 min before the start"


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        ([("hydrocortisone", "1000", 30)], "Line 1 \\(Hydrocortisone\\): 1000 mg is more than 4"),
        (
            [("hydrocortisone", "100", 30), ("hydrocortisone", "50", 30)],
            "Line 2 \\(Hydrocortisone\\): Hydrocortisone is on another line already",
        ),
        ([("hydrocortisone", "100", 45)], "given 15 to 30 minutes before the start"),
    ],
    ids=["dose above 4 times the adult dose", "a drug twice", "minutes outside 15-30"],
)
def test_a_line_is_refused_by_the_orders_rule(
    rows, said, course, nurse, clinician, client_for
) -> None:
    lines = [line(slug, dose, minutes=minutes) for slug, dose, minutes in rows]
    _, first, _ = course
    reaction = react(client_for(nurse), first)
    with pytest.raises(InfusionError, match=said) as refused:
        reaction_plan_record(reaction, by=clinician, added_lines=lines)
    assert list(refused.value.field_errors) == ["added_lines"]
    assert not ReactionPlan.objects.exists()


def test_a_drug_the_plan_named_may_stay_after_it_leaves_the_catalogue(
    course, nurse, clinician, client_for
) -> None:
    _, first, _ = course
    reaction = react(client_for(nurse), first)
    plan = reaction_plan_record(reaction, by=clinician, added_lines=[line("hydrocortisone", "100")])
    PremedicationDrug.objects.filter(slug="hydrocortisone").update(active=False)
    kept = [line("hydrocortisone", "100")]
    assert reaction_plan_revise(plan, by=clinician, version=1, added_lines=kept).version == 2
    # Recording (not revising) names no drug of its own: the catalogue's rule refuses it.
    with pytest.raises(InfusionError, match="no longer in the premedication catalogue"):
        reaction_plan_record(reaction, by=clinician, added_lines=kept)


# --- the page and the API ---------------------------------------------------------------------


def test_the_page_takes_lines_and_shows_a_refused_one_on_its_field(
    course, nurse, clinician, client_for
) -> None:
    _, first, _ = course
    reaction = react(client_for(nurse), first)
    doctor = client_for(clinician)
    page = doctor.get(plan_url(reaction)).content.decode()
    assert 'data-testid="premedication-lines-form"' in page and "Added premedication" in page
    too_much = rows_as_posted([{"drug": "hydrocortisone", "dose": "1000", "route": "IV"}])
    refused = doctor.post(plan_url(reaction), too_much)
    assert refused.status_code == 400
    assert "1000 mg is more than 4 times the adult dose of Hydrocortisone" in (
        refused.content.decode()
    )
    assert not ReactionPlan.objects.exists()
    more = doctor.post(plan_url(reaction), {**rows_as_posted(HYDROCORTISONE), "more_lines": "1"})
    assert more.status_code == 200 and not ReactionPlan.objects.exists()
    assert more.content.decode().count('data-testid="premedication-row"') == 3  # 1 + 2 blank
    assert doctor.post(plan_url(reaction), rows_as_posted(HYDROCORTISONE)).status_code == 302
    assert ReactionPlan.objects.get().added_lines_words == (
        "Hydrocortisone 100 mg IV, 30 min before the start"
    )
    page = doctor.get(plan_url(reaction)).content.decode()
    assert 'value="hydrocortisone" selected' in page  # the revision starts from the lines


def test_the_api_records_revises_and_reads_the_lines(course, nurse, clinician, client_for) -> None:
    _, first, _ = course
    reaction = react(client_for(nurse), first)
    doctor = client_for(clinician)
    bad = {"added_lines": [{"drug": "hydrocortisone", "dose": "100"}, {"drug": "cetirizine",
           "dose": "100", "minutes_before_start": 40}]}  # fmt: skip
    refused = doctor.post(api_url(reaction), bad, content_type="application/json")
    assert refused.status_code == 400
    errors = refused.json()["field_errors"]
    assert errors["added_lines.dose"] == [
        "Line 2: 100 mg is more than 4 times the adult dose of Cetirizine (10 mg): check the dose."
    ]
    assert errors["added_lines.minutes_before_start"] == [
        "Line 2: Premedication is given 15 to 30 minutes before the start."
    ]
    body = {"added_lines": [{"drug": "hydrocortisone", "dose": "100"}]}
    made = doctor.post(api_url(reaction), body, content_type="application/json")
    assert made.status_code == 201, made.json()
    (added,) = made.json()["added_lines"]
    assert {k: added[k] for k in ("drug", "dose", "unit", "route", "minutes_before_start")} == {
        "drug": "hydrocortisone", "dose": "100.00", "unit": "mg", "route": "IV",
        "minutes_before_start": 30,
    }  # fmt: skip
    revise = {"version": 1, "added_lines": [{"drug": "hydrocortisone", "dose": "50"}]}
    revised = doctor.put(api_url(reaction), revise, content_type="application/json")
    assert revised.status_code == 200, revised.json()
    read = client_for(nurse).get(api_url(reaction)).json()
    assert [item["dose"] for item in read["added_lines"]] == ["50.00"]
    assert read["versions"][0]["changes"] == [
        {
            "field": "Added premedication",
            "before": "Hydrocortisone 100 mg IV, 30 min before the start",
            "after": "Hydrocortisone 50 mg IV, 30 min before the start",
        }
    ]


# --- plans written before the lines -----------------------------------------------------------


def test_the_migration_reads_old_text_into_lines_and_keeps_the_rest_as_written(
    course, nurse, clinician, client_for
) -> None:
    _, first, _ = course
    reaction = react(client_for(nurse), first)
    old = ReactionPlan.objects.create(
        reaction=reaction, recorded_by=clinician,
        added_premedication="hydrocortisone 100 mg IV; cetirizine 10 mg; 1 tab of Tylenol",
    )  # fmt: skip
    migration = importlib.import_module("infusions.migrations.0014_reaction_plan_lines")
    migration.parse_existing(apps, None)
    old.refresh_from_db()
    assert [(r.drug.slug, r.dose, r.route, r.version) for r in old.lines.all()] == [
        ("hydrocortisone", 100, "IV", 1),
        ("cetirizine", 10, "PO", 1),  # no route written: the drug's usual
    ]
    assert old.added_lines_words == (
        "Hydrocortisone 100 mg IV, 30 min before the start; "
        "Cetirizine 10 mg PO, 30 min before the start"
    )
    assert old.added_premedication == "1 tab of Tylenol"
    page = client_for(clinician).get(plan_url(reaction)).content.decode()
    assert 'data-testid="premedication-written-before"' in page and "1 tab of Tylenol" in page
    # The next version's lines replace the text.
    reaction_plan_revise(old, by=clinician, version=1, added_lines=[line("hydrocortisone", "100")])
    old.refresh_from_db()
    assert (old.added_premedication, old.version) == ("", 2)


# --- the later session ------------------------------------------------------------------------


def test_a_later_session_shows_the_plans_lines_and_the_nurse_records_them(
    course, nurse, clinician, client_for
) -> None:
    order, first, later = course
    PremedicationLine.objects.create(
        order=order, drug=drug("diphenhydramine"), dose=Decimal(25), route="PO"
    )
    reaction = react(client_for(nurse), first)
    reaction_plan_record(reaction, by=clinician, added_lines=[line("hydrocortisone", "100")])
    plan_line = ReactionPlanLine.objects.get()
    nurses = client_for(nurse)
    detail = reverse("infusions:session-detail", args=[later.pk])
    page = nurses.get(detail).content.decode()
    assert 'data-testid="premedication-given-diphenhydramine"' in page
    row = page.split('data-testid="premedication-given-plan-hydrocortisone"')[1].split("</tr>")[0]
    assert "Hydrocortisone 100 mg IV, 30 min before the start" in row
    assert "added by the reaction plan" in row
    # the session of the reaction itself does not follow its own plan
    first_page = nurses.get(reverse("infusions:session-detail", args=[first.pk])).content
    assert b"premedication-given-plan-hydrocortisone" not in first_page

    posted = {"plan_line": plan_line.pk, "outcome": "given", "given_at": ""}
    page_url = reverse("infusions:session-premedication", args=[later.pk])
    assert nurses.post(page_url, posted).status_code == 302
    record = PremedicationGiven.objects.get()
    assert (record.plan_line, record.line, record.given_by) == (plan_line, None, nurse)
    assert record.history.get().history_change_reason == (
        "Premedication given: Hydrocortisone 100 mg IV"
    )
    rows = nurses.get(given_url(later)).json()
    assert [(r["drug"], r["line"] is None, r["plan_line"]) for r in rows] == [
        ("diphenhydramine", False, None),
        ("hydrocortisone", True, plan_line.pk),
    ]
    assert rows[1]["given_by"] == nurse.username
    # A revision: the new version's line is offered; the one given stays shown, recorded.
    reaction_plan_revise(
        ReactionPlan.objects.get(), by=clinician, version=1,
        added_lines=[line("hydrocortisone", "50")],
    )  # fmt: skip
    rows = nurses.get(given_url(later)).json()
    assert [(r["dose"], r["given_by"]) for r in rows[1:]] == [
        ("50.00", None),
        ("100.00", nurse.username),
    ]


def test_a_plan_line_is_recorded_once_and_only_on_a_session_that_follows_the_plan(
    course, nurse, clinician, client_for
) -> None:
    _, first, later = course
    reaction = react(client_for(nurse), first)
    reaction_plan_record(reaction, by=clinician, added_lines=[line("hydrocortisone", "100")])
    plan_line = ReactionPlanLine.objects.get()
    with pytest.raises(InfusionError, match="or a reaction plan it follows") as refused:
        premedication_given_record(first, plan_line_id=plan_line.pk, by=nurse, given=True)
    assert refused.value.field == "plan_line"
    premedication_given_record(later, plan_line_id=plan_line.pk, by=nurse, given=True)
    with pytest.raises(InfusionError, match="recorded on this session already"):
        premedication_given_record(later, plan_line_id=plan_line.pk, by=nurse, given=True)
    both = {"line": 1, "plan_line": plan_line.pk, "given": True}
    answer = client_for(nurse).post(given_url(later), both, content_type="application/json")
    assert answer.status_code == 400


def test_the_sessions_list_costs_the_same_queries_however_many_plan_lines(
    course, nurse, clinician, client_for
) -> None:
    _, first, later = course
    reaction = react(client_for(nurse), first)
    plan = reaction_plan_record(reaction, by=clinician, added_lines=[line("hydrocortisone", "100")])
    premedication_given_record(
        later, plan_line_id=ReactionPlanLine.objects.get().pk, by=nurse, given=True
    )
    nurses = client_for(nurse)
    nurses.get(given_url(later))  # the sign-in and caches warmed
    with CaptureQueriesContext(connection) as one:
        assert len(nurses.get(given_url(later)).json()) == 1
    more = [line("hydrocortisone", "50"), line("methylprednisolone", "40"),
            line("cetirizine", "10", "PO")]  # fmt: skip
    reaction_plan_revise(plan, by=clinician, version=1, added_lines=more)
    with CaptureQueriesContext(connection) as four:
        assert len(nurses.get(given_url(later)).json()) == 4  # 3 lines and the one given
    assert len(four.captured_queries) == len(one.captured_queries)
