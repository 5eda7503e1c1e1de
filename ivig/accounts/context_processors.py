"""Role-aware navigation for the base template."""

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from ivig.notifications.services import unread_count

from .roles import Role, roles_of

# (label, url name, roles that see it). A link whose page does not exist yet is left out.
NAVIGATION: tuple[tuple[str, str, tuple[Role, ...]], ...] = (
    ("Orders", "orders:home", (Role.CLINICIAN,)),
    ("Patients", "orders:patient-list", tuple(Role)),
    ("Verification queue", "orders:verification-queue", (Role.PHARMACIST,)),
    ("Formulary", "formulary:product-list", tuple(Role)),
    ("Dosing policy", "formulary:policy", (Role.PHARMACIST,)),
    ("Stewardship", "reports:stewardship", (Role.PHARMACIST,)),
    ("Schedule", "infusions:schedule", tuple(Role)),
    ("Authorizations", "authorizations:authorizations", (Role.AUTHORIZATION_ADMIN,)),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    roles = roles_of(request.user)
    links = []
    for label, url_name, allowed in NAVIGATION:
        if not any(role in allowed for role in roles):
            continue
        try:
            links.append({"label": label, "url": reverse(url_name)})
        except NoReverseMatch:
            continue
    return {
        "nav_links": links,
        "user_roles": [role.label for role in roles],
        "unread_notifications": _unread_notifications(request, roles),
    }


def _unread_notifications(request: HttpRequest, roles: list[Role]) -> int | None:
    """The signed-in user's unread notifications (one query), None for nobody or no role."""
    if not roles:
        return None
    return unread_count(request.user)  # type: ignore[arg-type]
