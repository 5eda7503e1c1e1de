"""Every GET route of the application, found in the URL configuration and given real ids from the
database: what ``bench/routes.py`` measures on a running server and ``tests/scale/
test_every_route.py`` holds to a bounded cost. Nothing here lists routes by hand: a route added
tomorrow is found, and its ids are filled from the path segment before each parameter
(``orders/<int:pk>/`` an order, ``sessions/<int:pk>/`` a session…). A parameter after an unknown
segment cannot be filled: the route is reported as such, never skipped silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Case, Count, Q, When
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

# Not pages: Django's admin (staff only, its own tests), signing out, DRF's format suffixes and
# the API's and the FHIR base's catch-all 404s.
EXCLUDED_PREFIXES = ("admin/",)
EXCLUDED_NAMES = {"logout", "api-not-found", "fhir-unknown"}
PUBLIC_NAMES = {"login", "healthz", "favicon"}

PARAMETER = re.compile(r"\(\?P<(?P<rname>\w+)>[^)]*\)|<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern: ``route`` as written in the URL configuration, ``name`` its URL name."""

    route: str
    name: str
    get_allowed: bool  # False: a DRF viewset route without a GET action

    def parameters(self) -> list[tuple[str, str]]:
        """(segment before the parameter, parameter name) for each parameter, in order."""
        found = []
        for match in PARAMETER.finditer(self.route):
            before = self.route[: match.start()].rstrip("/").replace("^", "")
            segment = before.rsplit("/", 1)[-1]
            found.append((segment, match.group("rname") or match.group("name")))
        return found

    def fill(self, values: Callable[[str, str], str | None]) -> str | None:
        """The concrete path with each parameter replaced by ``values(segment, name)``; None when
        one cannot be filled."""
        parts: list[str] = []
        position = 0
        for (segment, name), match in zip(
            self.parameters(), PARAMETER.finditer(self.route), strict=True
        ):
            value = values(segment, name)
            if value is None:
                return None
            parts.extend([self.route[position : match.start()], value])
            position = match.end()
        parts.append(self.route[position:])
        path = "".join(parts).replace("^", "").replace("$", "").replace("\\Z", "")
        return "/" + path


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith(EXCLUDED_PREFIXES):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from _walk(entry, route, inner)
        elif isinstance(entry, URLPattern):
            if "format" in route or entry.name in EXCLUDED_NAMES:
                continue
            actions = getattr(entry.callback, "actions", None)
            name = f"{namespace}{entry.name}" if entry.name else route
            yield Route(route, name, actions is None or "get" in actions)


def all_routes() -> list[Route]:
    """Every route a GET could read: signed-in pages and API, HTML, JSON, CSV and calendars."""
    return [
        route
        for route in _walk(get_resolver())
        if route.get_allowed and route.name not in PUBLIC_NAMES
    ]


@dataclass
class Fixtures:
    """The rows routes are filled from: the busiest order (most sessions) and its neighbours."""

    values: dict[str, str] = field(default_factory=dict)

    def __call__(self, segment: str, name: str) -> str | None:
        return self.values.get(segment)


def busiest_fixtures(*, calendar_token: str | None = None) -> Fixtures:
    """Ids for every known segment, from the database as it is (a few queries)."""
    from authorizations.models import Authorization
    from formulary.models import VialSize
    from infusions.models import (
        AdministrationEntry,
        Chair,
        EntryKind,
        InfusionSession,
        SessionStatus,
    )
    from ivig.notifications.models import Notification
    from orders.labs.models import LabImport, LabResult
    from orders.models import Order, OrderStatus, PatientWeight

    found: dict[str, str] = {}
    order = (
        Order.objects.filter(status__in=(OrderStatus.ACTIVE, OrderStatus.VERIFIED))
        .annotate(session_count=Count("sessions"))
        .order_by("-session_count", "pk")
        .first()
    ) or Order.objects.order_by("pk").first()
    if order is not None:
        found.update(
            orders=str(order.pk),
            patients=str(order.patient_id),
            products=order.product.slug,
            formulary=order.product.slug,
            indications=order.indication.slug,
            cycles="1",
            # formulary/policy/premedication/<slug>/: a seeded catalogue drug.
            premedication="diphenhydramine",
        )
        root = order.lineage_id or order.pk
        authorization = (
            Authorization.objects.filter(Q(order_id=root) | Q(order__lineage_id=root))
            .order_by("-pk")
            .first()
        ) or Authorization.objects.order_by("-pk").first()
        if authorization is not None:
            found["authorizations"] = str(authorization.pk)
        today = timezone.localdate()
        start = timezone.make_aware(datetime.combine(today, time.min))
        session = (
            InfusionSession.objects.filter(
                planned_start__gte=start, planned_start__lt=start + timedelta(days=1)
            )
            .order_by("planned_start", "pk")
            .first()
            or InfusionSession.objects.filter(order=order).order_by("-planned_start").first()
        )
        if session is not None:
            found["sessions"] = found["infusion-sessions"] = str(session.pk)
        # FHIR reads (/fhir/R4/<type>/<id>, docs/fhir.md): the same order (its Condition too),
        # patient (its AllergyIntolerance: a 404 without allergy text) and product; a completed
        # session of the order; an observation of the patient ("lab-"/"weight-" id); the
        # authorization (Coverage, ClaimResponse), the session (Appointment, Slot), the chair
        # (Schedule).
        found.update(
            Patient=str(order.patient_id),
            Medication=str(order.product_id),
            MedicationRequest=str(order.pk),
            Condition=str(order.pk),
            AllergyIntolerance=str(order.patient_id),
        )
        if authorization is not None:
            found["Coverage"] = found["ClaimResponse"] = str(authorization.pk)
        if session is not None:
            found["Appointment"] = found["Slot"] = str(session.pk)
        completed = (
            InfusionSession.objects.filter(status=SessionStatus.COMPLETED)
            .order_by(Case(When(order=order, then=0), default=1), "-planned_start", "pk")
            .first()
        )
        if completed is not None:
            found["MedicationAdministration"] = str(completed.pk)
        lab = LabResult.objects.filter(patient_id=order.patient_id).order_by("-pk").first()
        weight = PatientWeight.objects.filter(patient_id=order.patient_id).order_by("-pk").first()
        if lab is not None:
            found["Observation"] = f"lab-{lab.pk}"
        elif weight is not None:
            found["Observation"] = f"weight-{weight.pk}"
    reaction = (
        AdministrationEntry.objects.filter(kind=EntryKind.ADVERSE_EVENT).order_by("-pk").first()
    )
    if reaction is not None:
        found["reactions"] = str(reaction.pk)
    chair = Chair.objects.order_by("pk").first()
    if chair is not None:
        found["chairs"] = found["Schedule"] = str(chair.pk)
    vial_size = VialSize.objects.order_by("pk").first()
    if vial_size is not None:
        found["vial-sizes"] = str(vial_size.pk)
    notification = Notification.objects.order_by("-pk").first()
    if notification is not None:
        found["notifications"] = str(notification.pk)
    lab_import = LabImport.objects.order_by("-pk").first()
    if lab_import is not None:
        found["import"] = str(lab_import.pk)  # labs/import/<pk>/: a background lab import
    if calendar_token is not None:
        found["calendar"] = calendar_token
    return Fixtures(found)
