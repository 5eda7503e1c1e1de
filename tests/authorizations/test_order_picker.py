"""The new authorization page lists no order until one is searched for, then at most
``ORDER_MATCHES`` (a centre has thousands of orders); any requestable order is still accepted."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from authorizations import order_picker
from authorizations.models import Authorization
from orders.models import OrderStatus
from tests.authorizations.factories import make_order
from tests.orders.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db
NEW = "/orders/authorizations/new/"
OPTIONS = "/orders/authorizations/new/orders/"


@pytest.fixture
def orders():
    by = UserFactory.create(username="order-clinician")
    start = timezone.localdate() + timedelta(days=7)
    made = [
        make_order(
            start_date=start + timedelta(days=index),
            by=by,
            patient=PatientFactory.create(family_name="Whitfield", mrn=f"PK{index:05d}"),
        )
        for index in range(6)
    ]
    stopped = make_order(
        start_date=start,
        by=by,
        status=OrderStatus.DISCONTINUED,
        patient=PatientFactory.create(family_name="Whitfield", mrn="PK99999"),
    )
    return made, stopped


def test_the_page_lists_no_order_before_a_search(authadmin, client_for, orders):
    assert reverse("authorizations:authorization-order-options") == OPTIONS
    page = client_for(authadmin).get(NEW).content.decode()
    assert page.count("<option") == 1  # the prompt only
    assert "Whitfield" not in page and 'data-testid="order-search"' in page


def test_a_search_lists_at_most_the_limit_of_requestable_orders(
    authadmin, client_for, orders, monkeypatch
):
    made, stopped = orders
    monkeypatch.setattr(order_picker, "ORDER_MATCHES", 4)
    client = client_for(authadmin)
    options = client.get(OPTIONS, {"order_q": "whitfield"}).content.decode()
    assert options.count("<option") == 4 + 1  # a prompt and four, the soonest start first
    assert made[0].number in options and made[5].number not in options
    assert stopped.number not in options
    # By MRN, and by order number whatever its zeros and case.
    one = client.get(OPTIONS, {"order_q": "PK00003"}).content.decode()
    assert one.count("<option") == 2 and made[3].number in one
    by_number = client.get(OPTIONS, {"order_q": f"iv-{made[4].pk}"}).content.decode()
    assert by_number.count("<option") == 2 and made[4].number in by_number
    # The page without JavaScript: the typed search, sent with the form's Find button.
    page = client.get(NEW, {"order_q": "PK00002"}).content.decode()
    assert page.count("<option") == 2 and made[2].number in page
    assert client.get(OPTIONS, {"order_q": ""}).content.decode().count("<option") == 1


def test_a_chosen_order_is_shown_not_listed_and_any_requestable_one_is_accepted(
    authadmin, client_for, orders
):
    made, stopped = orders
    client = client_for(authadmin)
    page = client.get(NEW, {"order": made[5].pk}).content.decode()
    assert 'type="hidden" name="order"' in page and "<option" not in page
    assert made[5].number in page and 'data-testid="chosen-order"' in page
    response = client.post(
        NEW, {"order": made[5].pk, "payer": "Acme", "member_id": "M1", "reference_number": ""}
    )
    assert response.status_code == 302
    assert Authorization.objects.get().order == made[5]
    refused = client.post(NEW, {"order": stopped.pk, "payer": "Acme", "member_id": "M2"})
    assert refused.status_code == 200 and Authorization.objects.count() == 1
    assert 'data-testid="order-select"' in refused.content.decode()


def test_the_options_are_for_authorization_admins_only(clinician, client_for, orders):
    assert client_for(clinician).get(OPTIONS, {"order_q": "whitfield"}).status_code == 403
