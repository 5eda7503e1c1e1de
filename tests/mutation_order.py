"""The order a mutant's tests run in under mutmut (docs/mutation-testing.md, "Running it").

mutmut runs a mutant's tests with ``-x``: the first failing test kills it, and only a survivor
runs them all. So the tests most likely to kill it come first: those that killed another mutant
of the same function in this scope (the kills are kept in ``KILLS``, one line each, as pytest
reports them), then the fastest (mutmut's statistics). Tests in a transaction stay after the
others, as pytest-django orders them."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

# Both relative to the directory mutmut runs a mutant's tests in (its ``mutants/`` copy).
STATISTICS = Path("mutmut-stats.json")
KILLS = Path("mutation-kills.jsonl")

_MUTANT_NUMBER = re.compile(r"__mutmut_\d+$")


def mutant_under_test() -> str | None:
    """The mutant whose tests this session runs (None: not a mutant's run)."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    return mutant if _MUTANT_NUMBER.search(mutant) else None


def function_of(mutant: str) -> str:
    """The mutated function's name: the mutant's without its number."""
    return _MUTANT_NUMBER.sub("", mutant)


def order_items(items: list[pytest.Item], mutant: str) -> None:
    durations = durations_of_tests(STATISTICS)
    kills = kills_by_test(KILLS, function_of(mutant))
    items.sort(
        key=lambda item: (
            runs_in_a_transaction(item),
            -kills[item.nodeid],
            durations.get(item.nodeid, 0.0),
        )
    )


def record_kill(nodeid: str, mutant: str) -> None:
    """One line for a test that failed under ``mutant`` (appended whole: the workers share it)."""
    line = json.dumps({"function": function_of(mutant), "test": nodeid}) + "\n"
    with KILLS.open("a", encoding="utf-8") as kills:
        kills.write(line)


def durations_of_tests(statistics: Path) -> dict[str, float]:
    """Each test's duration in seconds, by node id, from mutmut's statistics."""
    if not statistics.is_file():
        return {}
    recorded = json.loads(statistics.read_text()).get("duration_by_test", {})
    return {node: float(seconds) for node, seconds in recorded.items()}


def kills_by_test(kills: Path, function: str) -> Counter[str]:
    """How many mutants of ``function`` each test killed so far."""
    counted: Counter[str] = Counter()
    if not kills.is_file():
        return counted
    for line in kills.read_text(encoding="utf-8").splitlines():
        try:
            kill = json.loads(line)
        except ValueError:  # a line cut short by a worker stopped mid-write
            continue
        if kill.get("function") == function:
            counted[kill.get("test", "")] += 1
    return counted


def runs_in_a_transaction(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    in_marker = marker is not None and bool(
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
    )
    fixtures = getattr(item, "fixturenames", ())
    return in_marker or "transactional_db" in fixtures or "live_server" in fixtures
