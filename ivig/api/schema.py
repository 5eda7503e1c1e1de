"""The OpenAPI schema as people read it: view docstrings become its descriptions, and the
citations they carry for developers (``(docs/clinical-rules.md 3.8)``) are taken out, so that no
page shows a document reference."""

import re
from typing import Any

CITATION = re.compile(
    r"\s*\(?docs/[a-z-]+\.md(?:[ ,]+(?:§\s*)?\d+(?:\.\d+)*(?:[-\u2013]\d+(?:\.\d+)*)?)*\)?"
)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return CITATION.sub("", value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def strip_document_citations(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    cleaned: dict[str, Any] = _clean(result)
    return cleaned


ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The one shape of every API error (docs/api.md, Errors).",
    "properties": {
        "code": {"type": "string", "description": "Stable, for programs (e.g. stale_version)."},
        "detail": {"type": "string", "description": "For people."},
        "field_errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Messages by input field (__all__ for the whole request).",
        },
    },
    "required": ["code", "detail"],
}
ERROR_RESPONSES = {
    "400": "Invalid input (or a rule refused it): the fields at fault in field_errors.",
    "401": "Not signed in (no or a bad session or token).",
    "403": "Signed in, but the role may not do this.",
    "404": "No such resource (or not visible to this user).",
}
CONFLICT = ("409", "Someone else changed it first (stale version) or its state moved on.")
TOO_LARGE = ("413", "The request body is larger than the limit (1 MB).")
UNSUPPORTED_MEDIA_TYPE = (
    "415",
    "The body's media type is not one the operation takes (JSON, form or multipart).",
)
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def _takes_version(operation: dict[str, Any], schemas: dict[str, Any]) -> bool:
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schema = media.get("schema", {})
        ref = schema.get("$ref", "")
        if ref:
            schema = schemas.get(ref.rsplit("/", 1)[-1], {})
        if "version" in schema.get("properties", {}):
            return True
    return False


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every operation documents 400, 401, 403 and 404
    with the error body (``ivig.api.errors.ErrorSerializer``'s shape); a write 413; a write
    that takes a body 415; a write whose body carries a ``version`` 409. Responses a view
    documents itself are kept (their
    body filled in with the error shape when they give none)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_SCHEMA_NAME, ERROR_SCHEMA)
    body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            wanted = dict(ERROR_RESPONSES)
            if method in WRITE_METHODS:
                wanted.update([TOO_LARGE])
                if "requestBody" in operation:
                    wanted.update([UNSUPPORTED_MEDIA_TYPE])
                if _takes_version(operation, schemas):
                    wanted.update([CONFLICT])
            responses = operation["responses"]
            for status, description in wanted.items():
                response = responses.setdefault(status, {"description": description})
                response.setdefault("description", description)
            for status, response in responses.items():
                if str(status).startswith("4") and "content" not in response:
                    response["content"] = body
    return result


LOCAL_TIME = {
    "type": "string",
    "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
    "description": "A local time of day (the clinic's time zone), hh:mm[:ss]; no UTC offset.",
}


def _local_times(value: Any) -> Any:
    if isinstance(value, dict):
        kind = value.get("type")
        if value.get("format") == "time" and (kind == "string" or kind == ["string", "null"]):
            rest = {key: item for key, item in value.items() if key not in ("format", "type")}
            return {**LOCAL_TIME, **rest, "type": kind}  # a time or, where allowed, null
        return {key: _local_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_local_times(item) for item in value]
    return value


def document_local_times(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: a time of day (a chair's opening hours) is local
    wall-clock time, "07:00:00", as DRF's ``TimeField`` reads and writes it. OpenAPI's
    ``format: time`` is RFC 3339's, which demands an offset ("07:00:00+01:00") that these
    times never have; the schema says what they are instead."""
    documented: dict[str, Any] = _local_times(result)
    return documented
