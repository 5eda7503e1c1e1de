"""One policy function per permission, on the role table (docs/architecture.md, Inside each
app): the table is what is checked, so changing it changes what pages and the API allow."""

import inspect
import re

import pytest
from django.urls import reverse

from authorizations import policies as authorization_policies
from formulary import policies as formulary_policies
from infusions import policies as infusion_policies
from infusions.administration import policies as session_reason_policies
from ivig.accounts import roles
from ivig.accounts.roles import ROLE_PERMISSIONS, Role
from ivig.notifications import policies as notification_policies
from orders import policies as order_policies
from orders.labs import policies as lab_policies
from orders.patients import policies as patient_policies
from orders.reviews import policies as review_policies
from reports import policies as report_policies

POLICY_MODULES = [
    order_policies,
    patient_policies,
    lab_policies,
    review_policies,
    formulary_policies,
    authorization_policies,
    infusion_policies,
    session_reason_policies,
    report_policies,
    notification_policies,
]


def _policies():
    for module in POLICY_MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("can_") and function.__module__ == module.__name__:
                yield name, function


@pytest.mark.parametrize(("name", "policy"), list(_policies()))
def test_every_policy_asks_a_permission_some_role_holds(name, policy) -> None:
    granted = {
        permission for permissions in ROLE_PERMISSIONS.values() for permission in permissions
    }
    asked = re.findall(r'holds\(user, "([a-z_]+\.[a-z_]+)"\)', inspect.getsource(policy))
    assert asked, f"{name} does not ask the role table"
    assert set(asked) <= granted, f"{name} asks {asked}, which no role holds"


@pytest.mark.django_db
def test_taking_a_permission_out_of_the_table_refuses_the_page_and_the_api(
    monkeypatch, make_user, client_for
) -> None:
    nurse = make_user("table-nurse", Role.NURSE)
    client = client_for(nurse)
    assert client.get(reverse("orders:home")).status_code == 200
    assert client.get("/api/v1/orders/").status_code == 200
    without = tuple(p for p in ROLE_PERMISSIONS[Role.NURSE] if p != "orders.view_order")
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, Role.NURSE, without)
    assert client.get(reverse("orders:home")).status_code == 403
    assert client.get("/api/v1/orders/").status_code == 403


@pytest.mark.django_db
def test_a_superuser_holds_no_clinical_role_by_being_one(django_user_model) -> None:
    admin = django_user_model.objects.create_superuser("root", password="x-long-password-1")
    assert not order_policies.can_sign(admin)
    assert not formulary_policies.can_change_products(admin)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_the_navigation_never_shows_a_page_the_role_may_not_open(
    role, make_user, client_for
) -> None:
    from ivig.accounts.context_processors import navigation

    user = make_user(f"nav-{role.value}", role)
    request = type("Request", (), {"user": user})()
    links = navigation(request)["nav_links"]
    assert links, f"{role} sees no navigation at all"
    client = client_for(user)
    for link in links:
        assert client.get(link["url"]).status_code == 200, f"{role} is shown {link['url']}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_stewardship_and_inbox_ask_the_table(role, monkeypatch, make_user, client_for) -> None:
    client = client_for(make_user(f"table-{role.value}", role))
    stewardship = client.get(reverse("reports:stewardship")).status_code
    assert stewardship == (200 if role == Role.PHARMACIST else 403)
    assert client.get(reverse("notifications:inbox")).status_code == 200
    assert client.get("/api/v1/notifications/").status_code == 200
    without = tuple(
        p
        for p in ROLE_PERMISSIONS[role]
        if p not in ("notifications.view_notification", "reports.view_stewardship")
    )
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, role, without)
    assert client.get(reverse("reports:stewardship")).status_code == 403
    assert client.get(reverse("notifications:inbox")).status_code == 403
    assert client.get("/api/v1/notifications/").status_code == 403


@pytest.mark.django_db
def test_the_reaction_plan_page_and_its_link_ask_the_table(
    monkeypatch, make_user, client_for
) -> None:
    from infusions.templatetags.reaction_tags import reaction_history
    from tests.orders.factories import PatientFactory

    doctor = make_user("table-doctor", Role.CLINICIAN)
    nurse = make_user("table-plan-nurse", Role.NURSE)
    pharmacist = make_user("table-plan-pharmacist", Role.PHARMACIST)
    assert infusion_policies.can_plan_reaction(doctor)
    assert not infusion_policies.can_plan_reaction(nurse)
    assert not infusion_policies.can_plan_reaction(pharmacist)
    url = reverse("infusions:reaction-plan", args=[999_999])
    assert client_for(doctor).get(url).status_code == 404  # allowed; no such reaction
    assert client_for(nurse).get(url).status_code == 403
    assert client_for(pharmacist).get(url).status_code == 403

    def can_plan(user):
        context = {"request": type("Request", (), {"user": user})()}
        return reaction_history(context, PatientFactory.create())["can_plan"]

    assert can_plan(doctor) and not can_plan(nurse)
    without = tuple(
        p for p in ROLE_PERMISSIONS[Role.CLINICIAN] if p != "infusions.add_reactionplan"
    )
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, Role.CLINICIAN, without)
    doctor = make_user("table-doctor-2", Role.CLINICIAN)
    assert client_for(doctor).get(url).status_code == 403
    assert not can_plan(doctor)


@pytest.mark.django_db
def test_a_session_reason_asks_the_table(monkeypatch, make_user, client_for) -> None:
    page = reverse("infusions:session-reason", args=[999_999])
    api = "/api/v1/infusion-sessions/999999/reason/"
    body = {"code": "CREATININE_DUE", "reason": "Outside result"}
    for role in (Role.NURSE, Role.PHARMACIST, Role.AUTHORIZATION_ADMIN):
        client = client_for(make_user(f"reason-{role.value}", role))
        assert client.post(page, body).status_code == 403, role
        assert client.post(api, body, content_type="application/json").status_code == 403, role
    doctor = client_for(make_user("reason-doctor", Role.CLINICIAN))
    assert doctor.post(page, body).status_code == 404  # allowed; no such session
    assert doctor.post(api, body, content_type="application/json").status_code == 404
    without = tuple(
        p for p in ROLE_PERMISSIONS[Role.CLINICIAN] if p != "infusions.add_sessionoverride"
    )
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, Role.CLINICIAN, without)
    doctor = client_for(make_user("reason-doctor-2", Role.CLINICIAN))
    assert doctor.post(page, body).status_code == 403
    assert doctor.post(api, body, content_type="application/json").status_code == 403
