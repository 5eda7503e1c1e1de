"""The infusions app's one domain error (STYLE: views turn it into a form error, the API into
400/409)."""


class InfusionError(Exception):
    """A rule of the schedule or the administration record refused the change.

    ``code`` is stable for programs, ``message`` is for people, ``field`` names the input the
    refusal is about when there is one.
    """

    INVALID = "invalid"
    ORDER_NOT_BOOKABLE = "order_not_bookable"
    NO_PLAN = "no_plan"
    NO_SLOT = "no_slot"
    OUTSIDE_OPENING_HOURS = "outside_opening_hours"
    SLOT_TAKEN = "slot_taken"
    CYCLE_BOOKED = "cycle_booked"
    STALE_VERSION = "stale_version"
    NOT_CHANGEABLE = "not_changeable"
    CANNOT_START = "cannot_start"
    RECORDING_CLOSED = "recording_closed"
    IN_FUTURE = "in_future"
    OUT_OF_SEQUENCE = "out_of_sequence"
    RATE_ABOVE_PLAN = "rate_above_plan"
    INFUSION_STOPPED = "infusion_stopped"
    NOT_STARTED = "not_started"

    # Someone else got there first: HTTP 409, not 400.
    CONFLICTS = frozenset({SLOT_TAKEN, STALE_VERSION, CYCLE_BOOKED})

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def is_conflict(self) -> bool:
        return self.code in self.CONFLICTS

    def __repr__(self) -> str:
        return f"InfusionError({self.code!r}, {self.message!r})"
