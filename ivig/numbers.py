"""Numbers at the edge (docs/api.md, Errors): every number the app accepts is finite and
bounded before it reaches a service, a query or a column.

- JSON numbers: at most ``JSON_NUMBER_MAX`` in size (``1e400``, ``NaN``, a 5,000-digit integer
  are a 400 at the parser, ``ivig.api.parsers``).
- Integers: within their column's range (``SMALLINT_MAX`` for the small counts and vital
  signs, ``INT_MAX`` for the rest); an API integer without a narrower bound gets ``INT_MAX``
  (``ivig.api.serializers``).
- Messages quote at most ``ECHO_MAX_CHARS`` of what was sent (``clip``).
"""

from __future__ import annotations

from typing import Any

# PostgreSQL's smallint and integer (Django's PositiveSmallIntegerField, PositiveIntegerField).
SMALLINT_MAX = 32_767
INT_MAX = 2_147_483_647
# The largest JSON number read: JavaScript's safe integer (2**53 - 1); larger is no count, id or
# clinical figure this app has.
JSON_NUMBER_MAX = 9_007_199_254_740_991
ECHO_MAX_CHARS = 32


def clip(value: Any, limit: int = ECHO_MAX_CHARS) -> str:
    """What was sent, as a message may quote it: at most ``limit`` characters, then "…"."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"
