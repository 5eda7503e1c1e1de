"""What a request that only reads asks once (issue 21).

Within a request that only reads (GET, HEAD) nothing changes the facts a plan is made of (the
order, weights, labs, sessions, approvals, the policy, the formulary): a fact read again there
(the printed sheet and the booking page ask two plans of one order, the page's templates show
the policy beside the plan) is the one already read, kept on that request and gone with it. A
change (POST, a Celery task, a command) always reads afresh.
"""

from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

from formulary.models import DosingPolicy
from formulary.selectors import current_policy
from ivig.accounts.recheck import current_request

__all__ = ["READ_ONLY_METHODS", "keep_answers", "once_per_request", "policy_in_force"]

Answer = TypeVar("Answer")

# The safe methods: a request that only reads changes none of a plan's facts.
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


def _kept_answers() -> dict[Hashable, object] | None:
    """The answers already given to the request being served when it only reads, kept on that
    request; None elsewhere (a change, a Celery task, a command): read afresh."""
    request = current_request()
    if request is None or request.method not in READ_ONLY_METHODS:
        return None
    answers: dict[Hashable, object] | None = getattr(request, "_ivig_order_plans", None)
    if answers is None:
        answers = {}
        request._ivig_order_plans = answers  # type: ignore[attr-defined]
    return answers


def once_per_request(key: Hashable, make: Callable[[], Answer]) -> Answer:
    """``make()``, asked once per ``key`` within a request that only reads; each time
    elsewhere. ``key`` names every fact the answer depends on (an order version: its id, edit
    counter and status; a patient's id; a day)."""
    answers = _kept_answers()
    if answers is None:
        return make()
    if key not in answers:
        answers[key] = make()
    return answers[key]  # type: ignore[return-value]


def keep_answers(read: Callable[[], Mapping[Hashable, object]]) -> None:
    """Within a request that only reads, keep the answers ``read()`` gives (read in bulk for a
    page of rows, by the keys ``once_per_request`` is asked) for the questions not yet answered
    there (an answer already given stays); elsewhere do nothing, not even read: a change reads
    afresh."""
    answers = _kept_answers()
    if answers is None:
        return
    for key, answer in read().items():
        answers.setdefault(key, answer)


def policy_in_force() -> DosingPolicy:
    """The dosing policy in force (``formulary.selectors.current_policy``), read once per
    request that only reads: the plans, the order form, the booking checks and the page's words
    about the policy read one row."""
    return once_per_request(("dosing policy",), current_policy)
