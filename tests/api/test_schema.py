"""The whole OpenAPI schema validates, without a single drf-spectacular warning."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/dose-plans/" in out.read_text()


@pytest.mark.django_db
def test_every_operation_documents_its_errors_with_the_one_error_body():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    error = {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "detail",
        "field_errors",
    }
    operations = 0
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            operations += 1
            wanted = {"400", "401", "403", "404"}
            if method in ("post", "put", "patch", "delete"):
                wanted.add("413")
                if "requestBody" in operation:
                    wanted.add("415")
            responses = operation["responses"]
            assert wanted <= set(responses), (method, path, sorted(responses))
            for status in wanted:
                assert responses[status]["content"]["application/json"]["schema"] == error
    assert operations > 50
    for path in ("/api/v1/products/{slug}/", "/api/v1/dosing-policy/"):
        for method in ("put", "patch"):
            assert "409" in schema["paths"][path][method]["responses"], (method, path)


def _walk(value, path=""):
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _walk(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}/{index}")


@pytest.fixture
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_no_schema_is_ambiguous_about_null(schema):
    """``oneOf: [{}, {type: null}]`` (a JSON field that may be null) matches null twice, so no
    answer with a null there can conform: such fields say what they hold."""
    ambiguous = [
        path
        for path, node in _walk(schema)
        if any(option == {} for option in node.get("oneOf", []))
    ]
    assert not ambiguous
    order = schema["components"]["schemas"]["Order"]["properties"]
    assert order["plan_at_signing"]["type"] == ["object", "null"]
    assert order["findings_at_signing"]["type"] == ["array", "null"]


def test_times_of_day_are_documented_as_local_times_without_an_offset(schema):
    """RFC 3339's ``format: time`` demands an offset; the chairs' opening hours have none."""
    import re

    assert not [path for path, node in _walk(schema) if node.get("format") == "time"]
    hours = schema["components"]["schemas"]["OpeningHours"]["properties"]
    pattern = re.compile(hours["opens_at"]["pattern"])
    assert pattern.match("07:00:00") and pattern.match("07:00")
    assert not pattern.match("24:00:00") and not pattern.match("07:00:00+01:00")


def test_a_price_nobody_entered_documents_its_null_author(schema):
    created_by = schema["components"]["schemas"]["ProductPrice"]["properties"]["created_by"]
    assert "null" in created_by["type"], created_by


def test_an_entry_without_an_adverse_event_documents_its_blank_severity(schema):
    severity = schema["components"]["schemas"]["Entry"]["properties"]["severity"]
    refs = [option.get("$ref", "") for option in severity.get("oneOf", [])]
    blank = [
        schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        for ref in refs
        if ref.rsplit("/", 1)[-1] != "AdverseEventSeverityEnum"
    ]
    assert any("" in enum.get("enum", []) for enum in blank), severity
