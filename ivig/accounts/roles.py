"""The four roles of docs/clinical-rules.md 1, as Django groups with their permissions.

``ROLE_PERMISSIONS`` is the one place that says which role may do what: every app's
``policies.py`` asks it (``ivig.accounts.permissions.holds``), and the same permissions are
granted to the groups for the admin site.
"""

from collections.abc import Iterable
from typing import Any

from django.db import models


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    PHARMACIST = "pharmacist", "Pharmacist"
    NURSE = "nurse", "Nurse"
    AUTHORIZATION_ADMIN = "authorization_admin", "Authorization admin"


# Group name per role: what the admin shows and what users are put in.
GROUP_NAMES: dict[Role, str] = {
    Role.CLINICIAN: "Clinician",
    Role.PHARMACIST: "Pharmacist",
    Role.NURSE: "Nurse",
    Role.AUTHORIZATION_ADMIN: "Authorization admin",
}

# "app_label.codename" permissions per role. Apps add theirs here as they grow; a permission
# whose model does not exist yet is skipped until it does. A permission with no model at all
# ("reports.view_stewardship": a report reads other apps' rows) lives in this table only, which
# is what the policies check; the admin site never needs it.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.CLINICIAN: (
        "orders.view_patient",
        "orders.add_patient",
        "orders.change_patient",
        "orders.view_order",
        "orders.add_order",
        "orders.change_order",
        "orders.sign_order",
        "orders.discontinue_order",
        "orders.add_responsereview",
        "orders.add_labresult",
        "notifications.view_notification",
        "infusions.view_chair",
        "infusions.view_infusionsession",
        "infusions.view_administrationentry",
        "infusions.add_reactionplan",
        "infusions.add_sessionoverride",
        "authorizations.view_authorization",
        "formulary.view_product",
        "formulary.view_dosingpolicy",
    ),
    Role.PHARMACIST: (
        "orders.view_patient",
        "orders.view_order",
        "orders.verify_order",
        "infusions.view_chair",
        "infusions.view_infusionsession",
        "infusions.view_administrationentry",
        "authorizations.view_authorization",
        "formulary.view_product",
        "formulary.add_product",
        "formulary.change_product",
        "formulary.view_dosingpolicy",
        "formulary.change_dosingpolicy",
        "formulary.view_premedicationdrug",
        "formulary.add_premedicationdrug",
        "formulary.change_premedicationdrug",
        "reports.view_stewardship",
        "notifications.view_notification",
    ),
    Role.NURSE: (
        "orders.add_labresult",
        "formulary.view_dosingpolicy",
        "orders.view_patient",
        "orders.view_order",
        "formulary.view_product",
        "infusions.view_infusionsession",
        "authorizations.view_authorization",
        "infusions.add_infusionsession",
        "infusions.change_infusionsession",
        "infusions.add_administrationentry",
        "infusions.view_administrationentry",
        "infusions.view_chair",
        "infusions.add_chair",
        "infusions.change_chair",
        "notifications.view_notification",
    ),
    Role.AUTHORIZATION_ADMIN: (
        "formulary.view_product",
        "formulary.view_dosingpolicy",
        "orders.view_patient",
        "orders.view_order",
        "authorizations.view_authorization",
        "authorizations.add_authorization",
        "authorizations.change_authorization",
        "infusions.view_chair",
        "infusions.view_infusionsession",
        "infusions.view_administrationentry",
        "authorizations.view_authorizationdocument",
        "authorizations.add_authorizationdocument",
        "notifications.view_notification",
    ),
}

# Where each role lands after login, in the order used when a user holds several roles.
LANDING_URL_NAMES: dict[Role, str] = {
    Role.CLINICIAN: "orders:home",
    Role.PHARMACIST: "orders:verification-queue",
    Role.NURSE: "infusions:schedule",
    Role.AUTHORIZATION_ADMIN: "authorizations:authorizations",
}


def roles_of(user: Any) -> list[Role]:
    """The roles a signed-in user holds, in the fixed order of ``Role``."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_ivig_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = [role for role, group in GROUP_NAMES.items() if group in names]
        user._ivig_roles = cached
    return list(cached)


def create_role_groups(group_model: Any, permission_model: Any) -> None:
    """Create the four groups and grant every permission of ``ROLE_PERMISSIONS`` that exists.

    Idempotent; takes the models as arguments so data migrations can pass historical ones.
    """
    for role, group_name in GROUP_NAMES.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        group.permissions.add(*_existing_permissions(permission_model, ROLE_PERMISSIONS[role]))


def _existing_permissions(permission_model: Any, names: Iterable[str]) -> list[Any]:
    found = []
    for name in names:
        app_label, codename = name.split(".", 1)
        found.extend(
            permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
        )
    return found


def grant_role_permissions_after_migrate(sender: Any, **kwargs: Any) -> None:
    """After ``migrate`` has created every app's permissions, grant them to the role groups.

    Runs once, for the last installed app, when every app's permissions exist.
    """
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    if sender.label != list(apps.get_app_configs())[-1].label:
        return

    create_role_groups(Group, Permission)
