"""The superuser's admin (docs/clinical-rules.md 1): the infusions and orders models are registered
with their history; nothing is deleted; the administration record and orders are read-only there."""

import pytest
from django.contrib import admin
from django.contrib.admin.sites import site
from django.test import Client
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from authorizations.models import Authorization
from infusions.models import (
    AdministrationEntry,
    CalendarFeedToken,
    Chair,
    EntryKind,
    InfusionSession,
    SessionOverride,
)
from ivig.accounts.models import User
from orders.models import Indication, Order, OrderOverride, Patient
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db

HISTORY_MODELS = [
    Chair,
    InfusionSession,
    AdministrationEntry,
    CalendarFeedToken,
    Order,
    OrderOverride,
    Authorization,
    Patient,
    SessionOverride,
]
READ_ONLY = [AdministrationEntry, Order, OrderOverride, CalendarFeedToken, SessionOverride]


@pytest.fixture
def superuser_client():
    user = User.objects.create_superuser("root", "root@example.org", "a-long-test-password-2026")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", [*HISTORY_MODELS, Indication])
def test_registered(model) -> None:
    assert site.is_registered(model)
    model_admin = site._registry[model]
    if model in HISTORY_MODELS:
        assert isinstance(model_admin, SimpleHistoryAdmin)


@pytest.fixture
def records(nurse):
    order = verified_order(status="active")
    session = session_for(
        order, ChairFactory.create(name="Chair 1"), yesterday_at("09:00"), by=nurse
    )
    entry = AdministrationEntry.objects.create(
        session=session,
        kind=EntryKind.NOTE,
        occurred_at=yesterday_at("09:05"),
        recorded_by=nurse,
        details="Patient comfortable.",
    )
    reason = SessionOverride.objects.create(
        session=session,
        code="CREATININE_DUE",
        session_day=yesterday_at("09:00").date(),
        message="Creatinine check due",
        reason="Outside result of last week.",
        given_by=nurse,
    )
    return {
        SessionOverride: reason,
        Chair: session.chair,
        InfusionSession: session,
        AdministrationEntry: entry,
        Order: order,
        Authorization: order.authorizations.get(),
        Patient: order.patient,
        Indication: order.indication,
    }


def _url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_changelists_change_and_history_pages_open(superuser_client, records) -> None:
    for model, obj in records.items():
        assert superuser_client.get(_url(model, "changelist")).status_code == 200, model
        assert superuser_client.get(_url(model, "change", obj.pk)).status_code == 200, model
        if model in HISTORY_MODELS:
            assert superuser_client.get(_url(model, "history", obj.pk)).status_code == 200, model


def test_nothing_is_deleted_and_the_record_is_read_only(superuser_client, records) -> None:
    request = type("Request", (), {"user": User.objects.get(username="root")})()
    for model in [*HISTORY_MODELS, Indication]:
        assert not site._registry[model].has_delete_permission(request), model
    for model in READ_ONLY:
        model_admin = site._registry[model]
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
    entry = records[AdministrationEntry]
    response = superuser_client.post(
        _url(AdministrationEntry, "change", entry.pk), {"details": "edited"}
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.details == "Patient comfortable."
    assert superuser_client.get(_url(AdministrationEntry, "add")).status_code == 403
    assert isinstance(site._registry[Chair], admin.ModelAdmin)
