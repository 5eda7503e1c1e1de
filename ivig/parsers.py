"""The API's JSON parser: bounded nesting and no NUL characters (docs/api.md, Errors).

Deeply nested JSON would exhaust the interpreter's recursion (a 500) and PostgreSQL refuses the
NUL character in text (a 500 at the save): both answer 400 here, before any view runs.
"""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32
NUL = "\x00"


def check_json_value(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Raise ``ValueError`` when ``value`` nests deeper than ``max_depth`` or holds a NUL in a
    key or string. Iterative, so any depth is checked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise ValueError(f"JSON nested deeper than {max_depth} levels.")
            children = item.values() if isinstance(item, dict) else item
            if isinstance(item, dict) and any(NUL in key for key in item):
                raise ValueError("A NUL character is not allowed in the request.")
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str) and NUL in item:
            raise ValueError("A NUL character is not allowed in the request.")


class SafeJSONParser(JSONParser):
    """``JSONParser`` refusing nesting deeper than ``MAX_DEPTH`` and NUL characters (400)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        try:
            check_json_value(data)
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        return data
