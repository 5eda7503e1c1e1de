"""Celery tasks of the orders app: take ids, call a service, nothing else (STYLE)."""

from typing import Any

from celery import shared_task

from ivig.notifications.tasks import RETRY


@shared_task(name="orders.authorization_status_notify", **RETRY)
def authorization_status_notify(self: Any, authorization_id: int) -> int:
    from .authorizations import authorization_status_notify as notify

    return notify(authorization_id)


@shared_task(name="orders.authorization_status_notify_many", **RETRY)
def authorization_status_notify_many(self: Any, authorization_ids: list[int]) -> int:
    from .authorizations import authorization_status_notify_many as notify

    return notify(authorization_ids)
