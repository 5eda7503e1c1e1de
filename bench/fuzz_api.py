"""The long fuzz run (docs/api.md, Errors): schemathesis over every API operation as every role,
the checks of ``tests/api/test_schemathesis.py`` with many more cases.

Run: ``.venv/bin/python bench/fuzz_api.py [--examples N] [--only TEXT]`` (or ``make fuzz``);
``DATABASE_URL`` for PostgreSQL, SQLite otherwise. Works in a throwaway test database created
and destroyed here, never the configured one, seeded with the demo data (``seed_demo``). About
``N`` cases per operation, role and generation mode (positive, negative, and the extremes of
issue 22: far dates, huge and non-finite numbers in every body, query and path value):
``--examples 55`` is about 45,000 requests. The cases are the same on every run
(derandomized); ``--seed N`` draws others. Prints every distinct fault (a 5xx with its
traceback, a status the schema does not document, a body or content type unlike the documented
one) and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivig.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from tests.api.fuzzing import demo_tokens, fuzz, seeded_path_values  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=55, help="cases per operation, role, mode")
    parser.add_argument("--only", default="", help="only operations whose label contains this")
    parser.add_argument("--quiet", action="store_true", help="no progress line per operation")
    parser.add_argument(
        "--seed", type=int, default=None, help="other cases than the derandomized default's"
    )
    args = parser.parse_args()

    setup_test_environment()
    settings.DEBUG = True  # seed_demo creates the demo users only in development
    old_name = connection.settings_dict["NAME"]
    # Its own database name, so a test run on the same server is never disturbed.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"fuzz_{old_name}_{os.getpid()}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        settings.DEBUG = False  # answers as in production: no debug pages
        started = time.perf_counter()
        run = fuzz(
            tokens=demo_tokens(),
            path_values=seeded_path_values(),
            max_examples=args.examples,
            only=lambda label: args.only in label,
            progress=None if args.quiet else lambda line: print(line, flush=True),
            seed=args.seed,
        )
        elapsed = time.perf_counter() - started
        for finding in run.distinct:
            print(f"\n{finding}")
        if run.no_cases:
            print(f"\nno cases to generate: {', '.join(run.no_cases)}")
        print(f"\n{connection.vendor}, {elapsed:.0f} s: {run.summary()}")
        return 1 if run.findings else 0
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
