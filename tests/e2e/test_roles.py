"""Every role signs in through the real form in Chromium and lands on its own page."""

import pytest
from playwright.sync_api import expect

from ivig.accounts.roles import Role

from .conftest import journey

LANDING_HEADINGS = {
    Role.CLINICIAN: "Orders",
    Role.PHARMACIST: "Verification queue",
    Role.NURSE: "Infusion schedule",
    Role.AUTHORIZATION_ADMIN: "Authorizations",
}


@journey
def test_each_role_signs_in_and_lands_on_its_page(page, sign_in, sign_out, users_by_role):
    for role, user in users_by_role.items():
        sign_in(user)
        expect(page.get_by_test_id("landing")).to_have_text(LANDING_HEADINGS[role])
        sign_out()


@journey
@pytest.mark.console_errors("status of 403 (Forbidden)")  # the refusal it checks
def test_a_nurse_is_refused_the_pharmacists_queue(page, sign_in, nurse):
    sign_in(nurse)
    response = page.goto("/orders/verification/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


@journey
def test_wrong_password_shows_a_clear_error(page, clinician):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(clinician.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
