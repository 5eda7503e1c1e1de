"""The API's JSON parser: bounded nesting, bounded finite numbers and no NUL characters
(docs/api.md, Errors).

Deeply nested JSON would exhaust the interpreter's recursion (a 500), PostgreSQL refuses the NUL
character in text (a 500 at the save), ``1e400`` reads as an infinite float and a huge integer
overflows a column or a lookup (a 500): all answer 400 here, before any view runs.
"""

import codecs
import json
import math
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ivig.numbers import JSON_NUMBER_MAX

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


TOO_LARGE = f"a number is at most {JSON_NUMBER_MAX} in size"


def _bounded_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > JSON_NUMBER_MAX:
        raise ValueError(TOO_LARGE)
    return value


def _bounded_int(text: str) -> int:
    if len(text) > len(str(JSON_NUMBER_MAX)) + 1:
        raise ValueError(TOO_LARGE)
    value = int(text)
    if abs(value) > JSON_NUMBER_MAX:
        raise ValueError(TOO_LARGE)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def load_json(text: str) -> Any:
    """``json.loads`` with finite, bounded numbers (``ValueError`` otherwise)."""
    return json.loads(
        text, parse_float=_bounded_float, parse_int=_bounded_int, parse_constant=_no_constant
    )


class SafeJSONParser(JSONParser):
    """``JSONParser`` refusing nesting deeper than ``MAX_DEPTH``, non-finite or huge numbers
    and NUL characters (400)."""

    def _load(self, stream: Any, parser_context: Any) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return load_json(codecs.getreader(encoding)(stream).read())
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = self._load(stream, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        try:
            check_json_value(data)
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        return data
