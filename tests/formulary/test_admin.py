"""The superuser's admin refuses a page opened before someone else's change to a versioned
record (a product, the dosing policy), as the formulary pages and the API do, and counts its own
changes in ``version`` so a pharmacist's older page is refused in turn."""

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from formulary import services
from formulary.models import DosingPolicy, Product
from formulary.selectors import current_policy
from ivig.accounts.models import User

pytestmark = pytest.mark.django_db

POLICY_URL = "/admin/formulary/dosingpolicy/1/change/"


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("root", "root@example.org", "a-long-test-password-2026")


@pytest.fixture
def root_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def _policy_post(policy: DosingPolicy, opened_at_version: int, **changes: Any) -> dict[str, Any]:
    data = {
        key: value
        for key, value in model_to_dict(policy).items()
        if key not in ("id", "version", "updated_at")
    }
    return {**data, **changes, "opened_at_version": opened_at_version}


def test_a_stale_admin_page_cannot_put_the_old_policy_back(root_client, pharmacist):
    policy = current_policy()
    opened = policy.version
    assert root_client.get(POLICY_URL).status_code == 200
    services.dosing_policy_update(
        user=pharmacist, expected_version=opened, fields={"observation_minutes": 45}
    )
    stale = _policy_post(policy, opened, premedication_lead_minutes=15)
    response = root_client.post(POLICY_URL, stale)
    assert response.status_code == 200  # the page again, with the refusal
    assert "changed by someone else" in response.content.decode()
    policy = current_policy()
    assert (policy.observation_minutes, policy.version) == (45, opened + 1)
    assert policy.premedication_lead_minutes != 15


def test_an_admin_change_counts_a_version_and_refuses_the_pharmacists_older_page(
    root_client, pharmacist
):
    policy = current_policy()
    opened = policy.version
    response = root_client.post(POLICY_URL, _policy_post(policy, opened, observation_minutes=50))
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = current_policy()
    assert (policy.observation_minutes, policy.version) == (50, opened + 1)
    with pytest.raises(services.FormularyError) as refused:
        services.dosing_policy_update(
            user=pharmacist, expected_version=opened, fields={"observation_minutes": 30}
        )
    assert refused.value.code == "stale_version"


def test_saving_an_unchanged_admin_page_keeps_the_version(root_client):
    policy = current_policy()
    opened = policy.version
    response = root_client.post(POLICY_URL, _policy_post(policy, opened))
    assert response.status_code == 302
    assert current_policy().version == opened


def test_a_stale_admin_form_for_a_product_is_refused(superuser, pharmacist, rf):
    from django.contrib.admin.sites import site

    product = Product.objects.get(slug="privigen")
    model_admin = site._registry[Product]
    request = rf.get("/")
    request.user = superuser
    form_class = model_admin.get_form(request, product)
    assert "version" not in form_class.base_fields  # never posted back
    values = model_to_dict(product, fields=form_class.base_fields)
    data = {key: "" if value is None else value for key, value in values.items()}
    data["opened_at_version"] = product.version + 1  # not the version it has now
    form = form_class(data, instance=product)
    assert not form.is_valid()
    assert "changed by someone else" in str(form.non_field_errors())
    data["opened_at_version"] = product.version
    assert form_class(data, instance=product).is_valid()
