"""Premedication given, line by line (docs/clinical-rules.md 3.5, 6): the nurse records each
line of the session's order as given (time, by whom) or not given (why), once, on the session
page and through the API; other roles read it; every record is in its history."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from formulary.premedication.models import PremedicationDrug
from infusions.administration.models import AppendOnlyError, PremedicationGiven
from infusions.administration.premedication import premedication_given_record
from infusions.errors import InfusionError
from ivig.accounts.roles import Role
from orders.models import OrderStatus, PremedicationLine
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db


def with_lines(order):
    for position, (slug, dose) in enumerate((("diphenhydramine", 25), ("acetaminophen", 500))):
        drug = PremedicationDrug.objects.get(slug=slug)
        PremedicationLine.objects.create(
            order=order, drug=drug, dose=Decimal(dose), route="PO", position=position
        )
    return order


@pytest.fixture
def session(nurse):
    order = with_lines(verified_order(status=OrderStatus.ACTIVE))
    return session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)


def line(session, slug):
    return session.order.premedication_lines.get(drug__slug=slug)


def page_url(session):
    return reverse("infusions:session-premedication", args=[session.pk])


def api_url(session):
    return f"/api/v1/infusion-sessions/{session.pk}/premedication/"


# --- the service ------------------------------------------------------------------------------


def test_a_line_given_is_recorded_with_the_time_and_the_nurse(session, nurse) -> None:
    record = premedication_given_record(
        session, line_id=line(session, "diphenhydramine").pk, by=nurse, given=True,
        given_at=yesterday_at("08:35"),
    )  # fmt: skip
    assert (record.given_at, record.given_by, record.not_given_reason) == (
        yesterday_at("08:35"), nurse, ""
    )  # fmt: skip
    (history,) = record.history.all()
    assert history.history_user == nurse
    assert history.history_change_reason == "Premedication given: Diphenhydramine 25 mg PO"
    with pytest.raises(AppendOnlyError):
        record.save()


def test_not_given_needs_its_reason(session, nurse) -> None:
    acetaminophen = line(session, "acetaminophen").pk
    with pytest.raises(InfusionError, match="Say why it was not given") as refused:
        premedication_given_record(session, line_id=acetaminophen, by=nurse, given=False)
    assert refused.value.field == "not_given_reason"
    record = premedication_given_record(
        session, line_id=acetaminophen, by=nurse, given=False, not_given_reason="Took it at home"
    )
    assert (record.given_at, record.not_given_reason) == (None, "Took it at home")


def test_a_line_of_another_order_is_refused(session, nurse) -> None:
    other = with_lines(verified_order())
    with pytest.raises(InfusionError, match="not on this session's order") as refused:
        premedication_given_record(
            session, line_id=other.premedication_lines.first().pk, by=nurse, given=True
        )
    assert refused.value.field == "line"
    assert not PremedicationGiven.objects.exists()


def test_a_line_is_recorded_once(session, nurse) -> None:
    diphenhydramine = line(session, "diphenhydramine").pk
    premedication_given_record(session, line_id=diphenhydramine, by=nurse, given=True)
    with pytest.raises(InfusionError, match="recorded on this session already"):
        premedication_given_record(session, line_id=diphenhydramine, by=nurse, given=True)


@pytest.mark.parametrize(
    ("at", "said"),
    [
        (timedelta(hours=2), "is in the future"),
        (timedelta(days=-2), "is before the session's day"),
    ],
)
def test_a_time_in_the_future_or_before_the_day_is_refused(session, nurse, at, said) -> None:
    with pytest.raises(InfusionError, match=said) as refused:
        premedication_given_record(
            session, line_id=line(session, "diphenhydramine").pk, by=nurse, given=True,
            given_at=timezone.now() + at,
        )  # fmt: skip
    assert refused.value.field == "given_at"


def test_nothing_is_recorded_on_a_cancelled_session(session, nurse) -> None:
    type(session).objects.filter(pk=session.pk).update(status="cancelled")
    with pytest.raises(InfusionError, match="nothing more is recorded"):
        premedication_given_record(
            session, line_id=line(session, "diphenhydramine").pk, by=nurse, given=True
        )


# --- the session page -------------------------------------------------------------------------


def test_the_nurse_records_a_line_on_the_session_page(session, nurse, client_for) -> None:
    client = client_for(nurse)
    detail = reverse("infusions:session-detail", args=[session.pk])
    page = client.get(detail).content.decode()
    assert 'data-testid="premedication-form-diphenhydramine"' in page
    posted = {"line": line(session, "diphenhydramine").pk, "outcome": "given", "given_at": ""}
    response = client.post(page_url(session), posted)
    assert response.status_code == 302
    page = client.get(detail).content.decode()
    assert "Given at" in page and 'data-testid="premedication-form-diphenhydramine"' not in page
    assert 'data-testid="premedication-form-acetaminophen"' in page


def test_not_given_without_a_reason_is_a_form_error(session, nurse, client_for) -> None:
    posted = {"line": line(session, "acetaminophen").pk, "outcome": "not_given"}
    response = client_for(nurse).post(page_url(session), posted)
    assert response.status_code == 400
    assert "Say why it was not given." in response.content.decode()
    assert not PremedicationGiven.objects.exists()


def test_a_line_of_another_order_is_a_form_error_on_the_page(session, nurse, client_for) -> None:
    other = with_lines(verified_order())
    posted = {"line": other.premedication_lines.first().pk, "outcome": "given"}
    response = client_for(nurse).post(page_url(session), posted)
    assert response.status_code == 400
    assert "That premedication line is not on this session&#x27;s order." in (
        response.content.decode()
    )


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.PHARMACIST])
def test_other_roles_read_what_was_given_without_a_form(
    role, session, nurse, users_by_role, client_for
) -> None:
    premedication_given_record(
        session, line_id=line(session, "diphenhydramine").pk, by=nurse, given=True
    )
    client = client_for(users_by_role[role])
    page = client.get(reverse("infusions:session-detail", args=[session.pk])).content.decode()
    assert 'data-testid="premedication-given"' in page and "Given at" in page
    assert "premedication-form-" not in page
    posted = {"line": line(session, "acetaminophen").pk, "outcome": "given"}
    assert client.post(page_url(session), posted).status_code == 403


def test_the_free_text_entry_is_offered_only_for_an_order_written_before_the_lines(
    session, nurse, client_for
) -> None:
    client = client_for(nurse)
    page = client.get(reverse("infusions:session-detail", args=[session.pk])).content
    assert b'data-testid="open-premedication_given"' not in page  # its lines are recorded above
    assert b'data-testid="open-iv_access"' in page
    old = verified_order(status=OrderStatus.ACTIVE)  # its text only, no line
    before_lines = session_for(old, ChairFactory.create(), yesterday_at("10:00"), by=nurse)
    page = client.get(reverse("infusions:session-detail", args=[before_lines.pk])).content
    assert b'data-testid="open-premedication_given"' in page


# --- the API ----------------------------------------------------------------------------------


def test_the_api_records_and_reads_the_lines(session, nurse, client_for) -> None:
    client = client_for(nurse)
    body = {"line": line(session, "acetaminophen").pk, "given": False,
            "not_given_reason": "Refused"}  # fmt: skip
    created = client.post(api_url(session), body, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["not_given_reason"] == "Refused"
    rows = client.get(api_url(session)).json()
    assert [(row["drug"], row["given_at"], row["not_given_reason"]) for row in rows] == [
        ("diphenhydramine", None, None),
        ("acetaminophen", None, "Refused"),
    ]
    assert rows[1]["given_by"] == nurse.username


def test_the_api_refuses_a_line_of_another_order(session, nurse, client_for) -> None:
    other = with_lines(verified_order())
    body = {"line": other.premedication_lines.first().pk, "given": True}
    response = client_for(nurse).post(api_url(session), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field_errors"] == {
        "line": ["That premedication line is not on this session's order."]
    }


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.PHARMACIST])
def test_only_nurses_record_through_the_api(role, session, users_by_role, client_for) -> None:
    client = client_for(users_by_role[role])
    assert client.get(api_url(session)).status_code == 200
    body = {"line": line(session, "acetaminophen").pk, "given": True}
    assert client.post(api_url(session), body, content_type="application/json").status_code == 403


def test_the_api_list_costs_the_same_few_queries_however_many_lines(
    session, nurse, client_for, django_assert_max_num_queries
) -> None:
    client = client_for(nurse)
    client.get(api_url(session))  # the session's sign-in and caches warmed
    for slug in ("diphenhydramine", "acetaminophen"):
        premedication_given_record(session, line_id=line(session, slug).pk, by=nurse, given=True)
    for position, slug in enumerate(("cetirizine", "hydrocortisone", "methylprednisolone"), 5):
        drug = PremedicationDrug.objects.get(slug=slug)
        PremedicationLine.objects.create(
            order=session.order, drug=drug, dose=drug.adult_dose, route=drug.route,
            position=position,
        )  # fmt: skip
    # The user, the session, its records, the order's lines, the reaction plans' added lines,
    # the read log: none per line.
    with django_assert_max_num_queries(8):
        rows = client.get(api_url(session)).json()
    assert len(rows) == 5
