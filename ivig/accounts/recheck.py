"""Password re-entry for signing (docs/clinical-rules.md 4), throttled like sign-in.

Signing asks for the user's password again; without a limit that field would be a way to guess
a password with a stolen session. Failures are counted per user *and* client address (the
address as django-axes sees it, ``TRUSTED_PROXY_COUNT`` included): after
``LOGIN_FAILURE_LIMIT`` failures the pair cools off for ``LOGIN_COOLOFF_MINUTES`` after the last
one, and even the right password is refused meanwhile. Nobody is locked out for good, and a
proxy as a whole is never locked: only that user from that address. A right password resets
the count. The counter lives in the cache (Redis in production, shared by every web process).
"""

from contextvars import ContextVar
from datetime import timedelta

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from .models import User

# The code a refusal during the cool-off carries (docs/api.md, Errors).
PASSWORD_COOLING_OFF = "password_cooling_off"
CACHE_PREFIX = "ivig:password-recheck"

_current_request: ContextVar[HttpRequest | None] = ContextVar("ivig_request", default=None)


class PasswordRecheckCoolingOff(Exception):
    """Too many wrong passwords from this user and address: wait for the cool-off."""

    def __init__(self, cooloff: timedelta) -> None:
        minutes = max(1, int(cooloff.total_seconds() // 60))
        self.retry_after_seconds = int(cooloff.total_seconds())
        self.message = (
            "Too many wrong passwords: signing is paused for this account from this computer "
            f"for {minutes} minutes after the last attempt."
        )
        super().__init__(self.message)


def current_request() -> HttpRequest | None:
    """The request being served in this thread or task (set by ``CurrentRequestMiddleware``);
    None outside a request (a Celery task, a management command)."""
    return _current_request.get()


class CurrentRequestMiddleware:
    """Makes the request known to ``current_request()`` for services that need its client
    address (the password re-entry) without the views passing it down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def _client_address(request: HttpRequest | None) -> str:
    if request is None:
        return "no-request"
    return get_client_ip_address(request) or "unknown"


def _key(user: User, request: HttpRequest | None) -> str:
    return f"{CACHE_PREFIX}:{user.pk}:{_client_address(request)}"


def _cooloff() -> timedelta:
    value = settings.AXES_COOLOFF_TIME
    return value if isinstance(value, timedelta) else timedelta(hours=float(value))


def password_recheck(user: User, password: str, request: HttpRequest | None) -> bool:
    """True when ``password`` is ``user``'s; False when wrong (counted). Raises
    ``PasswordRecheckCoolingOff`` while the user and address cool off, whatever the password."""
    key = _key(user, request)
    cooloff = _cooloff()
    timeout = int(cooloff.total_seconds())
    if (cache.get(key) or 0) >= settings.AXES_FAILURE_LIMIT:
        raise PasswordRecheckCoolingOff(cooloff)
    if user.check_password(password):
        cache.delete(key)
        return True
    cache.add(key, 0, timeout)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
    cache.touch(key, timeout)  # the cool-off runs from the last failure
    return False
