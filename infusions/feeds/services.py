"""Calendar feed tokens (docs/clinical-rules.md 6): making a user's secret feed token, which
replaces the old one. One transaction, kept in the history with the acting user."""

import secrets

from django.db import transaction
from django.utils import timezone

from infusions.common import save_as
from infusions.feeds.models import CalendarFeedToken, token_digest
from ivig.accounts.models import User


@transaction.atomic
def calendar_token_rotate(user: User) -> str:
    """Give ``user`` a new calendar feed token (the old one stops working); returns the token,
    which is shown once: only its digest is kept."""
    token = secrets.token_urlsafe(32)
    feed, _ = CalendarFeedToken.objects.select_for_update().get_or_create(
        user=user, defaults={"token_sha256": token_digest(token)}
    )
    feed.token_sha256 = token_digest(token)
    feed.created_at = timezone.now()
    feed.last_used_at = None
    save_as(feed, user, "Calendar feed token made")
    return token
