"""The orders app's refusals: ``DomainError`` with the orders' codes (docs/api.md, Errors)."""

from typing import ClassVar

from ivig.errors import DomainError


class OrderError(DomainError):
    """A rule of the orders app refused the change."""

    DUPLICATE_MRN: ClassVar[str] = "duplicate_mrn"
    # Order lifecycle (docs/clinical-rules.md 4).
    WRONG_STATE: ClassVar[str] = "wrong_state"
    WRONG_PASSWORD: ClassVar[str] = "wrong_password"
    STOP_FINDINGS: ClassVar[str] = "stop_findings"
    OVERRIDE_REASON_MISSING: ClassVar[str] = "override_reason_missing"
    SIGNER_CANNOT_VERIFY: ClassVar[str] = "signer_cannot_verify"
    OVERRIDE_NOT_ACKNOWLEDGED: ClassVar[str] = "override_not_acknowledged"
    REASON_REQUIRED: ClassVar[str] = "reason_required"
    PRODUCT_INACTIVE: ClassVar[str] = "product_inactive"
    NO_CURRENT_PRICE: ClassVar[str] = "no_current_price"
    # docs/clinical-rules.md 3.1.1: an unusual weight is saved only when confirmed.
    UNUSUAL_WEIGHT: ClassVar[str] = "unusual_weight"
    # docs/clinical-rules.md 3.9: an override new since signing; a clinician must revise.
    PLAN_CHANGED: ClassVar[str] = "plan_changed"
    # docs/clinical-rules.md 3.10: urgent only for an emergency indication, with a reason.
    URGENT_NOT_ALLOWED: ClassVar[str] = "urgent_not_allowed"
    URGENT_REASON_MISSING: ClassVar[str] = "urgent_reason_missing"

    # Someone else acted first, or the order has moved on: HTTP 409, not 400.
    CONFLICTS: ClassVar[frozenset[str]] = frozenset({DomainError.STALE_VERSION, WRONG_STATE})
