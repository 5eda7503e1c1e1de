"""The infusions app's models, gathered so that Django registers them with the app: each lives
in its feature package (docs/architecture.md, Inside infusions), data and constraints only.

Changes go through each package's services; every row change is kept by django-simple-history
with the acting user the service passes.
"""

from infusions.administration.models import (
    MAX_RATE_ML_PER_H,
    SESSION_REASON_MAX_CHARS,
    AdministrationEntry,
    AppendOnlyError,
    EntryKind,
    PremedicationGiven,
    SessionOverride,
    Severity,
    Symptom,
)
from infusions.booking.models import (
    ACTIVE_STATUSES,
    LIVE_STATUSES,
    NO_OVERLAP_CONSTRAINT_NAME,
    NOT_COUNTED_FOR_DAY,
    NOT_STARTED_STATUSES,
    ONE_PER_PATIENT_DAY_CONSTRAINT_NAME,
    PARTIAL_DOSE_LABEL,
    STARTED_STATUSES,
    InfusionSession,
    PostgresOnlyExclusionConstraint,
    SessionStatus,
    TsTzRange,
    status_label,
)
from infusions.chairs.models import Chair, ChairOpeningHours, Weekday
from infusions.feeds.models import CalendarFeedToken, FeedSnapshot, ScheduleChange
from infusions.planning.models import NurseShift, PatientPreference, ShiftBreak, StaffingPolicy
from infusions.reactions.models import (
    REACTION_PLAN_MAX_RATE_ML_PER_H,
    ReactionPlan,
    ReactionPlanLine,
)
from infusions.schedule.models import CoverageGapsBuilt, SessionCoverageGap

__all__ = [
    "ACTIVE_STATUSES",
    "LIVE_STATUSES",
    "MAX_RATE_ML_PER_H",
    "NOT_COUNTED_FOR_DAY",
    "NOT_STARTED_STATUSES",
    "NO_OVERLAP_CONSTRAINT_NAME",
    "ONE_PER_PATIENT_DAY_CONSTRAINT_NAME",
    "PARTIAL_DOSE_LABEL",
    "REACTION_PLAN_MAX_RATE_ML_PER_H",
    "SESSION_REASON_MAX_CHARS",
    "STARTED_STATUSES",
    "AdministrationEntry",
    "AppendOnlyError",
    "CalendarFeedToken",
    "Chair",
    "ChairOpeningHours",
    "CoverageGapsBuilt",
    "EntryKind",
    "FeedSnapshot",
    "InfusionSession",
    "NurseShift",
    "PatientPreference",
    "PostgresOnlyExclusionConstraint",
    "PremedicationGiven",
    "ReactionPlan",
    "ReactionPlanLine",
    "ScheduleChange",
    "SessionCoverageGap",
    "SessionOverride",
    "SessionStatus",
    "Severity",
    "ShiftBreak",
    "StaffingPolicy",
    "Symptom",
    "TsTzRange",
    "Weekday",
    "status_label",
]
