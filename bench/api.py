"""Dose-plan API latency (docs/clinical-rules.md 2: bench/): ``POST /api/v1/dose-plans/`` end to
end.

Run: ``.venv/bin/python bench/api.py [--requests N] [--threads T]`` (``DATABASE_URL`` for
PostgreSQL; SQLite otherwise). Works in a throwaway test database created and destroyed here
(the migrations seed the formulary and indications), never the configured one. Sends docs/api.md's
worked example through Django's full request stack (middleware, token authentication, DRF,
pydantic, the engine) and prints the median and p95 latency for one client, then the
throughput with T clients at once (threads in this process; one web worker's view of "load").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivig.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def in_thread(token: str, body: str, count: int) -> list[float]:
    """One client in its own thread; closes the thread's database connection when done."""
    from django.db import connections

    try:
        return timed_requests(Client(), token, body, count)
    finally:
        connections.close_all()


def timed_requests(client: Client, token: str, body: str, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.post(
            "/api/v1/dose-plans/",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        )
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"unexpected {response.status_code}: {response.content[:200]!r}")
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from rest_framework.authtoken.models import Token

        from ivig.accounts.models import User
        from orders.dose_plans.api import WORKED_EXAMPLE

        user = User.objects.create_user("bench-api", password="bench-api-password-2026")
        token = Token.objects.create(user=user).key
        body = json.dumps(WORKED_EXAMPLE)
        timed_requests(Client(), token, body, 20)  # warm-up

        latencies = timed_requests(Client(), token, body, args.requests)
        latencies.sort()
        median_ms = statistics.median(latencies) * 1000
        p95_ms = latencies[int(len(latencies) * 0.95) - 1] * 1000
        print(
            f"Python {platform.python_version()} ({platform.python_implementation()}), "
            f"{connection.vendor}"
        )
        print(
            f"one client: {args.requests} requests, median {median_ms:.2f} ms, p95 {p95_ms:.2f} ms"
        )

        per_thread = max(1, args.requests // args.threads)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            batches = list(
                pool.map(
                    lambda _: in_thread(token, body, per_thread),
                    range(args.threads),
                )
            )
        elapsed = time.perf_counter() - started
        done = sum(len(batch) for batch in batches)
        print(
            f"{args.threads} clients at once: {done} requests in {elapsed:.2f} s, "
            f"{done / elapsed:.0f} requests/s in one process"
        )
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
