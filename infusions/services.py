"""The infusions services other apps call, kept importable here while they move to the modules
that own them: ``infusions.booking`` (``cancel_future_sessions``, ``sessions_mark_missed``).

Within infusions, import from ``chairs``, ``booking``, ``administration`` and ``calendar``.
"""

from .booking import cancel_future_sessions, sessions_mark_missed

__all__ = ["cancel_future_sessions", "sessions_mark_missed"]
