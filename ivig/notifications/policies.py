"""Who may use the inbox (docs/clinical-rules.md 8): every role reads and marks its own
notifications; the views and the API then only ever show the reader's own."""

from typing import Any

from ivig.accounts.permissions import holds


def can_read_own_notifications(user: Any) -> bool:
    return holds(user, "notifications.view_notification")
