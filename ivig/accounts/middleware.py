"""Both session timeouts, enforced on every signed-in request (README, "Configuration").

- **Idle**: the session ends ``SESSION_COOKIE_AGE`` seconds (``SESSION_IDLE_TIMEOUT_MINUTES``)
  after the last request, measured to ``SESSION_IDLE_RENEWAL_SECONDS``: the time of the last
  request is written to the session only when the one stored is older than that, so a
  signed-in page reads the session without saving it (``SESSION_SAVE_EVERY_REQUEST`` is off).
  The user is therefore signed out at most the idle timeout after the last request, never
  later. The session store's own expiry, renewed on each of those writes, is a backstop that
  also removes abandoned sessions (Redis TTL or ``expire_date``).
- **Absolute**: the session ends ``SESSION_ABSOLUTE_TIMEOUT_SECONDS`` after sign-in, however
  active.

Neither rule depends on where sessions are stored (Redis with ``REDIS_URL``, else the
database): the times live in the session itself.
"""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

SESSION_STARTED_AT_KEY = "ivig_authenticated_at"
SESSION_SEEN_AT_KEY = "ivig_seen_at"


def now() -> float:
    """The clock both timeouts read (tests move it)."""
    return time.time()


def start_session_clocks(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """On sign-in (``user_logged_in``): both clocks start now, in the session the sign-in saves
    anyway, so the first page after it has nothing to write."""
    if request is not None and hasattr(request, "session"):
        current = now()
        request.session[SESSION_STARTED_AT_KEY] = current
        request.session[SESSION_SEEN_AT_KEY] = current


class SessionTimeoutMiddleware:
    """Ends a session after ``SESSION_COOKIE_AGE`` without a request, or
    ``SESSION_ABSOLUTE_TIMEOUT_SECONDS`` after sign-in; renews the idle clock at most once per
    ``SESSION_IDLE_RENEWAL_SECONDS``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            session = request.session
            current = now()
            started_at = float(session.setdefault(SESSION_STARTED_AT_KEY, current))
            seen_at = float(session.get(SESSION_SEEN_AT_KEY, current))
            if (
                current - started_at > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS
                or current - seen_at > settings.SESSION_COOKIE_AGE
            ):
                return self._signed_out(request)
            if (
                SESSION_SEEN_AT_KEY not in session
                or current - seen_at >= settings.SESSION_IDLE_RENEWAL_SECONDS
            ):
                session[SESSION_SEEN_AT_KEY] = current  # saved by SessionMiddleware
        return self.get_response(request)

    @staticmethod
    def _signed_out(request: HttpRequest) -> HttpResponse:
        logout(request)
        if request.path.startswith("/api/"):
            return HttpResponse("Session expired; sign in again.", status=401)
        messages.info(request, "Your session has ended; please sign in again.")
        return redirect_to_login(request.get_full_path())


# The name ivig/settings.py's MIDDLEWARE list uses (it once enforced the absolute timeout only).
AbsoluteSessionTimeoutMiddleware = SessionTimeoutMiddleware
