"""``/api/v1/authorizations/`` (docs/clinical-rules.md 7, 9): every role reads, authorization admins
change; refusals are 400 (fields) or 409 (stale version, illegal transition)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from authorizations.models import Authorization
from ivig.accounts.roles import Role

from .factories import AuthorizationFactory, approved, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def order(clinician, today):
    return make_order(start_date=today + timedelta(days=5), by=clinician)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads(role, users_by_role, client_for, order):
    authorization = AuthorizationFactory.create(order=order)
    client = client_for(users_by_role[role])
    listed = client.get("/api/v1/authorizations/")
    assert listed.status_code == 200
    assert listed.json()["results"][0]["order_number"] == order.number
    assert client.get(f"/api/v1/authorizations/{authorization.pk}/").status_code == 200
    coverage = client.get(f"/api/v1/orders/{order.pk}/coverage/")
    assert [row["covered"] for row in coverage.json()] == [False, False, False]


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.PHARMACIST, Role.NURSE])
def test_other_roles_may_not_change(role, users_by_role, client_for, order):
    authorization = AuthorizationFactory.create(order=order)
    client = client_for(users_by_role[role])
    base = f"/api/v1/authorizations/{authorization.pk}"
    attempts = [
        ("post", "/api/v1/authorizations/", {"order": order.pk, "payer": "P", "member_id": "M"}),
        ("patch", f"{base}/", {"version": 1, "payer": "X"}),
        *[
            ("post", f"{base}/{name}/", {})
            for name in ("submit", "decision", "appeal", "expire", "renew", "documents")
        ],
    ]
    for method, url, data in attempts:
        response = getattr(client, method)(url, data, content_type="application/json")
        assert response.status_code == 403, url
    assert Authorization.objects.get(pk=authorization.pk).version == 1


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/authorizations/").status_code == 401


def test_the_whole_life_through_the_api(authadmin, client_for, order, today):
    client = client_for(authadmin)

    def post(url, data):
        return client.post(url, data, content_type="application/json")

    created = post(
        "/api/v1/authorizations/", {"order": order.pk, "payer": "Acme", "member_id": "M1"}
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    base = f"/api/v1/authorizations/{pk}"
    assert created.json()["status"] == "not_submitted"
    assert post(f"{base}/submit/", {"version": 1, "reference_number": "PA1"}).status_code == 200
    assert post(f"{base}/submit/", {}).status_code == 409  # illegal now
    stale = client.patch(f"{base}/", {"version": 1, "payer": "X"}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    denied = post(f"{base}/decision/", {"decision": "denied", "decision_date": str(today)})
    assert denied.status_code == 400
    assert "reason" in denied.json()["field_errors"]
    denied = post(
        f"{base}/decision/",
        {"decision": "denied", "decision_date": str(today), "reason": "Step therapy first"},
    )
    assert denied.json()["status"] == "denied"
    assert post(f"{base}/appeal/", {"reason": "Failed steroids"}).json()["status"] == "appealed"
    approved_response = post(
        f"{base}/decision/",
        {
            "decision": "approved",
            "decision_date": str(today),
            "approved_cycles": 3,
            "approved_grams": "240",
            "valid_from": str(today),
            "valid_to": str(today + timedelta(days=120)),
        },
    )
    assert approved_response.status_code == 200
    assert approved_response.json()["approved_grams"] == "240.00"
    document = post(f"{base}/documents/", {"title": "Approval letter", "reference": "F-12"})
    assert document.status_code == 201
    coverage = client.get(f"/api/v1/orders/{order.pk}/coverage/").json()
    assert [row["covered"] for row in coverage] == [True, True, True]
    renewal = post(f"{base}/renew/", {})
    assert renewal.status_code == 201
    assert renewal.json()["renews"] == pk
    assert post(f"{base}/expire/", {"reason": "Payer withdrew"}).json()["status"] == "expired"


def test_filter_by_status(authadmin, client_for, order, today):
    approved(order, valid_from=today, valid_to=today, cycles=1, grams=80)
    AuthorizationFactory.create(order=order)
    client = client_for(authadmin)
    assert client.get("/api/v1/authorizations/?status=approved").json()["count"] == 1
