"""API tokens that expire like sessions (README, "Configuration"; issue 22).

A token (``Authorization: Token …``) is refused, and deleted, once
``SESSION_ABSOLUTE_TIMEOUT_SECONDS`` have passed since it was made, or ``SESSION_COOKIE_AGE``
seconds (the idle timeout) since it was last used: the same two clocks as a signed-in
session. Its last use is kept in the cache (Redis in production, shared by every process),
renewed at most once per ``SESSION_IDLE_RENEWAL_SECONDS``; a token the cache has forgotten counts
from when it was made. Deactivating a user or changing their password deletes their tokens
(``revoke_tokens_on_change``).
"""

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from . import middleware

CACHE_PREFIX = "ivig:token-seen"
EXPIRED = "The API token has expired: make a new one."


def _seen_key(token: Token) -> str:
    return f"{CACHE_PREFIX}:{hashlib.sha256(token.key.encode()).hexdigest()[:32]}"


class ExpiringTokenAuthentication(TokenAuthentication):
    """``TokenAuthentication`` with the sessions' idle and absolute timeouts."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        current = middleware.now()
        made = token.created.timestamp()
        seen = cache.get(_seen_key(token))
        last = max(made, float(seen)) if seen is not None else made
        if (
            current - made > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS
            or current - last > settings.SESSION_COOKIE_AGE
        ):
            cache.delete(_seen_key(token))
            token.delete()
            raise AuthenticationFailed(EXPIRED)
        if seen is None or current - last > settings.SESSION_IDLE_RENEWAL_SECONDS:
            cache.set(_seen_key(token), current, timeout=settings.SESSION_COOKIE_AGE + 60)
        return user, token


def revoke_tokens_on_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_save`` of a user: a deactivation or a new password deletes the user's API tokens
    (a user locked out of signing in keeps no API access)."""
    if instance.pk is None or kwargs.get("raw"):
        return
    fields = kwargs.get("update_fields")
    if fields is not None and not {"password", "is_active"} & set(fields):
        return
    before = type(instance).objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password or (before["is_active"] and not instance.is_active):
        Token.objects.filter(user_id=instance.pk).delete()
