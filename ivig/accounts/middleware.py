"""Absolute session timeout (the idle one is ``SESSION_COOKIE_AGE``, renewed per request)."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

SESSION_STARTED_AT_KEY = "ivig_authenticated_at"


class AbsoluteSessionTimeoutMiddleware:
    """Ends a session ``SESSION_ABSOLUTE_TIMEOUT_SECONDS`` after login, however active."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started_at = request.session.setdefault(SESSION_STARTED_AT_KEY, time.time())
            if time.time() - float(started_at) > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
                logout(request)
                if request.path.startswith("/api/"):
                    return HttpResponse("Session expired; sign in again.", status=401)
                messages.info(request, "Your session has ended; please sign in again.")
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
