"""Order pages through real URLs (docs/clinical-rules.md 1, 4): every role on every page, the form
and its live preview, signing, verification, refusals shown on the page, versions, access log, query
counts."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from formulary.models import Product
from ivig.accounts.roles import Role
from ivig.audit.models import AccessLog
from orders.models import Indication, Order, OrderStatus
from orders.services import order_create, order_update

from ..conftest import TEST_PASSWORD
from ..dates import next_monday
from .factories import OrderFactory, order_values, worked_example_patient

pytestmark = pytest.mark.django_db

# (url name, takes the order's pk, method, the roles allowed)
CLINICIAN, PHARMACIST = (Role.CLINICIAN,), (Role.PHARMACIST,)
PAGES: list[tuple[str, bool, str, tuple[Role, ...]]] = [
    ("orders:home", False, "get", tuple(Role)),  # every role reads the orders list
    ("orders:verification-queue", False, "get", PHARMACIST),
    ("orders:order-detail", True, "get", tuple(Role)),
    ("orders:order-print", True, "get", tuple(Role)),
    ("orders:order-create", False, "get", CLINICIAN),
    ("orders:order-create", False, "post", CLINICIAN),
    ("orders:order-edit", True, "get", CLINICIAN),
    ("orders:order-edit", True, "post", CLINICIAN),
    ("orders:order-preview", False, "post", CLINICIAN),
    ("orders:order-form-fields", False, "post", CLINICIAN),
    ("orders:order-sign", True, "post", CLINICIAN),
    ("orders:order-discontinue", True, "post", CLINICIAN),
    ("orders:order-complete", True, "post", CLINICIAN),
    ("orders:order-verify", True, "post", PHARMACIST),
    ("orders:order-reject", True, "post", PHARMACIST),
]


def url(name: str, order: Order | None = None) -> str:
    return reverse(name, args=[order.pk]) if order is not None else reverse(name)


def page_url(name: str, takes_pk: bool, order: Order) -> str:
    return url(name, order if takes_pk else None)


def form_data(order_or_patient: Any = None, **overrides: Any) -> dict[str, Any]:
    """The order form as a browser posts it: docs/api.md's worked example."""
    data: dict[str, Any] = {
        "indication": Indication.objects.get(slug="pemphigus-vulgaris").pk,
        "product": order_values(None)["product"].pk,  # type: ignore[arg-type]
        "total_dose_g_per_kg": "2",
        "daily_dose_mg_per_kg": "",
        "days_per_cycle": "5",
        "cycles": "6",
        "cycle_interval_days": "28",
        "start_date": next_monday().isoformat(),
        "dosing_weight_basis": "auto",
        "rate_protocol": "protocol",
        "target_rate_ml_per_h": "200",
        # docs/clinical-rules.md 3.5: the premedication rows (a line and two blank rows).
        "premedication-TOTAL_FORMS": "3",
        "premedication-INITIAL_FORMS": "1",
        "premedication-0-drug": "diphenhydramine",
        "premedication-0-dose": "25",
        "premedication-0-route": "PO",
        "premedication-0-minutes_before": "30",
        "hydration": "",
        "concomitant_immunosuppressant": "mycophenolate",
        "notes": "",
        "weight_today_kg": "",
    }
    if isinstance(order_or_patient, Order):
        data.update(patient=order_or_patient.patient_id, version=order_or_patient.version)
    elif order_or_patient is not None:
        data["patient"] = order_or_patient.pk
    data.update(overrides)
    return data


def sign_data(order: Order, **overrides: Any) -> dict[str, Any]:
    return {"password": TEST_PASSWORD, "version": order.version, **overrides}


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("name", "takes_pk", "method", "allowed"), PAGES)
def test_every_role_on_every_order_page(
    role, name, takes_pk, method, allowed, users_by_role, client_for, draft
):
    client = client_for(users_by_role[role])
    response = getattr(client, method)(page_url(name, takes_pk, draft))
    if role in allowed:
        assert response.status_code != 403
        assert response.status_code < 500
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("name", "takes_pk", "method", "allowed"), PAGES)
def test_anonymous_users_are_sent_to_sign_in(name, takes_pk, method, allowed, draft):
    response = getattr(Client(), method)(page_url(name, takes_pk, draft))
    if method == "get":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code in (302, 405)


def test_a_refused_role_changes_nothing(nurse, pharmacist, client_for, draft):
    client_for(nurse).post(url("orders:order-edit", draft), form_data(draft, cycles="2"))
    client_for(pharmacist).post(url("orders:order-sign", draft), sign_data(draft))
    draft.refresh_from_db()
    assert (draft.cycles, draft.status, draft.version) == (6, OrderStatus.DRAFT, 1)


@pytest.mark.parametrize("role", [Role.NURSE, Role.AUTHORIZATION_ADMIN, Role.PHARMACIST])
def test_read_only_roles_see_the_order_without_clinician_actions(
    role, users_by_role, client_for, draft
):
    page = client_for(users_by_role[role]).get(url("orders:order-detail", draft)).content.decode()
    assert "25 g" in page
    for testid in ("order-edit", "sign-form", "discontinue-form"):
        assert f'data-testid="{testid}"' not in page


def test_the_clinician_sees_edit_and_sign_on_a_draft(clinician, client_for, draft):
    page = client_for(clinician).get(url("orders:order-detail", draft)).content.decode()
    assert 'data-testid="order-edit"' in page
    assert 'data-testid="sign-form"' in page
    assert 'data-testid="verify-form"' not in page


# --- lists -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PHARMACIST, Role.NURSE, Role.AUTHORIZATION_ADMIN])
def test_every_role_reads_the_orders_list_but_only_clinicians_start_one(
    role, draft, client_for, make_user
):
    page = client_for(make_user(f"reader-{role.value}", role)).get(url("orders:home"))
    assert page.status_code == 200
    assert url("orders:order-detail", draft) in page.content.decode()
    assert 'data-testid="order-create"' not in page.content.decode()


def test_home_lists_current_orders_with_their_status(clinician, client_for, draft, sign):
    signed = sign(draft, clinician)
    successor = order_update(signed, by=clinician, version=signed.version, cycles=3)
    page = client_for(clinician).get(url("orders:home")).content.decode()
    assert url("orders:order-detail", signed) in page  # in force until version 2 is signed
    sign(successor, clinician)
    page = client_for(clinician).get(url("orders:home")).content.decode()
    assert 'data-testid="order-create"' in page
    assert url("orders:order-detail", successor) in page
    assert url("orders:order-detail", signed) not in page  # superseded


def test_home_filters_by_status_and_search(clinician, client_for, draft):
    other = order_create(by=clinician, **order_values(worked_example_patient(clinician)))
    Order.objects.filter(pk=other.pk).update(status=OrderStatus.COMPLETED)
    client = client_for(clinician)
    completed = client.get(url("orders:home"), {"status": "completed"}).context["page"]
    assert [o.pk for o in completed] == [other.pk]
    found = client.get(url("orders:home"), {"search": draft.patient.mrn}).context["page"]
    assert [o.pk for o in found] == [draft.pk]


def test_the_patient_page_lists_the_patients_orders(clinician, nurse, client_for, draft):
    page = client_for(clinician).get(url("orders:patient-detail", draft.patient)).content.decode()
    assert url("orders:order-detail", draft) in page
    assert f"{url('orders:order-create')}?patient={draft.patient.pk}" in page
    nurse_page = client_for(nurse).get(url("orders:patient-detail", draft.patient))
    assert url("orders:order-detail", draft) in nurse_page.content.decode()
    assert 'data-testid="patient-new-order"' not in nurse_page.content.decode()


def test_the_queue_lists_signed_orders_oldest_first(clinician, pharmacist, client_for, sign):
    # Two patients: two orders of one patient over the same weeks stop (clinical-rules 3.9).
    patient = worked_example_patient(clinician)
    other = worked_example_patient(clinician)
    first = sign(order_create(by=clinician, **order_values(patient)), clinician)
    second = sign(order_create(by=clinician, **order_values(other)), clinician)
    Order.objects.filter(pk=first.pk).update(signed_at=timezone.now() - timedelta(hours=5))
    order_create(by=clinician, **order_values(patient))  # a draft: not in the queue
    response = client_for(pharmacist).get(url("orders:verification-queue"))
    assert [order.pk for order, *_ in response.context["rows"]] == [first.pk, second.pk]
    assert "5 h" in response.content.decode()
    assert "dr-test" in response.content.decode()


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("path_name", "role", "status"),
    [
        ("orders:home", Role.CLINICIAN, OrderStatus.DRAFT),
        ("orders:verification-queue", Role.PHARMACIST, OrderStatus.SIGNED),
    ],
)
def test_list_pages_cost_the_same_queries_for_1_or_20_orders(
    path_name, role, status, users_by_role, client_for, django_assert_max_num_queries
):
    client = client_for(users_by_role[role])
    signed = {"signed_by": users_by_role[Role.CLINICIAN], "signed_at": timezone.now()}
    OrderFactory.create(status=status, **signed)
    one = _queries(client, url(path_name))
    OrderFactory.create_batch(19, status=status, **signed)
    with django_assert_max_num_queries(one):
        response = client.get(url(path_name))
    assert response.content.decode().count("/orders/") >= 20


# The tables join what they show: no query of its own for these (nor for the lines never shown).
SEPARATELY_READ = (
    'FROM "orders_patient"',
    'FROM "formulary_product"',
    'FROM "orders_indication"',
    'FROM "orders_premedicationline"',
)


@pytest.mark.parametrize(
    ("path_name", "role", "status"),
    [
        ("orders:home", Role.CLINICIAN, OrderStatus.DRAFT),
        ("orders:verification-queue", Role.PHARMACIST, OrderStatus.SIGNED),
    ],
)
def test_order_tables_join_the_patient_product_and_indication(
    path_name, role, status, users_by_role, client_for
):
    client = client_for(users_by_role[role])
    signed = {"signed_by": users_by_role[Role.CLINICIAN], "signed_at": timezone.now()}
    OrderFactory.create_batch(3, status=status, **signed)
    client.get(url(path_name))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url(path_name))
    assert response.status_code == 200
    separate = [q["sql"] for q in captured if any(table in q["sql"] for table in SEPARATELY_READ)]
    assert separate == []
    order_queries = [q["sql"] for q in captured if 'FROM "orders_order"' in q["sql"]]
    assert len(order_queries) <= 2  # the page's count and its rows
    assert '"orders_order"."plan_at_signing"' not in order_queries[-1]


# --- the form and its preview ----------------------------------------------------------------


def test_a_clinician_creates_an_order_from_the_form(clinician, client_for, worked_patient):
    response = client_for(clinician).post(
        url("orders:order-create"), form_data(worked_patient, weight_today_kg="80")
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("orders:order-detail", order)
    assert (order.status, order.created_by, order.cycles) == (OrderStatus.DRAFT, clinician, 6)
    assert worked_patient.weights.first().weight_kg == Decimal("80")


def test_the_new_order_form_presets_the_patient_and_the_adult_premedication_lines(
    clinician, client_for, worked_patient
):
    response = client_for(clinician).get(url("orders:order-create"), {"patient": worked_patient.pk})
    form = response.context["form"]
    assert str(form["patient"].value()) == str(worked_patient.pk)
    rows = [(row["drug"].value(), row["dose"].value()) for row in form.lines][:3]
    assert rows == [("diphenhydramine", "25"), ("acetaminophen", "500"), (None, None)]
    assert 'name="weight_today_kg"' in response.content.decode()


def test_suitable_products_are_listed_first_with_why(clinician, client_for):
    patient = worked_example_patient(clinician, iga_status="deficient_with_antibodies")
    page = (
        client_for(clinician)
        .get(url("orders:order-create"), {"patient": patient.pk})
        .content.decode()
    )
    suitable = page.index(f"Suitable for {patient.full_name}")
    unsuitable = page.index("Raise a finding for this patient")
    assert suitable < page.index("Gammagard S/D (low IgA) — low IgA") < unsuitable
    assert page.index("Privigen — IgA deficiency with anti-IgA antibodies (stop)") > unsuitable


@pytest.mark.parametrize(
    "overrides",
    [
        {"daily_dose_mg_per_kg": "400"},  # both doses
        {"total_dose_g_per_kg": ""},  # neither
        {"days_per_cycle": "9"},
        {"cycles": "abc"},
        {"start_date": "not a date"},
        {"product": "99999"},
        {"weight_today_kg": "-3"},
        {"patient": ""},
        # rows that do not exist: the fields refuse them (the model does not read them again)
        {"patient": "99999"},
        {"indication": "99999"},
    ],
)
def test_bad_input_is_a_form_error_never_a_500(clinician, client_for, worked_patient, overrides):
    response = client_for(clinician).post(
        url("orders:order-create"), form_data(worked_patient, **overrides)
    )
    assert response.status_code == 400
    assert 'data-testid="form-errors"' in response.content.decode()
    assert not Order.objects.exists()


def test_the_htmx_preview_returns_the_engines_plan_as_a_partial(
    clinician, client_for, worked_patient
):
    response = client_for(clinician).post(
        url("orders:order-preview"), form_data(worked_patient), headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'data-testid="daily-dose">25 g<' in page
    assert 'data-testid="daily-volume">250 mL<' in page
    assert "68.8 kg (adjusted body weight)" in page
    # rules v3: the first step is Privigen's label step (0.5 mg/kg/min x 68.8 kg = 20 mL/h), and
    # the page says so; chair time 30 + 161 + 30 min
    assert "20 mL/h" in page
    assert '<td data-testid="step-limited-by">label step</td>' in page
    assert "221 min" in page
    assert 'data-testid="cost-per-cycle">11,875 USD<' in page
    assert 'class="severity-warn" data-testid="finding-HEMOLYSIS_RISK"' in page
    assert not Order.objects.exists()


def test_the_preview_uses_the_weight_entered_today(clinician, client_for, worked_patient):
    response = client_for(clinician).post(
        url("orders:order-preview"), form_data(worked_patient, weight_today_kg="60")
    )
    assert 'data-testid="dosing-weight">60 kg (actual body weight)' in response.content.decode()
    assert worked_patient.weights.count() == 1  # a preview saves nothing


def test_the_preview_says_what_is_missing(clinician, client_for, worked_patient):
    response = client_for(clinician).post(
        url("orders:order-preview"), form_data(worked_patient, total_dose_g_per_kg="")
    )
    page = response.content.decode()
    assert 'data-testid="preview-problems"' in page
    assert "Give either a dose per cycle" in page


def test_a_stop_finding_shows_in_the_preview_with_its_severity(clinician, client_for):
    patient = worked_example_patient(clinician, iga_status="deficient_with_antibodies")
    response = client_for(clinician).post(url("orders:order-preview"), form_data(patient))
    assert 'class="severity-stop" data-testid="finding-IGA_DEFICIENCY_WITH_ANTIBODIES"' in (
        response.content.decode()
    )


def test_the_preview_button_without_javascript_shows_the_plan_on_the_page(
    clinician, client_for, worked_patient
):
    response = client_for(clinician).post(
        url("orders:order-create"), form_data(worked_patient, preview="1")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="order-form"' in page
    assert 'data-testid="daily-dose">25 g<' in page
    assert not Order.objects.exists()


def test_apply_indication_defaults_without_javascript(clinician, client_for, worked_patient):
    kawasaki = Indication.objects.get(slug="kawasaki-disease")
    response = client_for(clinician).post(
        url("orders:order-create"),
        form_data(worked_patient, indication=kawasaki.pk, days_per_cycle="4", apply_defaults="1"),
    )
    form = response.context["form"]
    assert Decimal(str(form["total_dose_g_per_kg"].value())) == kawasaki.default_total_g_per_kg
    assert int(form["days_per_cycle"].value()) == kawasaki.default_days_per_cycle
    assert 'data-testid="form-errors"' not in response.content.decode()
    assert not Order.objects.exists()


def test_the_htmx_fields_refresh_applies_defaults_and_swaps_the_preview(
    clinician, client_for, worked_patient
):
    kawasaki = Indication.objects.get(slug="kawasaki-disease")
    response = client_for(clinician).post(
        url("orders:order-form-fields"),
        form_data(worked_patient, indication=kawasaki.pk, apply_defaults="1"),
    )
    page = response.content.decode()
    assert page.startswith('<div id="order-fields">') or '<div id="order-fields">' in page
    assert '<section id="preview" hx-swap-oob="true"' in page
    assert f'name="days_per_cycle" value="{kawasaki.default_days_per_cycle}"' in page


# --- editing and versions --------------------------------------------------------------------


def test_a_draft_is_edited_in_place(clinician, client_for, draft):
    response = client_for(clinician).post(
        url("orders:order-edit", draft), form_data(draft, cycles="3")
    )
    assert response["Location"] == url("orders:order-detail", draft)
    draft.refresh_from_db()
    assert (draft.cycles, draft.version) == (3, 2)


def test_a_stale_edit_is_refused_with_a_clear_message_and_the_entries_kept(
    clinician, make_user, client_for, draft
):
    stale = form_data(draft, notes="My careful note")
    order_update(draft, by=make_user("dr-two"), version=1, cycles=4)
    response = client_for(clinician).post(url("orders:order-edit", draft), stale)
    page = response.content.decode()
    assert response.status_code == 409
    assert "This order was changed by dr-two" in page
    assert "My careful note" in page
    assert Order.objects.get(pk=draft.pk).notes == ""


def test_editing_a_signed_order_makes_a_new_version_shown_with_its_history(
    clinician, client_for, draft, sign
):
    signed = sign(draft, clinician)
    client = client_for(clinician)
    response = client.post(url("orders:order-edit", signed), form_data(signed, cycles="3"))
    successor = Order.objects.get(supersedes=signed)
    assert response["Location"] == url("orders:order-detail", successor)
    assert successor.revision == 2
    old_page = client.get(url("orders:order-detail", signed)).content.decode()
    assert 'data-testid="pending-version"' in old_page  # in force until version 2 is signed
    sign(successor, clinician)
    page = client.get(url("orders:order-detail", successor)).content.decode()
    assert "version 2" in page
    assert 'data-testid="versions"' in page
    assert "Superseded by a newer version" in page
    assert "Superseded by version 2" in page  # the history says why
    assert "Version 1" in page and "Version 2" in page


def test_no_second_change_while_one_awaits_signing(clinician, client_for, draft, sign):
    """docs/clinical-rules.md 4: one draft change of a version at a time. The order page offers
    no second change; the page and the API refuse one, naming the draft."""
    signed = sign(draft, clinician)
    client = client_for(clinician)
    page = client.get(url("orders:order-detail", signed)).content.decode()
    assert 'data-testid="order-edit"' in page  # no change open yet
    client.post(url("orders:order-edit", signed), form_data(signed, cycles="3"))
    successor = Order.objects.get(supersedes=signed)

    page = client.get(url("orders:order-detail", signed)).content.decode()
    assert 'data-testid="order-edit"' not in page
    assert "Change (new version)" not in page
    opened = client.get(url("orders:order-edit", signed), follow=True)
    assert opened.redirect_chain[0][0] == url("orders:order-detail", successor)
    assert "Version 2 of order" in opened.content.decode()
    assert "awaits signing: change that draft instead" in opened.content.decode()
    client.post(url("orders:order-edit", signed), form_data(signed, cycles="4"))
    assert Order.objects.filter(supersedes=signed).count() == 1
    signed.refresh_from_db()
    api = client.patch(
        reverse("api-order-detail", args=[signed.pk]),
        {"version": signed.version, "cycles": 4},
        content_type="application/json",
    )
    assert api.status_code == 409
    assert api.json()["code"] == "wrong_state" and "awaits signing" in api.json()["detail"]
    # The draft itself is still changed in place.
    draft_page = client.get(url("orders:order-detail", successor)).content.decode()
    assert 'data-testid="order-edit"' in draft_page


def test_a_completed_order_cannot_be_edited(clinician, client_for, draft):
    Order.objects.filter(pk=draft.pk).update(status=OrderStatus.COMPLETED)
    client = client_for(clinician)
    assert client.get(url("orders:order-edit", draft))["Location"] == url(
        "orders:order-detail", draft
    )
    client.post(url("orders:order-edit", draft), form_data(draft, cycles="2"))
    assert Order.objects.get(pk=draft.pk).cycles == 6


# --- detail, print, access log ---------------------------------------------------------------


def test_each_opening_of_an_order_is_logged(nurse, client_for, draft):
    client = client_for(nurse)
    client.get(url("orders:order-detail", draft))
    client.get(url("orders:order-print", draft))
    logs = AccessLog.objects.filter(subject_type="orders.order", subject_id=str(draft.pk))
    assert [log.user for log in logs] == [nurse, nurse]


def test_the_print_view_shows_every_number_with_its_unit(nurse, client_for, draft):
    page = client_for(nurse).get(url("orders:order-print", draft)).content.decode()
    assert "css/print.css" in page
    # rules v3: 161 min infusion, 221 min chair time, first step 20 mL/h (a label step)
    for text in ("25 g", "250 mL", "68.8 kg", "161 min", "221 min", "20 mL/h", "2 g/kg"):
        assert text in page
    assert '<td data-testid="step-limited-by">label step</td>' in page
    assert '<td data-testid="step-limited-by">protocol titration</td>' in page


# --- signing and verifying on the page -------------------------------------------------------


def test_sign_from_the_page(clinician, client_for, draft):
    response = client_for(clinician).post(url("orders:order-sign", draft), sign_data(draft))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.signed_by) == (OrderStatus.SIGNED, clinician)


def test_a_wrong_password_is_shown_on_the_sign_form(clinician, client_for, draft):
    response = client_for(clinician).post(
        url("orders:order-sign", draft), sign_data(draft, password="wrong")
    )
    assert response.status_code == 400
    assert "The password is not correct" in response.content.decode()
    assert Order.objects.get(pk=draft.pk).status == OrderStatus.DRAFT


def test_a_stop_finding_blocks_signing_on_the_page(clinician, client_for):
    patient = worked_example_patient(clinician, iga_status="deficient_with_antibodies")
    order = order_create(by=clinician, **order_values(patient))
    response = client_for(clinician).post(url("orders:order-sign", order), sign_data(order))
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be signed: IgA deficiency with anti-IgA antibodies" in page
    assert "IGA_DEFICIENCY_WITH_ANTIBODIES:" not in page


def test_override_reasons_are_asked_for_and_kept(clinician, pharmacist, client_for):
    patient = worked_example_patient(clinician, risk_factors=["diabetes"])
    order = order_create(by=clinician, **order_values(patient))
    client = client_for(clinician)
    page = client.get(url("orders:order-detail", order)).content.decode()
    assert "Reason to override Renal risk<" in page
    refused = client.post(url("orders:order-sign", order), sign_data(order))
    assert refused.status_code == 400
    assert "Give a reason to sign despite Renal risk." in refused.content.decode()
    client.post(
        url("orders:order-sign", order), sign_data(order, reason_RENAL_RISK="Hydrated; Cr 80")
    )
    order.refresh_from_db()
    assert order.overrides.get().reason == "Hydrated; Cr 80"

    pharmacy = client_for(pharmacist)
    assert "I acknowledge Renal risk: Hydrated; Cr 80" in (
        pharmacy.get(url("orders:order-detail", order)).content.decode()
    )
    unacknowledged = pharmacy.post(url("orders:order-verify", order), {"version": order.version})
    assert unacknowledged.status_code == 400
    assert "Acknowledge each override" in unacknowledged.content.decode()
    pharmacy.post(
        url("orders:order-verify", order),
        {"version": order.version, "acknowledged_codes": ["RENAL_RISK"]},
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.VERIFIED
    assert order.overrides.get().acknowledged_by == pharmacist


def test_a_pharmacist_who_signed_cannot_verify_on_the_page(make_user, client_for, sign):
    both = make_user("dr-pharm", Role.CLINICIAN, Role.PHARMACIST)
    order = sign(order_create(by=both, **order_values(worked_example_patient(both))), both)
    client = client_for(both)
    page = client.get(url("orders:order-detail", order)).content.decode()
    assert "You signed this order: another pharmacist must verify it." in page
    response = client.post(url("orders:order-verify", order), {"version": order.version})
    assert response.status_code == 400
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SIGNED


def test_reject_needs_a_reason_and_shows_it_on_the_draft(
    clinician, pharmacist, client_for, draft, sign
):
    signed = sign(draft, clinician)
    pharmacy = client_for(pharmacist)
    blank = pharmacy.post(url("orders:order-reject", signed), {"reason": " ", "version": 2})
    assert blank.status_code == 400
    assert "Give a reason to reject the order." in blank.content.decode()
    pharmacy.post(url("orders:order-reject", signed), {"reason": "Check IgA", "version": 2})
    page = client_for(clinician).get(url("orders:order-detail", signed)).content.decode()
    assert "Rejected by the pharmacist: Check IgA" in page
    assert Order.objects.get(pk=signed.pk).status == OrderStatus.DRAFT


def test_discontinue_needs_a_reason(clinician, client_for, draft, sign):
    signed = sign(draft, clinician)
    client = client_for(clinician)
    assert client.post(url("orders:order-discontinue", signed), {"reason": ""}).status_code == 400
    client.post(url("orders:order-discontinue", signed), {"reason": "Remission"})
    assert Order.objects.get(pk=signed.pk).status == OrderStatus.DISCONTINUED


def test_a_step_the_state_forbids_is_a_409(clinician, client_for, draft):
    response = client_for(clinician).post(url("orders:order-complete", draft), {"version": 1})
    assert response.status_code == 409
    assert "it cannot be completed" in response.content.decode()


def test_a_stale_signature_is_a_409(clinician, client_for, draft):
    order_update(draft, by=clinician, version=1, cycles=3)
    response = client_for(clinician).post(url("orders:order-sign", draft), sign_data(draft))
    assert response.status_code == 409
    assert "This order was changed by dr-test" in response.content.decode()


# --- findings first (issue "Pages a clinician trusts at a glance") ----------------------------


def test_findings_come_first_with_a_sticky_summary_and_plain_titles(clinician, client_for):
    patient = worked_example_patient(clinician, iga_status="deficient_with_antibodies")
    response = client_for(clinician).post(url("orders:order-preview"), form_data(patient))
    page = response.content.decode()
    summary = page.index('data-testid="findings-summary"')
    assert summary < page.index('data-testid="findings"') < page.index('data-testid="plan-summary"')
    assert "1 stop" in page
    assert "cannot be signed: IgA deficiency with anti-IgA antibodies" in page
    assert '<small class="code">' not in page


def test_the_order_page_shows_findings_first_and_disables_sign_while_a_stop_stands(
    clinician, client_for
):
    patient = worked_example_patient(clinician, iga_status="deficient_with_antibodies")
    order = order_create(by=clinician, **order_values(patient))
    page = client_for(clinician).get(url("orders:order-detail", order)).content.decode()
    assert page.index('data-testid="findings-summary"') < page.index('id="plan-heading"')
    assert 'data-testid="sign-blocked"' in page
    assert '<button type="submit" disabled aria-describedby="sign-blocked">Sign order' in page
    # the server still refuses (test_a_stop_finding_blocks_signing_on_the_page)


def test_the_sign_button_is_enabled_without_a_stop(clinician, client_for, draft):
    page = client_for(clinician).get(url("orders:order-detail", draft)).content.decode()
    assert 'data-testid="sign-blocked"' not in page
    assert '<button type="submit">Sign order</button>' in page


def test_the_edit_page_of_a_saved_draft_shows_the_preview_at_once(clinician, client_for, draft):
    page = client_for(clinician).get(url("orders:order-edit", draft)).content.decode()
    assert 'data-testid="daily-dose">25 g<' in page
    assert 'data-testid="findings-summary"' in page


# --- plain words -----------------------------------------------------------------------------


def test_the_order_list_finds_the_patient_by_mrn_or_name_not_by_id(clinician, client_for, draft):
    client = client_for(clinician)
    page = client.get(url("orders:home")).content.decode()
    assert "Patient id" not in page
    assert "Search (patient MRN or name" in page
    found = client.get(url("orders:home"), {"search": draft.patient.family_name}).context["page"]
    assert [o.pk for o in found] == [draft.pk]


def test_history_shows_names_and_local_times_not_ids_or_iso(
    clinician, client_for, draft, sign, settings
):
    clinician.first_name, clinician.last_name = "Ada", "Lovelace"
    clinician.save()
    signed = sign(draft, clinician)
    page = client_for(clinician).get(url("orders:order-detail", signed)).content.decode()
    history = page[page.index('data-testid="history"') :]
    assert "signed by: <del>—</del> → <ins>Ada Lovelace</ins>" in history
    assert "+00:00" not in history
    local = timezone.localtime(Order.objects.get(pk=signed.pk).signed_at)
    assert f"signed at: <del>—</del> → <ins>{local:%Y-%m-%d %H:%M}</ins>" in history


def test_money_is_shown_with_its_currency(clinician, client_for, worked_patient, settings):
    settings.CURRENCY = "EUR"
    response = client_for(clinician).post(url("orders:order-preview"), form_data(worked_patient))
    assert 'data-testid="cost-per-cycle">11,875 EUR<' in response.content.decode()


# --- the order sheet -------------------------------------------------------------------------


def test_the_order_sheet_carries_everything_a_nurse_needs(clinician, nurse, client_for, sign):
    patient = worked_example_patient(clinician, allergies="Penicillin (rash)")
    order = sign(order_create(by=clinician, **order_values(patient)), clinician)
    page = client_for(nurse).get(url("orders:order-print", order)).content.decode()
    weight = patient.weights.first()
    assert weight is not None
    for text in (
        patient.mrn,
        patient.family_name.upper(),
        patient.date_of_birth.isoformat(),
        f"on {weight.measured_on:%Y-%m-%d}",
        "Penicillin (rash)",
        "IgA status",
        "Blood group",
        "ICD-10",
        'data-testid="sheet-lots"',
        "Lot number",
        "rounded to whole vials",
        "Vials per day",
        "Clock time",
        "Vital signs at:",
        'data-testid="sheet-premedication"',
        'data-testid="findings"',
        'data-testid="sheet-signatures"',
        "Prescriber (signed)",
        "Pharmacist (verified)",
    ):
        assert text in page, text
    assert f"{timezone.localtime(order.signed_at):%Y-%m-%d %H:%M}" in page


def test_the_print_stylesheet_fits_a4_and_letter_with_page_numbers():
    from pathlib import Path

    css = (Path(__file__).parents[2] / "static/css/print.css").read_text()
    assert "size: auto" in css
    assert "counter(page)" in css and "counter(pages)" in css


# The new order page before a patient is chosen, on SQLite (issue 21: 15 when each premedication
# row read the drug catalogue and the products' vials and steps were read for their names; 10
# when the default premedication lines read the dosing policy again).
NEW_ORDER_PAGE_QUERIES = 9


def test_the_new_order_page_offers_products_by_name_without_reading_their_vials(
    clinician, client_for, django_assert_max_num_queries
) -> None:
    client = client_for(clinician)
    client.get(url("orders:order-create"))
    with django_assert_max_num_queries(NEW_ORDER_PAGE_QUERIES) as queries:
        page = client.get(url("orders:order-create")).content.decode()
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert 'FROM "formulary_vialsize"' not in read
    assert 'FROM "formulary_labelratestep"' not in read
    assert read.count('FROM "formulary_dosingpolicy"') == 1
    for product in Product.objects.filter(active=True):
        assert f'<option value="{product.pk}">{product.brand_name}</option>' in page
