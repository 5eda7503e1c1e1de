"""Every GET route against the sign-in page, on a running server (README, "Every route").

The routes come from the URL configuration (``tests/routes.py``, the same discovery as the CI
test ``tests/scale/test_every_route.py``): pages and API, HTML, JSON, CSV and calendars. Their
ids are filled from the database the server uses (``DATABASE_URL``): the busiest order (most
sessions), its patient, product, indication and authorization, today's first session, a chair,
a reaction… A calendar feed gets a token made for the nurse (``--calendar-token`` to give
one instead: making one replaces that user's token). Each route is then tried as each role in
turn (clinician, pharmacist, nurse, authorization admin) and measured as the first one it
answers 200; with ``bench/load.py``'s client, at each concurrency, side by side with the floor
(the sign-in page, anonymous), measured at the start and again at the end of the run.

Printed: p50 and p95 (ms) and each p50 as a multiple of the floor's p50; then, never silently
left out, the routes that could not be filled and those no role may read with a GET (forms that
only take a POST). Exit status 1 when a route's p50 is over ``--max-ratio`` times the floor's
(the API schema: twice that).

Run: ``python bench/routes.py --base-url http://127.0.0.1:8101 [--requests 9]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivig.settings")

import django

django.setup()

from load import (  # noqa: E402
    LOGIN_PATH,
    SCALE_PASSWORD,
    SCALE_USERS,
    Connection,
    Result,
    behind_tls_proxy,
    measure,
    sign_in,
)

from tests.routes import Route, all_routes, busiest_fixtures  # noqa: E402

ROLES = ("clinician", "pharmacist", "nurse", "authadmin")
SCHEMA_ROUTE = "schema"


@dataclass
class Row:
    route: Route
    path: str
    role: str
    results: dict[int, Result]


def _readable_as(
    base_url: str, path: str, cookies: dict[str, str]
) -> tuple[str | None, dict[str, int]]:
    """The first role that reads ``path`` with HTTP 200, and every role's status."""
    statuses = {}
    headers = {"Accept": "text/html,application/json"}
    for role in ROLES:
        conn = Connection(base_url)
        status, _, _ = conn.request("GET", path, {**headers, "Cookie": cookies[role]})
        conn.close()
        statuses[role] = status
        if status == 200:
            return role, statuses
    return None, statuses


def _calendar_token() -> str:
    from infusions.feeds.services import calendar_token_rotate
    from ivig.accounts.models import User

    return calendar_token_rotate(User.objects.get(username=SCALE_USERS["nurse"]))


def _floor(floors: list[dict[int, Result]], level: int) -> float:
    return statistics.mean(floor[level].p50_ms for floor in floors)


def table(rows: list[Row], floors: list[dict[int, Result]], levels: Sequence[int]) -> str:
    head = f"| {'route':<42} | role | {'bytes':>9} |"
    rule = "|---|---|---:|"
    for level in levels:
        head += f" c={level} p50 | c={level} p95 | c={level} x floor |"
        rule += "---:|---:|---:|"
    lines = [head, rule]
    floor_line = f"| {'floor: sign-in page ' + LOGIN_PATH:<42} | - | {'':>9} |"
    for level in levels:
        floor_line += f" {_floor(floors, level):.1f} | | 1.0 |"
    lines.append(floor_line)
    for row in rows:
        line = f"| {row.route.name + ' ' + row.path:<42} | {row.role} |"
        line += f" {row.results[levels[0]].response_bytes:>9,} |"
        for level in levels:
            result = row.results[level]
            ratio = result.p50_ms / _floor(floors, level)
            line += f" {result.p50_ms:.1f} | {result.p95_ms:.1f} | {ratio:.1f} |"
        lines.append(line)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8101")
    parser.add_argument("--password", default=SCALE_PASSWORD)
    parser.add_argument("--requests", type=int, default=9, help="per route and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--only", nargs="*", help="routes whose name or path has one of these")
    parser.add_argument("--calendar-token", help="a calendar feed token (default: make one)")
    parser.add_argument("--max-ratio", type=float, default=10.0)
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")
    levels = args.concurrency

    proxied = behind_tls_proxy(base_url)
    cookies = {role: sign_in(base_url, SCALE_USERS[role], args.password) for role in ROLES}
    fixtures = busiest_fixtures(calendar_token=args.calendar_token or _calendar_token())
    unfilled: list[Route] = []
    unreadable: list[tuple[Route, str, dict[str, int]]] = []
    chosen: list[tuple[Route, str, str]] = []
    for route in all_routes():
        path = route.fill(fixtures)
        if path is None:
            unfilled.append(route)
            continue
        if args.only and not any(word in route.name + path for word in args.only):
            continue
        role, statuses = _readable_as(base_url, path, cookies)
        if role is None:
            unreadable.append((route, path, statuses))
        else:
            chosen.append((route, path, role))

    def floor() -> dict[int, Result]:
        return {
            level: measure(base_url, LOGIN_PATH, None, args.requests, level) for level in levels
        }

    floors = [floor()]
    rows = []
    failed: list[tuple[Route, str, str]] = []
    for route, path, role in chosen:
        try:
            results = {
                level: measure(base_url, path, cookies[role], args.requests, level)
                for level in levels
            }
        except SystemExit as error:  # an error or a timeout: listed, the run goes on
            failed.append((route, path, str(error)))
            print(f"  failed {route.name} {path}: {error}", file=sys.stderr)
            continue
        rows.append(Row(route, path, role, results))
        first = results[levels[0]]
        print(
            f"  measured {route.name} {path}: p50 {first.p50_ms:.1f} ms,"
            f" {first.p50_ms / _floor(floors, levels[0]):.1f}x",
            file=sys.stderr,
        )
    floors.append(floor())

    print(
        f"{base_url}{' (as behind a TLS proxy)' if proxied else ''}: {len(rows)} routes,"
        f" {args.requests} requests per route and concurrency; latency in ms;"
        " x floor = p50 / the sign-in page's p50 (mean of the run's first and last measurement)"
    )
    print(table(rows, floors, levels))
    if failed:
        print("\nFailed (an error or a timeout):")
        for route, path, why in failed:
            print(f"- {route.name} {path}: {why}")
    if unfilled:
        print("\nNot measured, no id to fill them with:")
        for route in unfilled:
            print(f"- {route.name}: {route.route}")
    if unreadable:
        print("\nNot measured, no role reads them with a GET (HTTP status by role):")
        for route, path, statuses in unreadable:
            print(f"- {route.name} {path}: {statuses}")
    over = [
        row
        for row in rows
        if row.results[levels[0]].p50_ms / _floor(floors, levels[0])
        > args.max_ratio * (2 if row.route.name == SCHEMA_ROUTE else 1)
    ]
    if over:
        print(f"\nOver {args.max_ratio:g}x the floor at c={levels[0]}:")
        for row in over:
            print(f"- {row.route.name} {row.path}")
    return 1 if over or failed else 0


if __name__ == "__main__":
    sys.exit(main())
