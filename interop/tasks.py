"""Celery tasks of the interop app: take ids, call a service, nothing else (STYLE)."""

from celery import shared_task

from interop.outbound import push


@shared_task(name="interop.fhir_push")
def fhir_push(push_id: int) -> str:
    """Send one resource to the EHR (failures are recorded and retried by the beat task)."""
    return push.push_send(push_id)


@shared_task(name="interop.fhir_push_retry")
def fhir_push_retry() -> int:
    return push.push_retry_due()
