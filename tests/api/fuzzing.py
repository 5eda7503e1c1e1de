"""Schemathesis over the whole API, as every role (docs/api.md, Errors): the one driver shared by
the CI test (``tests/api/test_schemathesis.py``) and the long run (``bench/fuzz_api.py``).

The schema is the one the project serves (``/api/schema/``), loaded through the WSGI app; each
case goes to the app in-process with the role's API token. Hypothesis is derandomized (the
same cases on every run) and never shrinks, so a run reports every distinct fault it meets
instead of stopping at the first. Each case runs inside a savepoint that is rolled back, so every
case sees the same seeded data and a run is repeatable.

A finding is any of:
- a 5xx (``not_a_server_error``), with the server's traceback;
- a status the operation does not document (``status_code_conformance``);
- a body that does not match the documented schema (``response_schema_conformance``);
- a content type the operation does not document (``content_type_conformance``).

Besides schemathesis' positive and negative modes, an ``extremes`` mode (``EXTREMES``) draws a
positive case and replaces its dates, date-times and numbers (body, query and path) with the
values that used to answer 500 (issue 22): 0001-01-01, 9999-12-31, 2147483648, 2**63, 1e400
... Each must be a documented 4xx (or a success), never a 5xx.

``negative_data_rejection`` and ``positive_data_acceptance`` are not used: the schema cannot
say everything the API refuses (a day too far ahead, a dose above an indication's maximum, a
state that has moved on), so a 4xx for schema-valid data is no fault, and the negative
mode's "invalid" data is often valid for a lenient parser (a query string is text).
"""

from __future__ import annotations

import re
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

SCHEMA_PATH = "/api/schema/?format=json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
EXTREMES = "extremes"

# The values of the extremes mode (issue 22).
EXTREME_DATES = ("0001-01-01", "9999-12-31", "3000-01-01", "1899-12-31", "1969-12-31")
EXTREME_MOMENTS = (
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-12:00",
)
EXTREME_INTEGERS = (2**31, 2**31 - 1, -(2**31) - 1, 32_768, 2**53, 2**63, 10**30, -1, 0)
EXTREME_FLOATS = (1e308, -1e308, 1e-308, 2.0**53 + 1)
EXTREME_NUMBER_TEXTS = (
    "1e999999999",
    "1e-999999999",
    "1e999999",
    "NaN",
    "Infinity",
    "-0",
    "99999999999999999999999999999.99",
    "0.0000000000000000000000001",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T")
_NUMBER_TEXT = re.compile(r"^-?\d+(\.\d+)?$")


def extreme_strategy(value: Any) -> st.SearchStrategy[Any] | None:
    """Extreme values for a drawn ``value`` of its kind (None: leave it)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return st.sampled_from(EXTREME_INTEGERS)
    if isinstance(value, float):
        return st.sampled_from(EXTREME_FLOATS + tuple(float(n) for n in EXTREME_INTEGERS))
    if isinstance(value, str):
        if _DATE.match(value):
            return st.sampled_from(EXTREME_DATES)
        if _MOMENT.match(value):
            return st.sampled_from(EXTREME_MOMENTS)
        if _NUMBER_TEXT.match(value):
            return st.sampled_from(EXTREME_NUMBER_TEXTS + tuple(str(n) for n in EXTREME_INTEGERS))
    return None


def make_extreme(data: st.DataObject, value: Any) -> Any:
    """``value`` with (about half of) its dates and numbers, at any depth, made extreme."""
    if isinstance(value, dict):
        return {key: make_extreme(data, item) for key, item in value.items()}
    if isinstance(value, list):
        return [make_extreme(data, item) for item in value]
    strategy = extreme_strategy(value)
    if strategy is None or not data.draw(st.booleans(), label="extreme"):
        return value
    return data.draw(strategy, label="extreme value")


@dataclass(frozen=True)
class Finding:
    role: str
    operation: str
    mode: str
    status: int
    titles: tuple[str, ...]
    message: str
    server_traceback: str = ""

    @property
    def key(self) -> tuple[str, int, tuple[str, ...]]:
        """Distinct faults: one per operation, status and failed checks (not per role)."""
        return (self.operation, self.status, self.titles)

    def __str__(self) -> str:
        text = f"[{self.role} {self.mode}] {self.operation} -> {self.status}: {self.message}"
        if self.server_traceback:
            text += "\n" + self.server_traceback
        return text


@dataclass
class FuzzRun:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    operations: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    no_cases: list[str] = field(default_factory=list)

    @property
    def distinct(self) -> list[Finding]:
        seen: dict[tuple[str, int, tuple[str, ...]], Finding] = {}
        for finding in self.findings:
            seen.setdefault(finding.key, finding)
        return list(seen.values())

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        return (
            f"{self.requests} requests over {len(self.operations)} operations as "
            f"{len(self.roles)} roles ({statuses}); {self.server_errors} server errors, "
            f"{len(self.findings)} failed cases, {len(self.distinct)} distinct faults"
        )


@contextmanager
def in_process() -> Iterator[None]:
    """Requests through the WSGI app keep the caller's database connection and transaction, as
    Django's test client does (a finished request would otherwise close the connection)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@contextmanager
def server_exceptions() -> Iterator[list[str]]:
    """The tracebacks of the exceptions the app turned into a 500, as they happen."""
    caught: list[str] = []

    def keep(sender: Any, request: Any = None, **kwargs: Any) -> None:
        caught.append(traceback.format_exc())

    got_request_exception.connect(keep, weak=False)
    try:
        yield caught
    finally:
        got_request_exception.disconnect(keep)


class _Rollback(Exception):
    pass


def load_schema(app: WSGIHandler, token: str) -> Any:
    return schemathesis.openapi.from_wsgi(
        SCHEMA_PATH, app, headers={"Authorization": f"Token {token}"}
    )


def operations(schema: Any) -> list[Any]:
    found = []
    for result in schema.get_all_operations():
        found.append(result.ok())  # an operation the loader cannot read is a fault: raises
    return sorted(found, key=lambda operation: operation.label)


def fuzz(
    *,
    tokens: Mapping[str, str],
    path_values: Callable[[str, str, str], Sequence[str]],
    max_examples: int,
    modes: Sequence[GenerationMode | str] = (*MODES, EXTREMES),
    only: Callable[[str], bool] = lambda label: True,
    progress: Callable[[str], None] | None = None,
    seed: int | None = None,
) -> FuzzRun:
    """Every operation, as every role in ``tokens`` (name -> API token), ``max_examples``
    cases per operation, role and mode. ``path_values(role, path, name)`` gives real values
    for a path parameter (the seeded rows), used for about half the cases so detail routes answer
    200s too, not only 404s. Derandomized (the same cases every run) unless a ``seed`` asks
    for other ones."""
    app = WSGIHandler()
    run = FuzzRun()
    reported = 0
    with in_process(), server_exceptions() as caught:
        schema = load_schema(app, next(iter(tokens.values())))
        for operation in operations(schema):
            if not only(operation.label):
                continue
            run.operations.add(operation.label)
            for role, token in tokens.items():
                run.roles.add(role)
                for mode in modes:
                    _fuzz_operation(
                        run,
                        caught,
                        app,
                        operation,
                        role,
                        token,
                        mode,
                        path_values,
                        max_examples,
                        seed,
                    )
                if progress:
                    progress(f"{operation.label} as {role}: {run.summary()}")
                    for finding in run.distinct[reported:]:
                        progress(f"NEW FAULT {finding}")
                    reported = len(run.distinct)
    return run


def _fuzz_operation(
    run: FuzzRun,
    caught: list[str],
    app: WSGIHandler,
    operation: Any,
    role: str,
    token: str,
    mode: GenerationMode | str,
    path_values: Callable[[str, str, str], Sequence[str]],
    max_examples: int,
    seed: int | None,
) -> None:
    extremes = mode == EXTREMES
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE if extremes else mode)
    mode_name = mode if isinstance(mode, str) else mode.value
    # The app gzips some answers for clients that accept it; the in-process transport does not
    # decode, so ask for the body as it is.
    headers = {"Authorization": f"Token {token}", "Accept-Encoding": "identity"}

    @settings(
        max_examples=max_examples,
        derandomize=seed is None,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: report every fault, not the first one smaller
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(data=st.data())
    def one_case(data: st.DataObject) -> None:
        case = data.draw(strategy)
        if case.path_parameters and data.draw(st.booleans(), label="real path values"):
            for name in list(case.path_parameters):
                values = path_values(role, operation.path, name)
                if values:
                    case.path_parameters[name] = data.draw(st.sampled_from(values))
        if extremes:
            if isinstance(case.body, dict | list):
                case.body = make_extreme(data, case.body)
            if case.query:
                case.query = {
                    key: (value if isinstance(value, list) else make_extreme(data, value))
                    for key, value in case.query.items()
                }
            if case.path_parameters:
                case.path_parameters = make_extreme(data, case.path_parameters)
        caught.clear()
        try:
            with transaction.atomic():
                response = case.call(app=app, headers=headers)
                run.requests += 1
                run.statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as group:
                    run.findings.append(
                        Finding(
                            role=role,
                            operation=operation.label,
                            mode=mode_name,
                            status=response.status_code,
                            titles=tuple(sorted({failure.title for failure in group.exceptions})),
                            message=str(group).strip().splitlines()[0][:2000]
                            + "\n"
                            + "\n".join(str(failure)[:1500] for failure in group.exceptions)
                            + "\n"
                            + case.as_curl_command(headers=headers)[:1500],
                            server_traceback=caught[-1] if caught else "",
                        )
                    )
                raise _Rollback
        except _Rollback:
            pass

    if seed is not None:
        one_case = hypothesis.seed(seed)(one_case)
    try:
        one_case()
    except Unsatisfiable:
        # Nothing to break (no input the schema constrains, as GET /api/v1/me/): no negative
        # cases. Positive cases can always be made: their absence is a fault of the schema.
        if mode is not GenerationMode.NEGATIVE:
            raise
        label = f"{operation.label} ({mode_name})"
        if label not in run.no_cases:
            run.no_cases.append(label)


# The seeded rows a path parameter may name, by the path's first segment under /api/v1/.
def seeded_path_values() -> Callable[[str, str, str], Sequence[str]]:
    """``path_values`` over the demo data (``manage.py seed_demo``): ids of its patients,
    orders, sessions, chairs, authorizations and vial sizes, the role's own notifications,
    product and indication slugs."""
    from authorizations.models import Authorization
    from formulary.models import Product, VialSize
    from infusions.models import Chair, InfusionSession
    from ivig.notifications.models import Notification
    from orders.models import Indication, Order, Patient

    def ids(model: Any) -> list[str]:
        return [str(pk) for pk in model.objects.order_by("pk").values_list("pk", flat=True)[:20]]

    by_segment: dict[str, list[str]] = {
        "patients": ids(Patient),
        "orders": ids(Order),
        "infusion-sessions": ids(InfusionSession),
        "chairs": ids(Chair),
        "authorizations": ids(Authorization),
        "vial-sizes": ids(VialSize),
        "products": list(Product.objects.order_by("slug").values_list("slug", flat=True)),
        "indications": list(Indication.objects.order_by("slug").values_list("slug", flat=True)),
    }
    notifications: dict[str, list[str]] = {}

    def values(role: str, path: str, name: str) -> Sequence[str]:
        segment = path.removeprefix("/api/v1/").split("/", 1)[0]
        if segment == "notifications":
            if role not in notifications:
                mine = Notification.objects.filter(recipient__username=role).order_by("pk")
                notifications[role] = [str(pk) for pk in mine.values_list("pk", flat=True)[:20]]
            return notifications[role]
        return by_segment.get(segment, [])

    return values


def demo_tokens() -> dict[str, str]:
    """An API token for each demo user (one per role), created if missing."""
    from rest_framework.authtoken.models import Token

    from demo.seeding.users import DEMO_USERS
    from ivig.accounts.models import User

    tokens = {}
    for username in DEMO_USERS:
        token, _ = Token.objects.get_or_create(user=User.objects.get(username=username))
        tokens[username] = token.key
    return tokens
