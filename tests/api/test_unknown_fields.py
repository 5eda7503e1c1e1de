"""Every write endpoint of the API refuses a field it does not know (docs/api.md, Errors): a
400 naming that field in ``field_errors``, never a silent drop.

The endpoints come from the OpenAPI schema (so a new one is walked without editing this
test); path parameters take the demo data's first rows; each endpoint is called by the first
role allowed to write it.
"""

from typing import Any

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from authorizations.models import Authorization
from infusions.models import AdministrationEntry, Chair, EntryKind, InfusionSession
from ivig.accounts.roles import Role
from orders.models import Order, Patient

pytestmark = pytest.mark.django_db

UNKNOWN = "zz_not_a_field"
WRITE_METHODS = ("post", "put", "patch")


def _first_pk(rows: Any) -> str:
    return str(rows.order_by("pk").values_list("pk", flat=True).first())


def _path(template: str, method: str) -> str:
    """The schema path with its parameters filled from the demo data's first rows (a reaction
    plan is written with POST on a reaction without one, revised with PUT on one with a plan)."""
    reactions = AdministrationEntry.objects.filter(kind=EntryKind.ADVERSE_EVENT)
    owners: dict[str, Any] = {
        "patients": Patient.objects.all(),
        "orders": Order.objects.all(),
        "infusion-sessions": InfusionSession.objects.all(),
        "chairs": Chair.objects.all(),
        "authorizations": Authorization.objects.all(),
        "reactions": reactions.filter(reaction_plan__isnull=(method != "put")),
    }
    segments = template.split("/")
    for index, segment in enumerate(segments):
        if segment == "{slug}":
            segments[index] = "privigen"
        elif segment.startswith("{") and segments[index - 1] in owners:
            segments[index] = _first_pk(owners[segments[index - 1]])
    return "/".join(segments)


def test_every_write_endpoint_refuses_an_unknown_field(settings, users_by_role):
    settings.DEBUG = True  # the demo data is seeded only in development
    call_command("seed_demo")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    checked, unreached, accepted = [], [], []
    for template, operations in schema["paths"].items():
        for method in WRITE_METHODS:
            if method not in operations or "requestBody" not in operations[method]:
                continue  # no input, nothing to refuse
            if "application/json" not in operations[method]["requestBody"]["content"]:
                continue  # a file upload (the lab import): its CSV columns are checked per row
            path = _path(template, method)
            response = None
            for role in Role:
                client = APIClient()
                client.force_authenticate(users_by_role[role])
                response = getattr(client, method)(path, {UNKNOWN: 1}, format="json")
                if response.status_code not in (403, 405):
                    break
            assert response is not None
            if "{" in path or response.status_code in (403, 404, 405):
                unreached.append((method, path, response.status_code))
                continue
            checked.append((method, template))
            body = response.json() if response.status_code == 400 else {}
            if UNKNOWN not in body.get("field_errors", {}):
                accepted.append((method, template, response.status_code))
    assert len(checked) >= 25, (checked, unreached)
    assert not unreached, unreached
    assert not accepted, accepted
