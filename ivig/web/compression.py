"""Compressing HTML and JSON only where it cannot leak a secret (BREACH).

BREACH recovers a secret from a compressed HTTPS response when the attacker can (1) make the
victim's browser send requests that (2) reflect attacker-chosen text next to the secret, and
(3) watch the responses' sizes. Every page here carries secrets (patients' data; the CSRF token
in ``base.html``), so ``SafeGZipMiddleware`` compresses a response only when nothing the
requester chose can be reflected in it:

- only ``GET``/``HEAD`` (a ``POST`` needs the CSRF token, which a cross-site attacker lacks);
- every query parameter's value is a number, a date, or one of a few fixed words
  (``SAFE_WORDS``); free text such as a search (``q``, ``search``, ``patient_q``) or a bad
  value a form would echo in its error message leaves the response uncompressed.

Django's own mitigations stand as well: the CSRF token in a page is masked afresh for every
response, and ``GZipMiddleware`` adds random bytes to each compressed response ("Heal the
BREACH"); the session cookie is ``SameSite=Lax``, so cross-site sub-requests carry no session.
"""

import re

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware

_NUMBER_OR_DATE = re.compile(r"^[0-9-]{0,10}$")
# The schedule's views and the order and session statuses the lists filter by (named here, as
# the base layer imports no app): none is anybody's secret.
SAFE_WORDS = frozenset(
    {
        "week",
        "day",
        *("draft", "signed", "verified", "active", "completed", "discontinued", "superseded"),
        *("tentative", "booked", "in_progress", "cancelled", "missed"),
    }
)


def reflects_nothing(request: HttpRequest) -> bool:
    """True when no request value could be echoed as attacker-chosen text."""
    if request.method not in ("GET", "HEAD"):
        return False
    return all(
        _NUMBER_OR_DATE.match(value) or value in SAFE_WORDS
        for values in request.GET.lists()
        for value in values[1]
    )


class SafeGZipMiddleware(GZipMiddleware):
    """``GZipMiddleware`` for responses that reflect nothing the requester chose (above)."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not reflects_nothing(request):
            return response
        return super().process_response(request, response)
