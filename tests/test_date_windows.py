"""One bounded date at the edge (ivig/dates.py): every date the app accepts — each date field of
the API schema's request bodies, each form's, each filter's — has a named window, and its edges
hold: the first and last day are accepted, the day before and the day after, 0001-01-01 and
9999-12-31 are a field error, never a 500."""

import contextlib
from datetime import date, datetime, time, timedelta
from importlib import import_module
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_filters import rest_framework as django_filters
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from ivig.dates import (
    BoundedDate,
    BoundedDateField,
    BoundedDateFilter,
    BoundedDateTime,
    BoundedDateTimeField,
    DayWindow,
)

PROJECT_APPS = (
    "ivig",
    "formulary",
    "orders",
    "authorizations",
    "infusions",
    "reminders",
    "reports",
)
FAR = ("0001-01-01", "9999-12-31")


def _subclasses(base: type) -> set[type]:
    found: set[type] = set()
    stack = [base]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


def _import_everything() -> None:
    import_module("ivig.urls")
    for config in apps.get_app_configs():
        if config.name.split(".")[0] not in PROJECT_APPS:
            continue
        for name in ("forms", "views", "api", "admin", "lab_views", "review_views", "filters"):
            with contextlib.suppress(ModuleNotFoundError):
                import_module(f"{config.name}.{name}")


def _ours(cls: type) -> bool:
    return cls.__module__.split(".")[0] in PROJECT_APPS


def _edges(window: DayWindow) -> tuple[list[date], list[date]]:
    first, last = window.bounds()
    return [first, last], [first - timedelta(days=1), last + timedelta(days=1)]


def _as_text(day: date, moment: bool) -> str:
    if not moment:
        return day.isoformat()
    return timezone.make_aware(datetime.combine(day, time(12))).isoformat()


def _form_date_fields() -> list[tuple[str, forms.Field]]:
    _import_everything()
    found: list[tuple[str, forms.Field]] = []
    for form_class in _subclasses(forms.BaseForm):
        if not _ours(form_class):
            continue
        for name, field in getattr(form_class, "base_fields", {}).items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                found.append((f"{form_class.__module__}.{form_class.__name__}.{name}", field))
    return found


def _serializer_date_fields() -> list[tuple[str, serializers.Field]]:
    """Every writable date (and date-time) of every request body in the API schema."""
    return request_fields((serializers.DateField, serializers.DateTimeField))


def request_fields(kinds: tuple[type, ...]) -> list[tuple[str, Any]]:
    """Every writable field of a type in ``kinds`` of every request body in the API schema
    (nested serializers and list items included)."""
    generator = SchemaGenerator()
    generator.get_schema(request=None, public=True)
    found: list[tuple[str, Any]] = []
    seen: set[int] = set()
    for component in generator.registry._components.values():
        serializer = component.object
        if not component.name.endswith("Request"):
            continue
        if not isinstance(serializer, serializers.BaseSerializer):
            if isinstance(serializer, type) and issubclass(serializer, serializers.BaseSerializer):
                serializer = serializer()
            else:
                continue
        if id(type(serializer)) in seen:
            continue
        seen.add(id(type(serializer)))
        stack: list[tuple[str, Any]] = [(component.name, serializer)]
        while stack:
            path, item = stack.pop()
            if isinstance(item, serializers.ListSerializer):
                stack.append((path, item.child))
                continue
            if not isinstance(item, serializers.Serializer):
                continue
            for name, field in item.fields.items():
                if field.read_only:
                    continue
                if isinstance(field, serializers.ListField):
                    field = field.child
                if isinstance(field, serializers.BaseSerializer):
                    stack.append((f"{path}.{name}", field))
                elif isinstance(field, kinds):
                    found.append((f"{path}.{name}", field))
    return found


def test_the_walks_find_the_dates():
    forms_found = dict(_form_date_fields())
    api_found = dict(_serializer_date_fields())
    assert any(path.endswith("OrderForm.start_date") for path in forms_found)
    assert any(path.endswith("PatientForm.date_of_birth") for path in forms_found)
    assert any(path.endswith(".start_date") for path in api_found)
    assert any(path.endswith(".reviewed_on") for path in api_found)
    assert any(path.endswith(".requested_date") for path in api_found)
    assert len(forms_found) >= 12 and len(api_found) >= 12, (forms_found, api_found)


@pytest.mark.django_db
def test_every_form_date_has_a_window_and_its_edges_hold():
    problems = []
    for path, field in _form_date_fields():
        if not isinstance(field, BoundedDateField | BoundedDateTimeField):
            problems.append(f"{path}: not a bounded date field")
            continue
        moment = isinstance(field, forms.DateTimeField)
        inside, outside = _edges(field.window)
        for day in inside:
            try:
                field.clean(_as_text(day, moment))
            except ValidationError as error:
                problems.append(f"{path}: {day} refused ({error.messages})")
        for value in [*(_as_text(day, moment) for day in outside), *FAR]:
            try:
                field.clean(value if not moment or "T" in value else value + "T12:00")
            except ValidationError as error:
                words = ("a day from", field.window.future or "a day from")
                assert any(word in m for word in words for m in error.messages), error.messages
            else:
                problems.append(f"{path}: {value} accepted")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_every_api_date_has_a_window_and_its_edges_hold():
    problems = []
    for path, field in _serializer_date_fields():
        if not isinstance(field, BoundedDate | BoundedDateTime):
            problems.append(f"{path}: not a bounded date field")
            continue
        moment = isinstance(field, serializers.DateTimeField)
        inside, outside = _edges(field.window)
        for day in inside:
            try:
                field.run_validation(_as_text(day, moment))
            except serializers.ValidationError as error:
                problems.append(f"{path}: {day} refused ({error.detail})")
        far = [f"{value}T23:59:59Z" if moment else value for value in FAR]
        for value in [*(_as_text(day, moment) for day in outside), *far]:
            try:
                field.run_validation(value)
            except serializers.ValidationError as error:
                words = ("a day from", field.window.future or "a day from")
                assert any(word in str(error.detail) for word in words), error.detail
            else:
                problems.append(f"{path}: {value} accepted")
    assert not problems, "\n".join(problems)


def test_every_date_filter_is_bounded():
    _import_everything()
    problems = []
    for filterset in _subclasses(django_filters.FilterSet):
        if not _ours(filterset):
            continue
        for name, item in getattr(filterset, "base_filters", {}).items():
            if isinstance(item, django_filters.DateFilter) and not isinstance(
                item, BoundedDateFilter
            ):
                problems.append(f"{filterset.__name__}.{name}")
    assert not problems


# --- the answers that were 500s ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "3000-01-01"])
def test_far_start_dates_are_a_400_through_the_api(clinician, client_for, day):
    from tests.orders.factories import worked_example_patient

    patient = worked_example_patient(clinician)
    body = {
        "patient": patient.pk,
        "indication": "pemphigus-vulgaris",
        "product": "privigen",
        "total_dose_g_per_kg": "2",
        "days_per_cycle": 5,
        "cycles": 6,
        "cycle_interval_days": 28,
        "start_date": day,
    }
    response = client_for(clinician).post("/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "start_date" in response.json()["field_errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "tomorrow"])
def test_a_date_of_birth_outside_1900_to_today_is_a_400(clinician, client_for, day):
    if day == "tomorrow":
        day = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = {
        "mrn": "W-1",
        "given_name": "A",
        "family_name": "B",
        "date_of_birth": day,
        "sex": "female",
    }
    response = client_for(clinician).post(
        "/api/v1/patients/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "date_of_birth" in response.json()["field_errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["date_to", "date_from"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_far_report_days_are_a_400_on_the_page_and_the_csv(pharmacist, client_for, param, day):
    client = client_for(pharmacist)
    page = client.get(reverse("reports:stewardship") + f"?{param}={day}")
    assert page.status_code == 400
    assert "a day from" in page.content.decode()
    export = client.get(reverse("reports:stewardship-csv") + f"?{param}={day}")
    assert export.status_code == 400
    assert "a day from" in export.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_far_booking_days_are_a_400_through_the_api(nurse, client_for, day):
    from orders.models import OrderStatus
    from tests.infusions.factories import ChairFactory, local, session_for, verified_order

    client = client_for(nurse)
    order = verified_order()
    proposal = client.post(
        "/api/v1/infusion-sessions/proposal/",
        {"order": order.pk, "cycle_number": 1, "requested_date": day},
        content_type="application/json",
    )
    assert proposal.status_code == 400, proposal.content
    assert "requested_date" in proposal.json()["field_errors"]
    chair = ChairFactory.create()
    active = verified_order(status=OrderStatus.ACTIVE)
    start = local(timezone.localdate() + timedelta(days=3), "09:00")
    session = session_for(active, chair, start, by=nurse)
    move = {"chair": chair.pk, "start": f"{day}T23:59:59Z", "reason": "Clinic", "version": 1}
    moved = client.post(
        f"/api/v1/infusion-sessions/{session.pk}/move/", move, content_type="application/json"
    )
    assert moved.status_code == 400, moved.content
    assert "start" in moved.json()["field_errors"]


@pytest.mark.django_db
def test_a_far_day_on_the_booking_page_is_refused_not_a_500(nurse, client_for):
    from tests.infusions.factories import ChairFactory, verified_order

    chair = ChairFactory.create()
    order = verified_order(days_per_cycle=1)
    url = reverse("infusions:book", args=[order.pk, 1])
    data = {
        "day-TOTAL_FORMS": "1",
        "day-INITIAL_FORMS": "1",
        "day-MIN_NUM_FORMS": "1",
        "day-MAX_NUM_FORMS": "1",
        "day-0-day": "9999-12-31",
        "day-0-chair": str(chair.pk),
        "day-0-start_time": "09:00",
    }
    answer = client_for(nurse).post(url, data)
    assert answer.status_code == 200
    assert "Check each day" in answer.content.decode()
    far = client_for(nurse).get(url + "?date=9999-12-31")
    assert far.status_code == 200
