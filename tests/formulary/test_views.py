"""Formulary pages through real URLs: roles, forms and their errors, history, query counts."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from formulary.models import DosingPolicy, Product
from ivig.accounts.roles import Role

from .factories import ProductFactory

pytestmark = pytest.mark.django_db

OTHER_ROLES = [Role.CLINICIAN, Role.NURSE, Role.AUTHORIZATION_ADMIN]
LIST = reverse("formulary:product-list")
POLICY = reverse("formulary:policy")


def url(name: str, slug: str = "privigen") -> str:
    return reverse(f"formulary:{name}", args=[slug])


def product_post(
    *,
    vial_sizes: list[tuple[str, bool]] | None = None,
    steps: list[tuple[str, str]] | None = None,
    initial_vials: int = 0,
    initial_steps: int = 0,
    **fields: Any,
) -> dict[str, Any]:
    """The product form as a browser posts it, with its two inline tables."""
    data: dict[str, Any] = {
        "slug": "newgam",
        "brand_name": "Newgam",
        "generic_name": "immune globulin intravenous (human)",
        "manufacturer": "New Biologics",
        "concentration_pct": "10",
        "form": "liquid",
        "stabilizers": ["glycine"],
        "label_max_mg_per_kg_per_min": "8",
        "price_per_g": "97",
        **fields,
    }
    vial_sizes = [("5", True), ("10", True)] if vial_sizes is None else vial_sizes
    steps = [("1", "30"), ("2", "30"), ("8", "")] if steps is None else steps
    for prefix, rows, initial in (
        ("vial_sizes", vial_sizes, initial_vials),
        ("label_rate_steps", steps, initial_steps),
    ):
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": initial})
        data.update({f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
    for i, (size, active) in enumerate(vial_sizes):
        data[f"vial_sizes-{i}-size_g"] = size
        if active:
            data[f"vial_sizes-{i}-active"] = "on"
    for i, (rate, minutes) in enumerate(steps):
        data[f"label_rate_steps-{i}-rate_mg_per_kg_per_min"] = rate
        data[f"label_rate_steps-{i}-minutes"] = minutes
    return data


def edit_post(product: Product, **changes: Any) -> dict[str, Any]:
    """The edit form as loaded for ``product``, with ``changes`` applied."""
    vials = list(product.vial_sizes.all())
    steps = list(product.label_rate_steps.all())
    data = product_post(
        vial_sizes=[(str(v.size_g), v.active) for v in vials],
        steps=[(str(s.rate_mg_per_kg_per_min), str(s.minutes or "")) for s in steps],
        initial_vials=len(vials),
        initial_steps=len(steps),
        slug=product.slug,
        brand_name=product.brand_name,
        concentration_pct=str(product.concentration_pct),
        stabilizers=product.stabilizers,
        label_max_mg_per_kg_per_min=str(product.label_max_mg_per_kg_per_min),
    )
    for i, vial in enumerate(vials):
        data[f"vial_sizes-{i}-id"] = vial.pk
        data[f"vial_sizes-{i}-product"] = product.pk
    for i, step in enumerate(steps):
        data[f"label_rate_steps-{i}-id"] = step.pk
        data[f"label_rate_steps-{i}-product"] = product.pk
    data["version"] = product.version
    data.update(changes)
    return data


# --- roles ------------------------------------------------------------------------------------

READ_PAGES = [LIST, url("product-detail"), POLICY, f"{LIST}?search=gam&sugar_free=true"]
PHARMACIST_PAGES = [reverse("formulary:product-create"), url("product-edit")]
PHARMACIST_POSTS = [
    reverse("formulary:product-create"),
    url("product-edit"),
    url("product-deactivate"),
    url("product-reactivate"),
    url("product-price"),
    POLICY,
]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_formulary(role, users_by_role, client_for):
    client = client_for(users_by_role[role])
    for page in READ_PAGES:
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_pharmacists_may_change_the_formulary(role, users_by_role, client_for):
    client = client_for(users_by_role[role])
    for page in PHARMACIST_PAGES:
        assert client.get(page).status_code == 403, page
    for page in PHARMACIST_POSTS:
        assert client.post(page, {"reason": "x"}).status_code == 403, page
    assert Product.objects.get(slug="privigen").active
    page = client.get(url("product-detail")).content.decode()
    assert "Deactivate" not in page and "Set price" not in page and "Edit" not in page


def test_pharmacists_open_the_forms(pharmacist, client_for):
    client = client_for(pharmacist)
    for page in PHARMACIST_PAGES:
        assert client.get(page).status_code == 200, page
    detail = client.get(url("product-detail")).content.decode()
    assert "Deactivate" in detail and "Set price" in detail


def test_anonymous_visitors_are_sent_to_sign_in():
    for page in [LIST, url("product-detail"), POLICY, *PHARMACIST_PAGES]:
        response = Client().get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_deactivation_is_a_post_only(pharmacist, client_for):
    assert client_for(pharmacist).get(url("product-deactivate")).status_code == 405


# --- list -------------------------------------------------------------------------------------


def test_the_list_searches_and_filters(clinician, client_for):
    client = client_for(clinician)

    def shown(query: str) -> set[str]:
        products = client.get(f"{LIST}?{query}").context["products"]
        return {product.slug for product in products}

    assert shown("search=grifols") == {"gamunex-c", "flebogamma-5-dif", "flebogamma-10-dif"}
    assert shown("search=PRIVI") == {"privigen"}
    assert shown("low_iga=true") == {"gammagard-sd"}
    assert shown("active=false") == {"carimune-nf"}
    assert shown("concentration_pct=5") == {
        "gammagard-sd",
        "octagam-5",
        "flebogamma-5-dif",
        "gammaplex-5",
    }
    sugar_free = shown("sugar_free=true")
    assert "privigen" in sugar_free and "octagam-10" not in sugar_free
    assert not sugar_free & {"carimune-nf", "gammagard-sd", "flebogamma-5-dif", "gammaplex-5"}
    assert shown("concentration_pct=lots") == shown("")  # a bad filter is ignored, not a 500


def test_the_list_shows_numbers_without_trailing_zeros(clinician, client_for):
    page = client_for(clinician).get(f"{LIST}?search=privigen").content.decode()
    assert "10 %" in page and "5, 10, 20, 40" in page and ">95 USD<" in page
    assert "10.00" not in page


def _list_queries(client: Client, django_assert_max_num_queries: Any, bound: int) -> None:
    with django_assert_max_num_queries(bound):
        assert client.get(LIST).status_code == 200


# Measured: session, user, groups, products, vial sizes, steps, the session save (3), and the
# navigation's unread notifications count.
LIST_QUERY_BOUND = 10


def test_the_list_takes_the_same_queries_however_many_products(
    pharmacist, client_for, django_assert_max_num_queries
):
    client = client_for(pharmacist)
    client.get(LIST)  # warm up the session
    _list_queries(client, django_assert_max_num_queries, LIST_QUERY_BOUND)
    ProductFactory.create_batch(10)
    _list_queries(client, django_assert_max_num_queries, LIST_QUERY_BOUND)


# --- create and edit --------------------------------------------------------------------------


def test_a_pharmacist_adds_a_product_with_vial_sizes_steps_and_price(pharmacist, client_for):
    response = client_for(pharmacist).post(reverse("formulary:product-create"), product_post())
    assert response.status_code == 302
    assert response["Location"] == url("product-detail", "newgam")
    product = Product.objects.get(slug="newgam")
    assert [v.size_g for v in product.vial_sizes.all()] == [5, 10]
    assert [s.minutes for s in product.label_rate_steps.all()] == [30, 30, None]
    assert product.prices.get().price_per_g == 97
    assert product.history.get().history_user == pharmacist


FORM_ERRORS = {
    "no active vial size": (
        {"vial_sizes": [("5", False)]},
        "At least one vial size must be active.",
    ),
    "no vial size": ({"vial_sizes": []}, "At least one vial size must be active."),
    "the same size twice": ({"vial_sizes": [("5", True), ("5", True)]}, "duplicate"),
    "steps slowing down": (
        {"steps": [("2", "30"), ("1", "")]},
        "each step must be faster than the one before",
    ),
    "an open-ended step before the last": (
        {"steps": [("1", ""), ("2", "")]},
        "only the last step runs to the end",
    ),
    "a timed last step": ({"steps": [("1", "30"), ("2", "30")]}, "leave its minutes blank"),
    "concentration above 100 %": (
        {"concentration_pct": "150"},
        "Ensure this value is less than or equal to 100.",
    ),
    "concentration not a number": ({"concentration_pct": "ten"}, "Enter a number."),
    "rate not a number": ({"steps": [("fast", "")]}, "Enter a number."),
    "missing brand name": ({"brand_name": ""}, "This field is required."),
    "taken slug": ({"slug": "privigen"}, "already exists"),
    "reserved slug": ({"slug": "new"}, "is reserved"),
    "bad HCPCS code": ({"hcpcs_code": "1234"}, "A letter and four digits"),
    "sucrose not flagged": ({"stabilizers": ["sucrose"]}, "Contains sucrose"),
    "unknown stabilizer": ({"stabilizers": ["mannitol"]}, "Select a valid choice"),
    "at-risk maximum above label maximum": (
        {"at_risk_max_mg_per_kg_per_min": "9"},
        "at-risk maximum cannot be above the label maximum",
    ),
    "osmolality range reversed": (
        {"osmolality_min_mosm_per_kg": "300", "osmolality_max_mosm_per_kg": "240"},
        "osmolality range ends below its start",
    ),
}


@pytest.mark.parametrize(("changes", "message"), FORM_ERRORS.values(), ids=FORM_ERRORS)
def test_a_bad_product_form_shows_a_clear_error_and_saves_nothing(
    pharmacist, client_for, changes, message
):
    response = client_for(pharmacist).post(
        reverse("formulary:product-create"), product_post(**changes)
    )
    assert response.status_code == 200
    page = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert message in page
    assert "nothing was saved" in page
    assert not Product.objects.filter(brand_name="Newgam").exists()


def test_a_tampered_form_is_an_error_not_a_crash(pharmacist, client_for):
    data = product_post()
    del data["vial_sizes-TOTAL_FORMS"]
    response = client_for(pharmacist).post(reverse("formulary:product-create"), data)
    assert response.status_code == 200
    assert "ManagementForm data is missing" in response.content.decode()


def test_editing_changes_figures_and_vial_sizes_and_shows_the_history(pharmacist, client_for):
    client = client_for(pharmacist)
    privigen = Product.objects.get(slug="privigen")
    data = edit_post(privigen, concentration_pct="10", brand_name="Privigen 10%")
    data["vial_sizes-0-active"] = ""  # 5 g no longer dispensed
    response = client.post(url("product-edit"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    privigen.refresh_from_db()
    assert privigen.brand_name == "Privigen 10%"
    assert not privigen.vial_sizes.get(size_g=5).active
    page = client.get(url("product-detail")).content.decode()
    assert "<del>Privigen</del> → <ins>Privigen 10%</ins>" in page
    assert "Vial size 5 g changed" in page
    assert pharmacist.username in page


def test_the_edit_form_carries_the_version_it_was_opened_at(pharmacist, client_for):
    page = client_for(pharmacist).get(url("product-edit")).content.decode()
    assert 'type="hidden" name="version" value="1"' in page


def test_a_stale_edit_form_is_refused_with_a_clear_message_and_keeps_the_input(
    pharmacist, client_for
):
    client = client_for(pharmacist)
    privigen = Product.objects.get(slug="privigen")
    opened = edit_post(privigen, hcpcs_code="J1459")
    colleague = edit_post(privigen, brand_name="Privigen by a colleague")
    assert client.post(url("product-edit"), colleague).status_code == 302
    opened["brand_name"] = "Privigen mine"
    opened["vial_sizes-0-active"] = ""
    response = client.post(url("product-edit"), opened)
    assert response.status_code == 200
    page = response.content.decode()
    assert "changed by someone else" in page and "nothing was saved" in page
    assert 'value="Privigen mine"' in page
    privigen.refresh_from_db()
    assert (privigen.brand_name, privigen.version) == ("Privigen by a colleague", 2)
    assert privigen.vial_sizes.get(size_g=5).active


def test_the_slug_cannot_be_changed(pharmacist, client_for):
    privigen = Product.objects.get(slug="privigen")
    client_for(pharmacist).post(url("product-edit"), edit_post(privigen, slug="renamed"))
    assert Product.objects.filter(slug="privigen").exists()
    assert not Product.objects.filter(slug="renamed").exists()


def test_removing_a_step_on_the_edit_form(pharmacist, client_for):
    privigen = Product.objects.get(slug="privigen")
    data = edit_post(privigen)
    data["label_rate_steps-3-DELETE"] = "on"  # the 4 mg/kg/min step
    response = client_for(pharmacist).post(url("product-edit"), data)
    assert response.status_code == 302
    rates = [s.rate_mg_per_kg_per_min for s in privigen.label_rate_steps.all()]
    assert rates == [Decimal("0.5"), 1, 2, 8]


# --- deactivate, reactivate, price ------------------------------------------------------------


def test_a_pharmacist_deactivates_and_reactivates_with_a_reason(pharmacist, client_for):
    client = client_for(pharmacist)
    response = client.post(url("product-deactivate"), {"reason": "Recall"})
    assert response.status_code == 302
    assert not Product.objects.get(slug="privigen").active
    page = client.get(url("product-detail")).content.decode()
    assert "Deactivated: Recall" in page and "Reactivate" in page
    assert client.post(url("product-reactivate"), {"reason": "Recall over"}).status_code == 302
    assert Product.objects.get(slug="privigen").active


def test_deactivation_without_a_reason_is_refused_on_the_page(pharmacist, client_for):
    response = client_for(pharmacist).post(url("product-deactivate"), {"reason": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Product.objects.get(slug="privigen").active


def test_reactivating_an_active_product_explains_why_not(pharmacist, client_for):
    response = client_for(pharmacist).post(url("product-reactivate"), {"reason": "x"})
    assert response.status_code == 200
    assert "Privigen is already active." in response.content.decode()


def test_a_new_price_and_a_duplicate_date(pharmacist, client_for):
    client = client_for(pharmacist)
    price = {"price_per_g": "99.50", "effective_from": "2026-07-01"}
    assert client.post(url("product-price"), price).status_code == 302
    assert Product.objects.get(slug="privigen").prices.count() == 2
    again = client.post(url("product-price"), {**price, "price_per_g": "100"})
    assert again.status_code == 200
    assert "Privigen already has a price from 2026-07-01." in again.content.decode()
    bad = client.post(url("product-price"), {"price_per_g": "-1", "effective_from": "someday"})
    assert bad.status_code == 200 and "Enter a valid date." in bad.content.decode()


# --- policy -----------------------------------------------------------------------------------


def policy_post(version: int, **changes: Any) -> dict[str, Any]:
    return {
        "rounding_tolerance_pct": "10",
        "max_rate_ml_per_h": "200",
        "premedication_lead_minutes": "30",
        "observation_minutes": "30",
        "review_interval_cycles": "3",
        "default_at_risk_max_mg_per_kg_per_min": "3.3",
        "adjusted_weight_rule": "bmi_or_ibw_percent",
        "version": version,
        **changes,
    }


def test_a_pharmacist_changes_the_policy(pharmacist, client_for):
    client = client_for(pharmacist)
    assert 'name="version" value="1"' in client.get(POLICY).content.decode()
    response = client.post(POLICY, policy_post(1, observation_minutes="45"))
    assert response.status_code == 302
    policy = DosingPolicy.objects.get()
    assert (policy.version, policy.observation_minutes) == (2, 45)
    assert "Dosing policy version 2" in client.get(POLICY).content.decode()


def test_a_stale_policy_form_is_refused_with_a_clear_message(pharmacist, client_for):
    client = client_for(pharmacist)
    client.post(POLICY, policy_post(1, observation_minutes="45"))
    stale = client.post(POLICY, policy_post(1, premedication_lead_minutes="15"))
    assert stale.status_code == 200
    page = stale.content.decode()
    assert "changed by someone else" in page and "Reload it" in page
    policy = DosingPolicy.objects.get()
    assert (policy.version, policy.premedication_lead_minutes) == (2, 30)


def test_policy_values_outside_their_range_are_form_errors(pharmacist, client_for):
    response = client_for(pharmacist).post(
        POLICY, policy_post(1, premedication_lead_minutes="10", max_rate_ml_per_h="500")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "greater than or equal to 15" in page and "less than or equal to 200" in page


def test_other_roles_read_the_policy_without_a_form(nurse, client_for):
    page = client_for(nurse).get(POLICY).content.decode()
    assert "<dt>Premedication lead</dt><dd>30 minutes</dd>" in page
    assert '<form method="post">' not in page and "Save policy" not in page
