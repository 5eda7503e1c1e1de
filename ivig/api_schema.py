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
