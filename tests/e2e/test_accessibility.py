"""Each role's main pages in Chromium: axe-core (npm, loaded from node_modules, never served)
finds no serious or critical violation; narrow screens collapse the header and repeat the
preview's summary above Save."""

from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from infusions.models import InfusionSession
from ivig.accounts.roles import Role
from orders.models import Order
from orders.services import order_create
from tests.conftest import skip_or_fail
from tests.infusions.factories import ChairFactory, local, session_for, verified_order
from tests.orders.factories import order_values, worked_example_patient

from .conftest import journey

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_problems(page: Page) -> list[str]:
    """Serious and critical axe violations of the page as it stands."""
    if not AXE.exists():
        skip_or_fail("axe-core is not installed: run npm ci")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # through DevTools: the page's CSP does not apply
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _data(clinician, nurse) -> tuple[Order, InfusionSession]:
    draft = order_create(by=clinician, **order_values(worked_example_patient(clinician)))
    order = verified_order()
    session = session_for(
        order, ChairFactory.create(), local(timezone.localdate(), "10:00"), by=nurse
    )
    return draft, session


@journey
def test_no_serious_accessibility_problems_on_each_roles_main_pages(
    page, sign_in, sign_out, users_by_role, clinician, nurse
):
    draft, session = _data(clinician, nurse)
    pages = {
        Role.CLINICIAN: ["/orders/", "/orders/patients/", f"/orders/{draft.pk}/",
                         f"/orders/{draft.pk}/edit/", "/orders/new/", f"/orders/{draft.pk}/print/"],
        Role.PHARMACIST: ["/orders/verification/", "/formulary/", f"/orders/{draft.pk}/"],
        Role.NURSE: ["/infusions/", "/infusions/?view=week", f"/infusions/sessions/{session.pk}/"],
        Role.AUTHORIZATION_ADMIN: ["/"],
    }  # fmt: skip
    problems: dict[str, list[str]] = {}
    for role, user in users_by_role.items():
        sign_in(user)
        for path in pages[role]:
            page.goto(path)
            found = axe_problems(page)
            if found:
                problems[f"{role.value} {path}"] = found
        if "/print/" not in page.url:
            sign_out()
        else:
            page.goto("/")
            sign_out()
    assert problems == {}


@journey
def test_narrow_screens_collapse_the_header_and_show_the_summary_above_save(
    page, sign_in, clinician
):
    draft = order_create(by=clinician, **order_values(worked_example_patient(clinician)))
    sign_in(clinician)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/orders/{draft.pk}/edit/")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_test_id("logout")).to_be_hidden()
    menu.click()
    expect(page.get_by_test_id("logout")).to_be_visible()
    summary = page.locator("#preview-summary-narrow [data-testid=findings-summary]")
    expect(summary).to_be_visible()
    save = page.get_by_test_id("order-save").bounding_box()
    box = summary.bounding_box()
    assert box is not None and save is not None and box["y"] < save["y"]
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_test_id("logout")).to_be_visible()
