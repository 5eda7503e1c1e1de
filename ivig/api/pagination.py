"""The API's one pagination: ``limit`` and ``offset``, both bounded (docs/api.md, Errors).

A ``limit`` above ``MAX_LIMIT``, an ``offset`` above ``MAX_OFFSET``, a negative or non-integer
value answers 400 with the field's message; nothing huge reaches the database (a ``limit`` of
2**70 used to overflow the SQL integer and answer 500).
"""

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000


def _bounded(request: Request, name: str, default: int, lowest: int, highest: int) -> int:
    raw: Any = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    if (
        not text.isdecimal()
        or len(text) > len(str(highest))
        or not (lowest <= int(text) <= highest)
    ):
        raise ValidationError({name: [f"An integer from {lowest} to {highest}."]})
    return int(text)


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int:
        return _bounded(request, self.limit_query_param, self.default_limit, 1, MAX_LIMIT)

    def get_offset(self, request: Request) -> int:
        return _bounded(request, self.offset_query_param, 0, 0, MAX_OFFSET)
