"""Celery tasks of the authorizations app: take ids, call a service, nothing else (STYLE)."""

from typing import Any

from celery import shared_task

from ivig.tasks import RETRY

from . import notify


@shared_task(name="orders.authorization_status_notify", **RETRY)
def authorization_status_notify(self: Any, authorization_id: int) -> int:
    return notify.authorization_status_notify(authorization_id)


@shared_task(name="orders.authorization_status_notify_many", **RETRY)
def authorization_status_notify_many(self: Any, authorization_ids: list[int]) -> int:
    return notify.authorization_status_notify_many(authorization_ids)
