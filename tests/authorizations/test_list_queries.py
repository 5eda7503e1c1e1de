"""The authorization lists read a page, not the centre: each list's ordering is an index's
(newest first, alone or after the status; denials by decision), the listed orders come without
their frozen plans, and "denied, not renewed since" is an anti-join that leaves renewed denials
out (docs/clinical-rules.md 7)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from authorizations import selectors
from authorizations.models import (
    AWAITING_DECISION,
    WAITING_SINCE,
    Authorization,
    AuthorizationStatus,
)
from tests.authorizations.factories import AuthorizationFactory, make_order

pytestmark = pytest.mark.django_db


def _index_fields() -> set[tuple[str, ...]]:
    return {tuple(index.fields) for index in Authorization._meta.indexes}


def test_every_authorization_list_ordering_is_an_index():
    newest = tuple(str(field) for field in Authorization._meta.ordering or ())
    assert selectors.authorizations_list().query.order_by == ()  # the model's: newest first
    indexes = _index_fields()
    assert newest in indexes
    assert ("status", *newest) in indexes
    today = timezone.localdate()
    awaiting = selectors.awaiting_decision_page(today).paginator.object_list.query.order_by  # type: ignore[attr-defined]
    waiting = next(
        i for i in Authorization._meta.indexes if i.name == "authorization_waiting_since"
    )
    assert tuple(waiting.expressions) == (WAITING_SINCE, F("id"))
    assert tuple(awaiting) == (WAITING_SINCE, "pk")
    assert waiting.condition == Q(status__in=AWAITING_DECISION)
    denials = selectors.denials_page().paginator.object_list.query.order_by  # type: ignore[attr-defined]
    assert ("status", *(field.replace("pk", "id") for field in denials)) in indexes


def test_the_list_reads_no_frozen_plan():
    make_order(start_date=timezone.localdate())
    AuthorizationFactory.create(order=make_order(start_date=timezone.localdate()))
    with CaptureQueriesContext(connection) as queries:
        rows = list(selectors.authorizations_list()[:50])
    assert rows and rows[0].order.number
    assert len(queries) == 1
    assert "plan_at_signing" not in queries[0]["sql"]
    assert "findings_at_signing" not in queries[0]["sql"]


def test_a_denial_renewed_since_is_no_longer_to_appeal():
    today = timezone.localdate()
    denied = []
    for _ in range(3):
        denied.append(
            AuthorizationFactory.create(
                order=make_order(start_date=today),
                status=AuthorizationStatus.DENIED,
                submitted_at=timezone.now() - timedelta(days=3),
                decision_date=today,
            )
        )
    AuthorizationFactory.create(order=denied[1].order, renews=denied[1])
    expected = [denied[2].pk, denied[0].pk]  # newest decision first (same day: newest id)
    assert [a.pk for a in selectors.denials_to_appeal()] == expected
    page = selectors.denials_page()
    assert [a.pk for a in page] == expected and page.paginator.count == 2
