"""Notifications about an authorization's decision (docs/clinical-rules.md 8), made by the
Celery tasks in ``tasks.py`` after the change that decided it has committed."""

from django.urls import reverse

from ivig.notifications.models import SUBJECT_AUTHORIZATION, Kind
from ivig.notifications.services import NotificationDraft, notify_many

from .models import Authorization, AuthorizationStatus

S = AuthorizationStatus


def authorization_status_notify(authorization_id: int) -> int:
    """Notify the ordering clinician that an authorization was decided or expired
    (docs/clinical-rules.md 8), once per authorization, status and decision date."""
    return authorization_status_notify_many([authorization_id])


def authorization_status_notify_many(authorization_ids: list[int]) -> int:
    """As ``authorization_status_notify`` for many: a fixed number of queries."""
    drafts = []
    authorizations = Authorization.objects.filter(pk__in=authorization_ids).select_related(
        "order", "patient"
    )
    for authorization in authorizations:
        order = authorization.order
        recipient_id = order.signed_by_id or order.created_by_id
        status = authorization.get_status_display().lower()
        if authorization.status == S.EXPIRED:
            kind, due = Kind.AUTHORIZATION_EXPIRED, authorization.valid_to
        elif authorization.status == S.APPROVED:
            kind, due = Kind.AUTHORIZATION_APPROVED, authorization.decision_date
        elif authorization.status == S.DENIED:
            kind, due = Kind.AUTHORIZATION_DENIED, authorization.decision_date
        else:  # appealed or renewed since: nothing to tell
            continue
        assert due is not None
        drafts.append(
            NotificationDraft(
                recipient_id=recipient_id,
                subject_type=SUBJECT_AUTHORIZATION,
                subject_id=authorization.pk,
                kind=kind,
                due_date=due,
                title=f"Authorization {status} for order {order.number}",
                body=(
                    f"{authorization.patient.full_name}: {authorization} for order {order.number}."
                ),
                url=authorization_url(authorization.pk),
            )
        )
    return notify_many(drafts)


def authorization_url(authorization_id: int) -> str:
    return reverse("authorizations:authorization-detail", args=[authorization_id])
