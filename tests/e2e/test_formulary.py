"""A pharmacist adds a product with two vial sizes in Chromium, then deactivates it."""

from playwright.sync_api import expect

from formulary.models import Product

from .conftest import journey


@journey
def test_a_pharmacist_adds_a_product_and_deactivates_it(page, sign_in, pharmacist):
    sign_in(pharmacist)
    page.get_by_role("link", name="Formulary").click()
    page.get_by_role("button", name="Add a product").click()

    page.get_by_label("Short name").fill("journeygam")
    page.get_by_label("Brand name").fill("Journeygam 10%")
    page.get_by_label("Manufacturer").fill("Journey Biologics")
    page.get_by_label("Concentration (%)").fill("10")
    page.get_by_label("Price per g").fill("96")
    page.get_by_label("glycine").check()
    page.get_by_label("Vial size 1 (g)").fill("5")
    page.get_by_label("Vial size 2 (g)").fill("10")
    page.get_by_label("Label maximum rate (mg/kg/min)").fill("8")
    page.get_by_label("Step 1 rate (mg/kg/min)").fill("1")
    page.get_by_label("Step 1 minutes").fill("30")
    page.get_by_label("Step 2 rate (mg/kg/min)").fill("8")
    page.get_by_role("button", name="Add product").click()

    expect(page.get_by_role("heading", name="Journeygam 10%")).to_be_visible()
    expect(page.get_by_test_id("product-status")).to_have_text("Active")
    expect(page.get_by_role("listitem").filter(has_text="10 g")).to_be_visible()

    page.get_by_label("Reason").fill("Added by mistake")
    page.get_by_role("button", name="Deactivate").click()

    expect(page.get_by_test_id("product-status")).to_have_text("Inactive")
    expect(page.get_by_text("Deactivated: Added by mistake")).to_be_visible()
    product = Product.objects.get(slug="journeygam")
    assert not product.active
    assert sorted(v.size_g for v in product.vial_sizes.all()) == [5, 10]
    assert product.history.first().history_user == pharmacist
