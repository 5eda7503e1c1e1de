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
            responses = operation["responses"]
            assert wanted <= set(responses), (method, path, sorted(responses))
            for status in wanted:
                assert responses[status]["content"]["application/json"]["schema"] == error
    assert operations > 50
    for path in ("/api/v1/products/{slug}/", "/api/v1/dosing-policy/"):
        for method in ("put", "patch"):
            assert "409" in schema["paths"][path][method]["responses"], (method, path)
