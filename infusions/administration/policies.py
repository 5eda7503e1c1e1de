"""Who may give a reason on one session (docs/clinical-rules.md 1, 3.8.2, 3.9): the role and the
session's state, asked by the session page, the API and templates alike. The app-wide role
checks are in ``infusions.policies``."""

from typing import Any

from infusions.booking.models import NOT_STARTED_STATUSES, InfusionSession
from ivig.accounts.permissions import holds


def can_give_session_reason(user: Any, session: InfusionSession | None = None) -> bool:
    """Give the reason to go ahead with a session-only finding (CREATININE_DUE) on one session
    before its start (clinicians, docs/clinical-rules.md 3.8.2, 3.9). Without a session, the
    role part only: a session that has started is then the service's refusal."""
    return holds(user, "infusions.add_sessionoverride") and (
        session is None or session.status in NOT_STARTED_STATUSES
    )
