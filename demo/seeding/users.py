"""Demo users (docs/clinical-rules.md 9): one per role, password ``ivig-demo-2026``, only when
DEBUG."""

from django.conf import settings
from django.contrib.auth.models import Group

from ivig.accounts.models import User
from ivig.accounts.roles import GROUP_NAMES, Role

DEMO_PASSWORD = "ivig-demo-2026"
DEMO_USERS: dict[str, tuple[Role, str, str]] = {
    "clinician": (Role.CLINICIAN, "Clara", "Clinician"),
    "pharmacist": (Role.PHARMACIST, "Phil", "Pharmacist"),
    "nurse": (Role.NURSE, "Nora", "Nurse"),
    "authadmin": (Role.AUTHORIZATION_ADMIN, "Ada", "Authadmin"),
}


def seed() -> list[str]:
    if not settings.DEBUG:
        return ["demo users skipped: DEBUG is off"]
    for username, (role, first_name, last_name) in DEMO_USERS.items():
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "last_name": last_name}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    return [f"demo users: {', '.join(DEMO_USERS)} (password {DEMO_PASSWORD})"]
