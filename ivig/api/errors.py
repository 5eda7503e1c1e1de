"""Every API error answers one JSON shape (docs/api.md, Errors)::

    {"code": "stale_version", "detail": "…for people…", "field_errors": {"version": ["…"]}}

``DomainError`` from a service: 409 when it is a conflict, else 400, with its ``details``
(e.g. the findings that stopped a signature) beside. DRF's own errors (validation, 401, 403,
404, 405, 415, 429 …) keep their status and take the same shape. Registered once as
``REST_FRAMEWORK["EXCEPTION_HANDLER"]``; API views never catch a domain error themselves.
"""

import contextlib
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ivig.errors import DomainError
from ivig.numbers import ECHO_MAX_CHARS, clip


def _long_texts_sent(data: Any, found: set[str], budget: int = 10_000) -> set[str]:
    """The strings of a request body longer than a message may quote."""
    stack = [data]
    while stack and budget > 0:
        budget -= 1
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str) and len(item) > ECHO_MAX_CHARS:
            found.add(item)
    return found


def clip_echoes(messages: dict[str, list[str]], request: Any) -> dict[str, list[str]]:
    """``messages`` quoting at most ``ECHO_MAX_CHARS`` of anything sent (a 2 MB value is not
    sent back in a 2 MB answer)."""
    sent: set[str] = set()
    # A body that could not be parsed is in no message.
    with contextlib.suppress(Exception):
        _long_texts_sent(getattr(request, "data", None), sent)
    query = getattr(request, "query_params", None)
    if query is not None:
        _long_texts_sent([value for _, value in query.lists() for value in value], sent)
    if not sent:
        return messages
    longest_first = sorted(sent, key=len, reverse=True)
    clipped: dict[str, list[str]] = {}
    for field, items in messages.items():
        out = []
        for message in items:
            for text in longest_first:
                if text in message:
                    message = message.replace(text, clip(text))
            out.append(message)
        clipped.setdefault(clip(field, 100), []).extend(out)
    return clipped


class ErrorSerializer(serializers.Serializer):
    """The error body, for the OpenAPI schema."""

    code = serializers.CharField()
    detail = serializers.CharField()
    field_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation detail as ``{"field" or "parent.child": [messages]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int) or str(key).isdigit():  # an item of a list: its field's
                name = prefix
            elif key in ("non_field_errors", NON_FIELD_ERRORS):
                name = f"{prefix}.__all__" if prefix else NON_FIELD_ERRORS
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten(value, name).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or NON_FIELD_ERRORS: [str(item) for item in detail]}
        flat = {}
        for item in detail:
            for field, messages in _flatten(item, prefix).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    return {prefix or NON_FIELD_ERRORS: [str(detail)]}


def domain_error_body(error: DomainError) -> dict[str, Any]:
    return {
        **error.details,
        "code": error.code,
        "detail": error.message,
        "field_errors": error.field_errors or {NON_FIELD_ERRORS: [error.message]},
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        answer = Response(domain_error_body(exc), status=exc.http_status)
        if exc.is_throttled and exc.retry_after_seconds is not None:
            answer["Retry-After"] = str(exc.retry_after_seconds)
        return answer
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field_errors = clip_echoes(_flatten(exc.detail), context.get("request"))
        summary = "; ".join(
            f"{field}: {message}" if field != NON_FIELD_ERRORS else message
            for field, messages in field_errors.items()
            for message in messages
        )
        response.data = {"code": "invalid", "detail": summary, "field_errors": field_errors}
    else:  # 401, 403, 404, 405, 406, 415, 429 ... (Django's Http404 and PermissionDenied too)
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {
            "code": getattr(detail, "code", None) or getattr(exc, "default_code", "error"),
            "detail": str(detail),
            "field_errors": {},
        }
    return response
