"""``/healthz``: is the database reachable, and Redis when it is configured."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse


def database_is_healthy() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def redis_is_healthy() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
        return bool(client.ping())
    except redis.RedisError:
        return False


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": "ok" if database_is_healthy() else "unavailable"}
    if settings.CELERY_BROKER_URL.startswith("redis"):
        checks["redis"] = "ok" if redis_is_healthy() else "unavailable"
    else:
        checks["redis"] = "not configured"
    healthy = all(state != "unavailable" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", **checks}, status=200 if healthy else 503
    )
