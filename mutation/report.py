"""The per-module report of a mutmut run (docs/mutation-testing.md), run in a scope's directory
(``.mutation/<scope>/``, where ``mutants/`` holds mutmut's results) by ``mutation/run.py``.

For each mutated module: mutants in all, killed (a selected test failed, or the run timed out),
survived (every test that reached the mutant passed), no tests (no selected test reached the
mutated function: a survivor too), listed as equivalent in ``mutation/equivalent_mutants.toml``,
and the kill rate of the non-equivalent ones: killed / (mutants - equivalent - not checked).
Then every non-equivalent survivor with its change, and the equivalents file's entries that no
longer match a surviving mutant (stale: the function changed and mutmut renumbered).

Exit status 1 when a module is under the scope's ``minimum_kill_pct`` (mutation/scopes.toml), has
mutants not checked (an interrupted run proves nothing about them), or an equivalents entry is
stale (an equivalent mutant can never be killed: the entry is out of date, or the run broken).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS_FILE = ROOT / "mutation" / "equivalent_mutants.toml"
SCOPES_FILE = ROOT / "mutation" / "scopes.toml"

# mutmut's exit codes (mutmut.stats.status_by_exit_code), folded into the report's columns.
KILLED_CODES = {1, 3, 36, 24, -24, 152, 255, 37}  # test failure, pytest error, timeouts, type check
SURVIVED_CODES = {0}
NO_TESTS_CODES = {5, 33}


def equivalents() -> dict[str, dict[str, str]]:
    data = tomllib.loads(EQUIVALENTS_FILE.read_text())
    return {entry["mutant"]: entry for entry in data.get("mutant", [])}


def module_of(mutant: str) -> str:
    return mutant.rsplit(".", 1)[0]


def changed_lines(mutant: str) -> list[str]:
    """The mutant's changed lines (``-`` original, ``+`` mutant), from mutmut's own diff."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    try:
        diff = get_diff_for_mutant(mutant)
    except Exception as error:  # a report must not stop at one unreadable mutant
        return [f"(no diff: {error})"]
    return [
        line.rstrip()
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scope", required=True)
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    return parser.parse_args()


def read_status() -> dict[str, int | None]:
    """mutmut's exit code of every mutant (None: not checked), from its ``.meta`` files."""
    status: dict[str, int | None] = {}
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        status.update(json.loads(meta.read_text())["exit_code_by_key"])
    return status


def column_of(code: int | None) -> str:
    """The report's column for a mutmut exit code."""
    return (
        "not checked"
        if code is None
        else "killed"
        if code in KILLED_CODES
        else "survived"
        if code in SURVIVED_CODES
        else "no tests"
        if code in NO_TESTS_CODES
        else "other"
    )


def count_columns(
    status: dict[str, int | None], known_equivalents: dict[str, dict[str, str]]
) -> tuple[dict[str, Counter[str]], list[str]]:
    """Each module's mutants by column, and the survivors not listed as equivalent."""
    counts: dict[str, Counter[str]] = {}
    survivors: list[str] = []
    for mutant, code in sorted(status.items()):
        column = column_of(code)
        if column in ("survived", "no tests", "other") and mutant in known_equivalents:
            column = "equivalent"
        elif column in ("survived", "no tests", "other"):
            survivors.append(mutant)
        counts.setdefault(module_of(mutant), Counter())[column] += 1
    return counts, survivors


def print_modules(
    counts: dict[str, Counter[str]], minimum: float
) -> tuple[dict[str, dict[str, float]], list[str]]:
    """One line a module; returns the JSON table and the failing modules."""
    failing = []
    table = {}
    for module, count in sorted(counts.items()):
        total = sum(count.values())
        judged = total - count["equivalent"] - count["not checked"]
        rate = 100.0 * count["killed"] / judged if judged else 100.0
        table[module] = {**count, "total": total, "kill_pct": round(rate, 1)}
        flag = "" if rate >= minimum else "  < minimum"
        if count["not checked"]:
            flag += f"  ({count['not checked']} not checked)"
        if rate < minimum or count["not checked"]:
            failing.append(module)
        print(
            f"{module:<34} {total:>7} {count['killed']:>6} {count['survived']:>5} "
            f"{count['no tests']:>5} {count['equivalent']:>6} {rate:>6.1f}{flag}"
        )
    return table, failing


def print_all(counts: dict[str, Counter[str]], header: str) -> None:
    """The line of every module together, and the warning when mutants were not checked."""
    all_counts: Counter[str] = sum(counts.values(), Counter())
    judged = sum(all_counts.values()) - all_counts["equivalent"] - all_counts["not checked"]
    overall = 100.0 * all_counts["killed"] / judged if judged else 100.0
    print("-" * len(header))
    print(f"{'all':<34} {sum(all_counts.values()):>7} {all_counts['killed']:>6} ", end="")
    print(
        f"{all_counts['survived']:>5} {all_counts['no tests']:>5} {all_counts['equivalent']:>6} "
        f"{overall:>6.1f}"
    )
    if all_counts["not checked"]:
        print(
            f"\n{all_counts['not checked']} mutants not checked (run interrupted or restricted "
            "with --only): the run is incomplete and fails"
        )


def print_survivors(survivors: list[str]) -> None:
    if survivors:
        print(f"\nSurvivors not listed as equivalent ({len(survivors)}):")
        for mutant in survivors:
            print(f"\n  {mutant}")
            for line in changed_lines(mutant):
                print(f"      {line}")


def print_stale(
    known_equivalents: dict[str, dict[str, str]],
    status: dict[str, int | None],
    counts: dict[str, Counter[str]],
) -> list[str]:
    """The equivalents file's entries of a reported module that no longer match a survivor,
    printed and returned. An equivalent mutant can never be killed: such an entry is out of
    date (its function changed and mutmut renumbered its mutants) or the run is broken (a
    worker whose tests fail whatever the mutant kills everything), and either fails the report."""
    stale = [
        mutant
        for mutant in known_equivalents
        if module_of(mutant) in counts and (mutant not in status or status[mutant] in KILLED_CODES)
    ]
    if stale:
        print("\nEquivalents file entries that no longer match a survivor (renumbered? killed?):")
        for mutant in stale:
            print(f"  {mutant}")
    return stale


def main() -> int:
    args = parse_args()
    minimum = float(tomllib.loads(SCOPES_FILE.read_text())[args.scope]["minimum_kill_pct"])
    known_equivalents = equivalents()
    status = read_status()
    counts, survivors = count_columns(status, known_equivalents)

    header = f"{'module':<34} {'mutants':>7} {'killed':>6} {'surv.':>5} {'no t.':>5} "
    header += f"{'equiv.':>6} {'kill %':>6}"
    print(f"\nMutation report, scope {args.scope} (minimum {minimum:g} % a module)\n")
    print(header)
    print("-" * len(header))
    table, failing = print_modules(counts, minimum)
    print_all(counts, header)
    print_survivors(survivors)
    if print_stale(known_equivalents, status, counts):
        failing.append("the equivalents file (entries above)")
    if args.json:
        args.json.write_text(json.dumps(table, indent=2, sort_keys=True))
    if failing:
        print(f"\nUnder {minimum:g} % or incomplete, or out of date: {', '.join(failing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
