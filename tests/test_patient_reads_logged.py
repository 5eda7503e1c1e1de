"""Every read of patient data is logged once per request by one mechanism, lists and searches
included (docs/clinical-rules.md 1): ``ivig.audit.reads``.

The routes come from the URL resolver, so a patient-data view added later without the
decorator or mixin fails here.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ivig.audit.models import AccessLog
from tests.orders.factories import worked_example_patient

# Addresses that serve patient data: patients, orders, authorizations, sessions (API and pages),
# and every FHIR resource type but Medication (the formulary's products), Schedule and Slot
# (chairs and their busy times: no patient).
PATIENT_DATA = re.compile(
    r"^(api/v1/\^?(patients|orders|authorizations|infusion-sessions|notifications)"
    r"|orders/|infusions/(sessions|orders)/|infusions/$|infusions/calendar/.+\.ics"
    r"|notifications/$|fhir/R4/(?!(Medication|Schedule|Slot)(/|$))[A-Z])"
)
# Admin pages of these models show patient data (issue 22).
PATIENT_DATA_MODELS = {
    "orders.patient",
    "orders.order",
    "orders.orderoverride",
    "authorizations.authorization",
    "infusions.infusionsession",
    "infusions.administrationentry",
    "infusions.sessionoverride",
}
# Views under those addresses that show no patient record on a GET, with the reason.
EXEMPT = {
    # POST only: a change, answered with a redirect or a form error (the change is history).
    *(f"orders/<int:pk>/{step}/" for step in ("sign", "verify", "reject", "discontinue")),
    "orders/<int:pk>/complete/",
    "orders/patients/<int:pk>/weights/add/",
    "orders/new/preview/",
    "orders/new/fields/",
    *(
        f"orders/authorizations/<int:pk>/{step}/"
        for step in ("submit", "decision", "appeal", "expire", "renew", "documents")
    ),
    *(
        f"infusions/sessions/<int:pk>/{step}/"
        for step in ("record", "premedication", "move", "cancel", "confirm", "reason")
    ),
    # Blank forms for a new record.
    "orders/patients/new/",
    "orders/authorizations/new/",
}


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith("admin/"):
                found.extend(_patterns(entry, route))
        elif isinstance(entry, URLPattern) and "format" not in route:
            found.append((route, entry.callback))
    return found


ROUTES = [(route, view) for route, view in _patterns(get_resolver()) if PATIENT_DATA.match(route)]


def test_the_route_list_is_complete():
    routes = {route for route, _ in ROUTES}
    assert "orders/patients/" in routes and "api/v1/^patients/$" in routes
    assert "api/v1/orders/<int:order_id>/coverage/" in routes
    assert routes >= EXEMPT, EXEMPT - routes
    assert "infusions/calendar/<str:token>/unit.ics" in routes
    assert "notifications/" in routes and "api/v1/^notifications/$" in routes


def test_every_admin_of_patient_data_logs_its_reads():
    from django.contrib import admin

    registered = {
        model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()
    }
    assert set(registered) >= PATIENT_DATA_MODELS
    missing = [
        label
        for label in PATIENT_DATA_MODELS
        if not getattr(registered[label], "logs_patient_reads", False)
    ]
    assert not missing, missing


@pytest.mark.parametrize(("route", "view"), [(r, v) for r, v in ROUTES if r not in EXEMPT])
def test_every_view_serving_patient_data_logs_its_reads(route, view):
    target = getattr(view, "cls", None) or view
    assert getattr(target, "logs_patient_reads", False), (
        f"{route}: add ivig.audit.reads.LogsPatientReadsMixin (API) or @logs_patient_reads "
        "(page) to log who read which patient data"
    )


@pytest.mark.django_db
def test_the_patients_api_list_logs_the_ids_it_returned_once(clinician, client_for):
    first = worked_example_patient(clinician)
    second = worked_example_patient(clinician, mrn="MRN-2")
    response = client_for(clinician).get("/api/v1/patients/?limit=10")
    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert entry.user == clinician and entry.subject_id == ""
    assert sorted(entry.records["orders.patient"]) == sorted([str(first.pk), str(second.pk)])
    assert entry.path == "/api/v1/patients/?limit=10"


@pytest.mark.django_db
def test_a_patient_search_page_logs_the_patients_shown(clinician, client_for):
    patient = worked_example_patient(clinician)
    response = client_for(clinician).get(reverse("orders:patient-list") + "?q=" + patient.mrn)
    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert entry.records == {"orders.patient": [str(patient.pk)]}
    assert f"q={patient.mrn}" in entry.path


@pytest.mark.django_db
def test_a_detail_read_is_one_row_naming_the_record(clinician, client_for):
    patient = worked_example_patient(clinician)
    client = client_for(clinician)
    assert client.get(reverse("orders:patient-detail", args=[patient.pk])).status_code == 200
    assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    rows = list(AccessLog.objects.order_by("id"))
    assert [(r.subject_type, r.subject_id) for r in rows] == [
        ("orders.patient", str(patient.pk)),
        ("orders.patient", str(patient.pk)),
    ]


@pytest.mark.django_db
def test_refused_and_failed_reads_are_not_logged(nurse, client_for):
    client = client_for(nurse)
    assert client.get("/api/v1/patients/99999/").status_code == 404
    assert client.get("/api/v1/patients/?limit=1000").status_code == 400
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_the_schedule_logs_the_patients_it_names(nurse, client_for):
    """The day's sessions and the cycles to book both name patients: one row lists them."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.infusions.factories import ChairFactory, local, session_for, verified_order

    today = timezone.localdate()
    booked = verified_order()
    session_for(booked, ChairFactory.create(), local(today, "09:00"), by=nurse)
    due = verified_order(start_date=today + timedelta(days=3))
    response = client_for(nurse).get(reverse("infusions:schedule") + f"?date={today}")
    assert response.status_code == 200
    assert booked.patient.family_name in response.text and due.patient.mrn in response.text
    entry = AccessLog.objects.get(path__startswith=reverse("infusions:schedule"))
    assert sorted(entry.records["orders.patient"]) == sorted(
        [str(booked.patient_id), str(due.patient_id)]
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "role"),
    [("orders:home", "clinician"), ("orders:verification-queue", "pharmacist")],
)
def test_an_order_list_logs_the_orders_it_showed(route, role, request, clinician, client_for):
    from orders.services import order_create, order_sign
    from tests.conftest import TEST_PASSWORD
    from tests.orders.factories import order_values

    signed = [
        order_sign(order, by=clinician, password=TEST_PASSWORD, override_reasons={}, version=1)
        for order in (
            order_create(by=clinician, **order_values(worked_example_patient(clinician)))
            for _ in range(2)
        )
    ]
    response = client_for(request.getfixturevalue(role)).get(reverse(route))
    assert response.status_code == 200
    entry = AccessLog.objects.get(path=reverse(route))
    assert sorted(entry.records["orders.order"]) == sorted(str(order.pk) for order in signed)


@pytest.mark.django_db
def test_the_authorization_list_logs_the_authorizations_it_showed(authadmin, client_for):
    from django.utils import timezone

    from tests.authorizations.factories import AuthorizationFactory, make_order

    shown = [
        AuthorizationFactory.create(order=make_order(start_date=timezone.localdate()))
        for _ in range(2)
    ]
    path = reverse("authorizations:authorization-list")
    assert client_for(authadmin).get(path).status_code == 200
    entry = AccessLog.objects.get(path=path)
    assert sorted(entry.records["authorizations.authorization"]) == sorted(
        str(authorization.pk) for authorization in shown
    )


# --- the gaps of issue 22 ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_logs_the_patients_it_showed(admin_client, clinician):
    patient = worked_example_patient(clinician)
    for path in (
        reverse("admin:orders_patient_changelist"),
        reverse("admin:orders_patient_change", args=[patient.pk]),
        reverse("admin:orders_patient_history", args=[patient.pk]),
    ):
        assert admin_client.get(path).status_code == 200, path
        entry = AccessLog.objects.get(path=path)
        assert entry.records == {"orders.patient": [str(patient.pk)]}


@pytest.mark.django_db
def test_a_calendar_feed_logs_the_patients_it_named(nurse):
    from django.test import Client
    from django.utils import timezone

    from infusions.feeds.services import calendar_token_rotate
    from tests.infusions.factories import ChairFactory, local, session_for, verified_order

    order = verified_order()
    chair = ChairFactory.create()
    session = session_for(order, chair, local(timezone.localdate(), "09:00"), by=nurse)
    token = calendar_token_rotate(nurse)
    for path in (
        reverse("infusions:feed-unit", args=[token]),
        reverse("infusions:feed-chair", args=[token, chair.pk]),
    ):
        answer = Client().get(path)
        assert answer.status_code == 200
        assert order.patient.mrn in answer.content.decode()
        entry = AccessLog.objects.get(path=path)
        assert entry.user == nurse
        # Named once in the feed's record set, which each read of the feed points to.
        assert entry.record_set is not None
        assert entry.record_set.records["orders.patient"] == [str(order.patient_id)]
        assert entry.record_set.records["infusions.infusionsession"] == [str(session.pk)]


@pytest.mark.django_db
def test_the_notification_inbox_and_api_log_what_they_are_about(clinician, client_for):
    from ivig.notifications.models import Kind, Notification

    patient = worked_example_patient(clinician)
    notification = Notification.objects.create(
        recipient=clinician,
        subject_type="orders.patient",
        subject_id=patient.pk,
        kind=Kind.values[0],
        due_date="2026-01-01",
        title=f"Review due for {patient.full_name}",
    )
    client = client_for(clinician)
    for path in (
        reverse("notifications:inbox"),
        "/api/v1/notifications/",
        f"/api/v1/notifications/{notification.pk}/",
    ):
        assert client.get(path).status_code == 200, path
        entry = AccessLog.objects.get(path=path)
        assert entry.records["orders.patient"] == [str(patient.pk)]
        assert entry.records["notifications.notification"] == [str(notification.pk)]


@pytest.mark.django_db
def test_the_new_order_page_with_a_patient_logs_that_patient(clinician, client_for):
    patient = worked_example_patient(clinician)
    path = reverse("orders:order-create") + f"?patient={patient.pk}"
    assert client_for(clinician).get(path).status_code == 200
    assert AccessLog.objects.get(path=path).records == {"orders.patient": [str(patient.pk)]}
    blank = reverse("orders:order-create")
    assert client_for(clinician).get(blank).status_code == 200
    assert not AccessLog.objects.filter(path=blank).exists()  # nobody shown, no row


@pytest.mark.django_db
def test_the_picker_names_its_matches_and_writes_nothing_for_none(clinician, client_for):
    patient = worked_example_patient(clinician)
    client = client_for(clinician)
    url = reverse("orders:order-patient-options")
    assert client.get(url + f"?patient_q={patient.mrn}").status_code == 200
    assert AccessLog.objects.get().records == {"orders.patient": [str(patient.pk)]}
    assert client.get(url + "?patient_q=nobody-at-all").status_code == 200
    assert AccessLog.objects.count() == 1


@pytest.mark.django_db
def test_the_reviews_api_names_the_order(clinician, client_for):
    from orders.services import order_create
    from tests.orders.factories import order_values

    order = order_create(by=clinician, **order_values(worked_example_patient(clinician)))
    path = f"/api/v1/orders/{order.pk}/reviews/"
    assert client_for(clinician).get(path).status_code == 200
    assert AccessLog.objects.get(path=path).records == {"orders.order": [str(order.pk)]}
