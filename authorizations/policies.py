"""Who may read and change insurance authorizations (docs/clinical-rules.md 1 and 7): one
function per permission on the role table, asked by pages, the API and templates alike."""

from typing import Any

from ivig.accounts.permissions import holds


def can_read_authorizations(user: Any) -> bool:
    """Authorizations and what they cover: every role reads them."""
    return holds(user, "authorizations.view_authorization")


def can_change_authorizations(user: Any) -> bool:
    """Create, edit, submit, record decisions, appeal, expire, renew, add documents
    (authorization admins)."""
    return holds(user, "authorizations.change_authorization")
