"""Authorization pages: the admins' dashboard (docs/clinical-rules.md 7) in a fixed number of
queries, and every page's role check (docs/clinical-rules.md 1: other roles read, only authorization
admins change)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from authorizations.models import Authorization, AuthorizationStatus
from ivig.accounts.roles import Role

from .factories import AuthorizationFactory, approved, at, make_order, session

pytestmark = pytest.mark.django_db

ADMIN = Role.AUTHORIZATION_ADMIN
OTHERS = [Role.CLINICIAN, Role.PHARMACIST, Role.NURSE]


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def authorization(clinician, today):
    order = make_order(start_date=today + timedelta(days=5), by=clinician)
    return AuthorizationFactory.create(order=order)


def change_posts(authorization):
    pk = authorization.pk
    return [
        (reverse("authorizations:authorization-create"), {"order": authorization.order_id}),
        (reverse("authorizations:authorization-edit", args=[pk]), {"version": 1, "payer": "X"}),
        (reverse("authorizations:authorization-submit", args=[pk]), {"version": 1}),
        (reverse("authorizations:authorization-decision", args=[pk]), {"version": 1}),
        (reverse("authorizations:authorization-appeal", args=[pk]), {"version": 1}),
        (reverse("authorizations:authorization-expire", args=[pk]), {"version": 1}),
        (reverse("authorizations:authorization-renew", args=[pk]), {}),
        (reverse("authorizations:authorization-document-add", args=[pk]), {"title": "t"}),
    ]


@pytest.mark.parametrize("role", OTHERS)
def test_other_roles_read_but_may_not_change(role, users_by_role, client_for, authorization):
    client = client_for(users_by_role[role])
    assert client.get(reverse("authorizations:authorizations")).status_code == 403
    assert client.get(reverse("authorizations:authorization-list")).status_code == 200
    detail = client.get(reverse("authorizations:authorization-detail", args=[authorization.pk]))
    assert detail.status_code == 200
    assert b'data-testid="actions"' not in detail.content
    coverage = client.get(reverse("authorizations:order-coverage", args=[authorization.order_id]))
    assert coverage.status_code == 200
    assert client.get(reverse("authorizations:authorization-create")).status_code == 403
    for url, data in change_posts(authorization):
        assert client.post(url, data).status_code == 403, url
    assert Authorization.objects.get(pk=authorization.pk).version == 1


def test_anonymous_is_sent_to_sign_in(client, authorization):
    for url in (
        reverse("authorizations:authorizations"),
        reverse("authorizations:authorization-list"),
        reverse("authorizations:authorization-detail", args=[authorization.pk]),
    ):
        assert client.get(url).status_code == 302


def test_admin_creates_submits_approves_through_the_pages(authadmin, client_for, clinician, today):
    order = make_order(start_date=today + timedelta(days=5), by=clinician)
    client = client_for(authadmin)
    assert (
        client.get(
            reverse("authorizations:authorization-create") + f"?order={order.pk}"
        ).status_code
        == 200
    )
    response = client.post(
        reverse("authorizations:authorization-create"),
        {"order": order.pk, "payer": "Acme", "member_id": "M1", "reference_number": ""},
    )
    authorization = Authorization.objects.get()
    assert response["Location"] == reverse(
        "authorizations:authorization-detail", args=[authorization.pk]
    )
    client.post(
        reverse("authorizations:authorization-submit", args=[authorization.pk]), {"version": 1}
    )
    refused = client.post(
        reverse("authorizations:authorization-decision", args=[authorization.pk]),
        {"version": 2, "decision": "approved", "decision_date": today.isoformat()},
    )
    assert refused.status_code == 400
    assert b"An approval names at least one cycle." in refused.content
    done = client.post(
        reverse("authorizations:authorization-decision", args=[authorization.pk]),
        {
            "version": 2,
            "decision": "approved",
            "decision_date": today.isoformat(),
            "approved_cycles": 3,
            "approved_grams": "240",
            "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=90)).isoformat(),
        },
    )
    assert done.status_code == 302
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.APPROVED
    assert authorization.approved_grams == Decimal(240)
    page = client.get(reverse("authorizations:authorization-detail", args=[authorization.pk]))
    assert b'data-testid="renew"' in page.content
    assert page.content.count(b'data-testid="coverage-row"') == 3


def test_stale_and_illegal_changes_are_409(authadmin, client_for, authorization):
    client = client_for(authadmin)
    url = reverse("authorizations:authorization-submit", args=[authorization.pk])
    assert client.post(url, {"version": 1}).status_code == 302
    assert client.post(url, {"version": 2}).status_code == 409  # already submitted
    edit = reverse("authorizations:authorization-edit", args=[authorization.pk])
    stale = client.post(edit, {"version": 1, "payer": "X", "member_id": "Y"})
    assert stale.status_code == 409
    assert b"changed" in stale.content


def test_documents_from_the_page(authadmin, client_for, authorization):
    client = client_for(authadmin)
    client.post(
        reverse("authorizations:authorization-document-add", args=[authorization.pk]),
        {"title": "Payer letter", "reference": "https://payer.example/letter/1"},
    )
    page = client.get(reverse("authorizations:authorization-detail", args=[authorization.pk]))
    assert b"Payer letter" in page.content


def _dashboard_rows(clinician, today, count):
    for index in range(count):
        order = make_order(start_date=today + timedelta(days=3 + index % 5), by=clinician)
        AuthorizationFactory.create(
            order=order, status="submitted", submitted_at=at(today - timedelta(days=index))
        )
        approved(order, valid_from=today, valid_to=today + timedelta(days=20), cycles=1, grams=80)
        AuthorizationFactory.create(
            order=order, status="denied", submitted_at=at(today), decision_date=today
        )
        session(order, 2, 1, order.start_date + timedelta(days=21))


def test_dashboard_shows_each_queue_linking_to_the_order(authadmin, client_for, clinician, today):
    _dashboard_rows(clinician, today, 2)
    page = client_for(authadmin).get(reverse("authorizations:authorizations")).content
    assert b'data-testid="landing">Authorizations</h1>' in page
    for row in ("awaiting-row", "renewal-row", "denial-row", "uncovered-row"):
        assert page.count(f'data-testid="{row}"'.encode()) == 2, row
    assert b"/coverage/" in page


def test_the_dashboard_logs_the_authorizations_and_sessions_it_showed(
    authadmin, client_for, clinician, today
):
    from ivig.audit.models import AccessLog

    _dashboard_rows(clinician, today, 2)
    path = reverse("authorizations:authorizations")
    assert client_for(authadmin).get(path).status_code == 200
    records = AccessLog.objects.get(path=path).records
    assert len(records["authorizations.authorization"]) == 6  # awaiting, renewal, denial x 2
    assert len(records["infusions.infusionsession"]) == 2  # the sessions no approval covers


def test_dashboard_queries_do_not_grow_with_rows(
    authadmin, client_for, clinician, today, django_assert_max_num_queries
):
    client = client_for(authadmin)
    _dashboard_rows(clinician, today, 2)
    with django_assert_max_num_queries(DASHBOARD_QUERIES) as few:
        client.get(reverse("authorizations:authorizations"))
    _dashboard_rows(clinician, today, 10)
    with django_assert_max_num_queries(DASHBOARD_QUERIES) as many:
        client.get(reverse("authorizations:authorizations"))
    assert len(many.captured_queries) == len(few.captured_queries)


DASHBOARD_QUERIES = 15  # each panel counted and paged


def test_submitting_with_the_reference_blank_keeps_the_stored_one(
    authadmin, client_for, authorization
):
    Authorization.objects.filter(pk=authorization.pk).update(reference_number="PA-2026-7781")
    client = client_for(authadmin)
    url = reverse("authorizations:authorization-submit", args=[authorization.pk])
    assert client.post(url, {"version": 1, "reference_number": ""}).status_code == 302
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.SUBMITTED
    assert authorization.reference_number == "PA-2026-7781"
    assert str(authorization).startswith("Acme Health PA-2026-7781 ")
    page = client.get(reverse("authorizations:authorization-detail", args=[authorization.pk]))
    text = page.content.decode()
    assert "PA-2026-7781" in text
    assert "PA-2026-7781 → —" not in text and "<del>PA-2026-7781</del>" not in text


def test_an_authorization_without_a_reference_is_named_by_its_number(authorization):
    Authorization.objects.filter(pk=authorization.pk).update(reference_number="")
    authorization.refresh_from_db()
    assert str(authorization).startswith(f"Acme Health #{authorization.pk} ")


@pytest.mark.parametrize("gaps_built", [False, True])
def test_the_dashboard_reads_only_the_columns_its_panels_show(
    authadmin, client_for, clinician, today, gaps_built
):
    from infusions.schedule.uncovered_sessions import rebuild_gaps

    _dashboard_rows(clinician, today, 2)
    if gaps_built:
        rebuild_gaps()
    with CaptureQueriesContext(connection) as captured:
        page = client_for(authadmin).get(reverse("authorizations:authorizations")).content
    for row in ("awaiting-row", "renewal-row", "denial-row", "uncovered-row"):
        assert page.count(f'data-testid="{row}"'.encode()) == 2, row
    wide = ("plan_at_signing", '"orders_order"."notes"', '"orders_patient"."notes"')
    assert [q["sql"] for q in captured if any(column in q["sql"] for column in wide)] == []
