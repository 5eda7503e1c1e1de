"""``/healthz``: is the database reachable, is the broker, and how many tasks wait in the outbox.

- database down: 503 ``unhealthy`` (nothing can be saved);
- broker (Redis) down: 200 ``degraded``: every change still saves, its tasks wait in the outbox
  (``outbox_pending``) and are sent by ``outbox_flush`` once the broker is back
  (docs/architecture.md, Background work);
- otherwise 200 ``ok``.

``redis`` repeats the broker's state in the older words (``ok``, ``unavailable``,
``not configured``) for probes that read it.

Anyone may ask (load balancers and container probes are not signed in), but an anonymous caller
is told only ``{"status": "ok"}`` or ``{"status": "degraded"}`` (with the same HTTP status):
what runs behind the application and how much work waits is for staff (signed in with
``is_staff``).
"""

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse

from ivig.outbox.services import outbox_pending as pending


def database_is_healthy() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def redis_is_healthy() -> bool:
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
        )
        return bool(client.ping())
    except redis.RedisError:
        return False


def outbox_pending() -> int | None:
    try:
        return pending()
    except DatabaseError:
        return None


def _is_staff(request: HttpRequest) -> bool:
    """Whether a signed-in staff member asks (False when the database cannot tell)."""
    try:
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and user.is_staff)
    except DatabaseError:
        return False


def healthz(request: HttpRequest) -> JsonResponse:
    database_ok = database_is_healthy()
    checks: dict[str, object] = {"database": "ok" if database_ok else "unavailable"}
    if settings.CELERY_BROKER_URL.startswith("redis"):
        broker_ok = redis_is_healthy()
        checks["broker"] = "ok" if broker_ok else "down"
        checks["redis"] = "ok" if broker_ok else "unavailable"
    else:
        broker_ok = True
        checks["broker"] = checks["redis"] = "not configured"
    checks["outbox_pending"] = outbox_pending() if database_ok else None
    if not database_ok:
        state, status = "unhealthy", 503
    elif not broker_ok:
        state, status = "degraded", 200
    else:
        state, status = "ok", 200
    if not _is_staff(request):
        return JsonResponse({"status": "ok" if state == "ok" else "degraded"}, status=status)
    return JsonResponse({"status": state, **checks}, status=status)
