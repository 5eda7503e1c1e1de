"""docs/clinical-rules.md 7: every status transition of an authorization and every refusal, through
the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from authorizations import notify, services
from authorizations.models import Authorization, AuthorizationStatus
from authorizations.services import AuthorizationError
from ivig.notifications.models import Kind, Notification

from .factories import make_order

pytestmark = pytest.mark.django_db

S = AuthorizationStatus


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def order(clinician, today):
    return make_order(start_date=today + timedelta(days=3), by=clinician)


@pytest.fixture
def authorization(order, authadmin):
    return services.authorization_create(
        by=authadmin, order=order, payer=" Acme Health ", member_id="M-1"
    )


def submitted(authorization, authadmin):
    return services.authorization_submit(authorization, by=authadmin, reference_number="PA-9")


def approve(authorization, authadmin, today, **overrides):
    values = {
        "approved": True,
        "decision_date": today,
        "approved_cycles": 3,
        "approved_grams": Decimal("240"),
        "valid_from": today,
        "valid_to": today + timedelta(days=90),
    }
    values.update(overrides)
    return services.authorization_record_decision(authorization, by=authadmin, **values)


def deny(authorization, authadmin, today, reason="Not medically necessary"):
    return services.authorization_record_decision(
        authorization, by=authadmin, approved=False, decision_date=today, reason=reason
    )


def test_create_is_not_submitted_for_the_orders_patient(authorization, order, authadmin):
    assert authorization.status == S.NOT_SUBMITTED
    assert authorization.patient == order.patient
    assert authorization.payer == "Acme Health"
    assert authorization.version == 1
    assert authorization.history.first().history_user == authadmin


def test_submit_records_when_and_reference(authorization, authadmin):
    result = submitted(authorization, authadmin)
    assert result.status == S.SUBMITTED
    assert result.submitted_at is not None
    assert result.reference_number == "PA-9"
    assert result.version == 2


def test_approval_records_the_numbers(authorization, authadmin, today):
    result = approve(submitted(authorization, authadmin), authadmin, today)
    assert result.status == S.APPROVED
    assert (result.approved_cycles, result.approved_grams) == (3, Decimal("240"))
    assert result.decision_date == today


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ({"approved_cycles": None}, "approved_cycles"),
        ({"approved_cycles": 0}, "approved_cycles"),
        ({"approved_grams": None}, "approved_grams"),
        ({"approved_grams": Decimal(0)}, "approved_grams"),
        ({"valid_from": None}, "valid_from"),
        ({"valid_to": None}, "valid_to"),
        ({"decision_date": None}, "decision_date"),
    ],
)
def test_an_approval_needs_every_number_and_date(authorization, authadmin, today, missing, field):
    submitted(authorization, authadmin)
    with pytest.raises(AuthorizationError) as refused:
        approve(authorization, authadmin, today, **missing)
    assert refused.value.code == "invalid"
    assert field in refused.value.field_errors
    authorization.refresh_from_db()
    assert authorization.status == S.SUBMITTED


def test_valid_to_before_valid_from_is_refused(authorization, authadmin, today):
    submitted(authorization, authadmin)
    with pytest.raises(AuthorizationError) as refused:
        approve(authorization, authadmin, today, valid_to=today - timedelta(days=1))
    assert "valid_to" in refused.value.field_errors


def test_a_decision_date_in_the_future_is_refused(authorization, authadmin, today):
    submitted(authorization, authadmin)
    with pytest.raises(AuthorizationError):
        approve(authorization, authadmin, today, decision_date=today + timedelta(days=1))


def test_denial_needs_a_reason_and_keeps_it_in_the_notes(authorization, authadmin, today):
    submitted(authorization, authadmin)
    with pytest.raises(AuthorizationError) as refused:
        deny(authorization, authadmin, today, reason="  ")
    assert "reason" in refused.value.field_errors
    result = deny(authorization, authadmin, today)
    assert result.status == S.DENIED
    assert "denied: Not medically necessary" in result.notes


def test_denial_needs_a_decision_date(authorization, authadmin):
    submitted(authorization, authadmin)
    with pytest.raises(AuthorizationError) as refused:
        services.authorization_record_decision(
            authorization, by=authadmin, approved=False, decision_date=None, reason="No"
        )
    assert "decision_date" in refused.value.field_errors


def test_appeal_only_from_denied_then_decided_again(authorization, authadmin, today):
    submitted(authorization, authadmin)
    with pytest.raises(AuthorizationError) as refused:
        services.authorization_appeal(authorization, by=authadmin, reason="Letter")
    assert refused.value.code == "illegal_transition"
    deny(authorization, authadmin, today)
    with pytest.raises(AuthorizationError):
        services.authorization_appeal(authorization, by=authadmin, reason="")
    appealed = services.authorization_appeal(authorization, by=authadmin, reason="New letter")
    assert appealed.status == S.APPEALED
    assert appealed.appealed_at is not None
    assert approve(appealed, authadmin, today).status == S.APPROVED


def test_expire_only_from_approved(authorization, authadmin, today):
    with pytest.raises(AuthorizationError):
        services.authorization_expire(authorization, by=authadmin)
    approve(submitted(authorization, authadmin), authadmin, today)
    expired = services.authorization_expire(authorization, by=authadmin, reason="Payer withdrew")
    assert expired.status == S.EXPIRED
    assert expired.expired_at is not None


def test_renew_makes_a_new_request_for_the_same_order(authorization, authadmin, today, order):
    with pytest.raises(AuthorizationError):
        services.authorization_renew(authorization, by=authadmin)
    approve(submitted(authorization, authadmin), authadmin, today)
    renewal = services.authorization_renew(authorization, by=authadmin, reference_number="PA-10")
    assert renewal.pk != authorization.pk
    assert renewal.status == S.NOT_SUBMITTED
    assert (renewal.order, renewal.renews, renewal.payer) == (order, authorization, "Acme Health")


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.NOT_SUBMITTED, "decide"),
        (S.NOT_SUBMITTED, "appeal"),
        (S.SUBMITTED, "submit"),
        (S.SUBMITTED, "expire"),
        (S.SUBMITTED, "renew"),
        (S.APPROVED, "submit"),
        (S.APPROVED, "appeal"),
        (S.APPROVED, "decide"),
        (S.DENIED, "expire"),
        (S.DENIED, "decide"),
        (S.APPEALED, "appeal"),
        (S.APPEALED, "renew"),
        (S.EXPIRED, "expire"),
        (S.EXPIRED, "decide"),
    ],
)
def test_illegal_transitions_are_refused(authorization, authadmin, today, status, action):
    steps = {
        S.NOT_SUBMITTED: [],
        S.SUBMITTED: ["submit"],
        S.APPROVED: ["submit", "approve"],
        S.DENIED: ["submit", "deny"],
        S.APPEALED: ["submit", "deny", "appeal"],
        S.EXPIRED: ["submit", "approve", "expire"],
    }[status]
    run = {
        "submit": lambda: services.authorization_submit(authorization, by=authadmin),
        "approve": lambda: approve(authorization, authadmin, today),
        "deny": lambda: deny(authorization, authadmin, today),
        "appeal": lambda: services.authorization_appeal(authorization, by=authadmin, reason="R"),
        "expire": lambda: services.authorization_expire(authorization, by=authadmin),
        "decide": lambda: approve(authorization, authadmin, today),
        "renew": lambda: services.authorization_renew(authorization, by=authadmin),
    }
    for step in steps:
        run[step]()
    version = Authorization.objects.get(pk=authorization.pk).version
    with pytest.raises(AuthorizationError) as refused:
        run[action]()
    assert refused.value.code == "illegal_transition"
    assert Authorization.objects.get(pk=authorization.pk).version == version


def test_a_stale_version_is_refused(authorization, authadmin):
    services.authorization_update(authorization, by=authadmin, version=1, payer="Other payer")
    with pytest.raises(AuthorizationError) as refused:
        services.authorization_submit(authorization, by=authadmin, version=1)
    assert refused.value.code == "stale_version"
    assert refused.value.is_conflict


def test_update_refuses_status_fields(authorization, authadmin):
    with pytest.raises(AuthorizationError):
        services.authorization_update(authorization, by=authadmin, version=1, status="approved")


def test_documents_are_appended_with_who(authorization, authadmin):
    document = services.authorization_document_add(
        authorization, by=authadmin, title="Request letter", reference="https://docs/1"
    )
    assert list(authorization.documents.all()) == [document]
    assert document.added_by == authadmin
    with pytest.raises(AuthorizationError):
        services.authorization_document_add(authorization, by=authadmin, title="", reference="x")


def test_a_decision_notifies_the_ordering_clinician_once(
    authorization, authadmin, today, clinician, django_capture_on_commit_callbacks
):
    submitted(authorization, authadmin)
    with django_capture_on_commit_callbacks(execute=True):
        approve(authorization, authadmin, today)
    notices = Notification.objects.filter(recipient=clinician)
    assert [n.kind for n in notices] == [Kind.AUTHORIZATION_APPROVED]
    notify.authorization_status_notify(authorization.pk)
    assert notices.count() == 1


def test_the_sweep_expires_lapsed_approvals_only(order, authadmin, today):
    lapsed = services.authorization_create(by=authadmin, order=order, payer="A", member_id="1")
    current = services.authorization_create(by=authadmin, order=order, payer="B", member_id="2")
    for authorization, valid_to in ((lapsed, today - timedelta(days=1)), (current, today)):
        submitted(authorization, authadmin)
        approve(
            authorization,
            authadmin,
            today,
            valid_from=today - timedelta(days=30),
            valid_to=valid_to,
        )
    assert services.authorizations_expire_lapsed(today=today) == 1
    lapsed.refresh_from_db()
    current.refresh_from_db()
    assert (lapsed.status, current.status) == (S.EXPIRED, S.APPROVED)
    assert lapsed.history.first().history_change_reason == "valid_to passed (daily sweep)"
    assert services.authorizations_expire_lapsed(today=today) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "approved"},  # an approval without its numbers
        {"status": "denied", "submitted_at": timezone.now()},  # a denial without a date
        {"status": "submitted"},  # submitted without when
        {"valid_from": "2026-02-01", "valid_to": "2026-01-31"},
        {"approved_grams": Decimal(0)},
        {"approved_cycles": 0},
        {"status": "bogus"},
    ],
)
def test_the_database_refuses_inconsistent_rows(order, authadmin, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Authorization.objects.create(
            patient=order.patient,
            order=order,
            payer="P",
            member_id="M",
            created_by=authadmin,
            **fields,
        )


@pytest.mark.parametrize("given", [None, "", "   "])
def test_submit_without_a_reference_keeps_the_stored_one(authorization, authadmin, given):
    Authorization.objects.filter(pk=authorization.pk).update(reference_number="PA-2026-7781")
    authorization.refresh_from_db()
    result = services.authorization_submit(
        authorization, by=authadmin, version=1, reference_number=given
    )
    assert result.reference_number == "PA-2026-7781"
