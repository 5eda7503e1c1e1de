"""Load harness: the pages and API lists a centre uses most, against a running server (README,
"Load test").

Starts nothing: give it ``--base-url`` of a server you started (gunicorn on PostgreSQL) and the
users' credentials (``seed_scale``'s by default, ``--demo`` for ``seed_demo``'s). It signs in as
each role it needs through the sign-in form, then measures, side by side, the *floor* (the
sign-in page, anonymous: the cost of any request through the stack) and each page at each
concurrency (``--concurrency 1 4``: threads, one ``http.client`` connection each), and prints
p50 and p95 latency (ms), requests/s and each median as a multiple of the floor's median.

Run: ``python bench/load.py --base-url http://127.0.0.1:8101 [--requests 40]``. Only the
standard library; no Django import (it measures the server, not this process).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import re
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

SCALE_USERS = {
    "clinician": "scale-clinician",
    "pharmacist": "scale-pharmacist",
    "nurse": "scale-nurse",
    "authadmin": "scale-authadmin",
}
DEMO_USERS = {role: role for role in SCALE_USERS}
SCALE_PASSWORD = "ivig-scale-2026"
DEMO_PASSWORD = "ivig-demo-2026"
LOGIN_PATH = "/accounts/login/"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Target:
    name: str
    role: str | None  # None: anonymous
    path: str


def targets(day: date) -> list[Target]:
    return [
        Target("floor: sign-in page", None, LOGIN_PATH),
        Target("schedule, day", "nurse", f"/infusions/?date={day}"),
        Target("schedule, week", "nurse", f"/infusions/?date={day}&view=week"),
        Target("new order page", "clinician", "/orders/new/"),
        Target("verification queue", "pharmacist", "/orders/verification/"),
        Target("orders list", "clinician", "/orders/"),
        Target("orders API list", "clinician", "/api/v1/orders/"),
        Target("sessions API list", "nurse", "/api/v1/infusion-sessions/"),
        Target("patients list", "clinician", "/orders/patients/"),
    ]


class Connection:
    """One keep-alive HTTP connection (reopened when the server closes it, as gunicorn's sync
    workers do after each response)."""

    #: Sent with every request when the server (``DJANGO_ENV=production``) redirects plain HTTP
    #: to HTTPS: the harness then speaks as the TLS proxy in front of it would.
    extra_headers: dict[str, str] = {}

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port
        self.https = parts.scheme == "https"
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, headers: dict[str, str], body: str | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                factory = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
                self.conn = factory(self.host, self.port, timeout=60)
            try:
                self.conn.request(
                    method, path, body=body, headers={**self.extra_headers, **headers}
                )
                response = self.conn.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status, response.headers, content
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _cookies(headers: http.client.HTTPMessage, jar: dict[str, str]) -> None:
    for header in headers.get_all("Set-Cookie") or []:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        jar.update({name: morsel.value for name, morsel in cookie.items()})


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def behind_tls_proxy(base_url: str) -> bool:
    """Whether the server redirects plain HTTP to HTTPS (production settings); if so, every
    request says ``X-Forwarded-Proto: https`` as a TLS proxy would."""
    status, headers, _ = Connection(base_url).request("GET", LOGIN_PATH, {})
    if status in (301, 302) and (headers.get("Location") or "").startswith("https://"):
        Connection.extra_headers = {"X-Forwarded-Proto": "https"}
        return True
    return False


def sign_in(base_url: str, username: str, password: str) -> str:
    """Signs in through the form like a browser; returns the Cookie header to send."""
    conn, jar = Connection(base_url), dict[str, str]()
    origin = base_url.replace("http://", "https://", 1) if Connection.extra_headers else base_url
    status, headers, body = conn.request("GET", LOGIN_PATH, {})
    _cookies(headers, jar)
    match = CSRF_INPUT.search(body.decode())
    if status != 200 or match is None:
        raise SystemExit(f"sign-in page: HTTP {status}, no CSRF token")
    form = urlencode(
        {"csrfmiddlewaretoken": match.group(1), "username": username, "password": password}
    )
    status, headers, _ = conn.request(
        "POST",
        LOGIN_PATH,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": _cookie_header(jar),
            "Referer": origin + LOGIN_PATH,
            "Origin": origin,
        },
        form,
    )
    _cookies(headers, jar)
    conn.close()
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"signing in as {username!r} failed: HTTP {status} (password? seeded?)")
    return _cookie_header(jar)


@dataclass
class Result:
    latencies: list[float]
    seconds: float
    response_bytes: int

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        return self.percentile(0.95) * 1000

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds


def measure(base_url: str, path: str, cookie: str | None, requests: int, clients: int) -> Result:
    """``requests`` GETs of ``path`` shared by ``clients`` threads (after one warm-up each)."""
    headers = {"Accept-Encoding": "gzip", "Accept": "text/html,application/json"}
    if cookie:
        headers["Cookie"] = cookie
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    shares = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]

    def client(count: int) -> None:
        conn = Connection(base_url)
        try:
            conn.request("GET", path, headers)  # warm-up: connection, worker caches
            start.wait()
            for _ in range(count):
                started = time.perf_counter()
                status, _, body = conn.request("GET", path, headers)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    sizes.append(len(body))
                    if status != 200:
                        errors.append(f"{path}: HTTP {status}")
        except Exception as error:  # reported below, never a silent thread death
            with lock:
                errors.append(f"{path}: {error!r}")
            start.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if errors:
        raise SystemExit("; ".join(sorted(set(errors))[:5]))
    return Result(latencies, seconds, int(statistics.median(sizes)))


def table(rows: list[tuple[Target, dict[int, Result]]], levels: Sequence[int]) -> str:
    floor = rows[0][1]
    head = f"{'page':<22}{'bytes':>8}"
    for level in levels:
        head += f" | c={level}: {'p50':>7} {'p95':>7} {'req/s':>7} {'x floor':>7}"
    lines = [head, "-" * len(head)]
    for target, results in rows:
        line = f"{target.name:<22}{results[levels[0]].response_bytes:>8}"
        for level in levels:
            result = results[level]
            ratio = result.p50_ms / floor[level].p50_ms
            line += (
                f" | {'':5}{result.p50_ms:>7.1f} {result.p95_ms:>7.1f}"
                f" {result.per_second:>7.1f} {ratio:>7.1f}"
            )
        lines.append(line)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8101")
    parser.add_argument("--demo", action="store_true", help="seed_demo's users, not seed_scale's")
    parser.add_argument("--password", help="the users' password (default: the seed's)")
    parser.add_argument("--requests", type=int, default=40, help="per page and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--date", type=date.fromisoformat, default=date.today())
    parser.add_argument("--only", nargs="*", help="pages whose name contains one of these")
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")
    users = DEMO_USERS if args.demo else SCALE_USERS
    password = args.password or (DEMO_PASSWORD if args.demo else SCALE_PASSWORD)

    chosen = [
        target
        for index, target in enumerate(targets(args.date))
        if index == 0 or not args.only or any(word in target.name for word in args.only)
    ]
    proxied = behind_tls_proxy(base_url)
    cookies = {
        role: sign_in(base_url, users[role], password)
        for role in sorted({target.role for target in chosen if target.role})
    }
    rows = []
    for target in chosen:
        cookie = cookies[target.role] if target.role else None
        results = {
            level: measure(base_url, target.path, cookie, args.requests, level)
            for level in args.concurrency
        }
        rows.append((target, results))
        print(f"  measured {target.name}", file=sys.stderr)
    print(
        f"{base_url}{' (as behind a TLS proxy)' if proxied else ''}, {args.requests} requests"
        f" per page and concurrency, date {args.date}"
    )
    print("latency in ms; x floor = p50 / the sign-in page's p50 at the same concurrency")
    print(table(rows, args.concurrency))


if __name__ == "__main__":
    main()
