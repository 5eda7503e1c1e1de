"""The API schema is generated once per process, not per request (it depends on the code only):
the second request runs no generator and answers the same bytes; each format is its own."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.mark.django_db
def test_the_schema_is_generated_once_and_served_from_then_on(
    clinician, nurse, client_for, monkeypatch
):
    calls = []
    generate = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):  # the real generator, counted
        calls.append(1)
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    first = client_for(clinician).get("/api/schema/")
    second = client_for(nurse).get("/api/schema/")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and b"/api/v1/dose-plans/" in first.content
    as_json = client_for(nurse).get("/api/schema/", {"format": "json"})
    again = client_for(clinician).get("/api/schema/", {"format": "json"})
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.loads(as_json.content) == json.loads(again.content)
    assert "/api/v1/dose-plans/" in json.loads(as_json.content)["paths"]
    assert len(calls) <= 1, f"generated {len(calls)} times for four requests"
    # Signing in is still asked of every caller.
    from django.test import Client

    assert Client().get("/api/schema/").status_code in (401, 403)
