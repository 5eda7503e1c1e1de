"""An independent mutation run over the engine (docs/mutation-testing.md, "A second opinion").

mutmut (``mutation/run.py``) is one tool with one set of operators and one way of selecting and
running tests; a bug in any of them (the cached vial tables that hid ``dosing._mix_key``'s
mutants) shows as a too-good kill rate. This script shares no code with it: its own mutation
operators on Python's ``ast``, its own test selection, its own runner.

Operators (each makes one mutant at one place, inside a function or method body; module and
class constants, defaults, decorators and annotations are not mutated, as with mutmut):

- comparison: ``<``/``<=``, ``>``/``>=``, ``==``/``!=``, ``is``/``is not``, ``in``/``not in``
  swapped;
- arithmetic: ``+``/``-``, ``*``/``/`` swapped, ``//`` to ``/``, ``%`` to ``//`` (also in
  ``+=`` and the like);
- boolean: ``and``/``or`` swapped, ``not x`` to ``x``, ``True``/``False`` swapped;
- ``min``/``max`` swapped;
- rounding mode: ``ROUND_HALF_UP``/``ROUND_HALF_EVEN``, ``ROUND_FLOOR``/``ROUND_CEILING``,
  ``ROUND_DOWN``/``ROUND_UP``, ``ROUND_HALF_DOWN`` to ``ROUND_HALF_UP``;
- constants ±1: every integer literal ``n`` (not in f-strings) to ``n + 1`` and ``n - 1``, and
  the number in ``Decimal("...")`` likewise.

How a mutant runs: pytest collects ``tests/engine -m "not hypothesis"`` once, runs every test
once recording which engine functions it calls (``sys.setprofile``), then for each mutant forks a
child that swaps the mutated function's code object in place (``function.__code__``: every
reference to the function, imported or stored in a table, sees the mutant), clears the engine's
``lru_cache``s (a child must not reuse tables the clean run computed) and runs only the tests
that called that function, stopping at the first failure. A test failure or a timeout (ten times
the clean run's time plus five seconds) kills the mutant; a mutant no test reaches survives.

Usage (from the repository root, with the project's venv):
``python mutation/independent.py [--workers 2] [--module rates ...] [--json out.json]``.
Prints one row a module (kill % = killed / mutants; nothing is excluded as equivalent, so the
rate sits a little under mutmut's, which excludes the listed equivalents) and the survivors.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import os
import signal
import sys
import time
import tomllib
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE_DIR = ROOT / "ivig" / "engine"
EQUIVALENTS_FILE = ROOT / "mutation" / "independent_equivalents.toml"
TEST_ARGS = [
    "tests/engine",
    "-m",
    "not hypothesis",
    "-p",
    "no:cacheprovider",
    "-q",
    "-p",
    "no:randomly",
]
TIMEOUT_FACTOR = 10
TIMEOUT_EXTRA_S = 5.0

COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
ARITHMETIC_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
}
ROUNDING_SWAPS = {
    "ROUND_HALF_UP": "ROUND_HALF_EVEN",
    "ROUND_HALF_EVEN": "ROUND_HALF_UP",
    "ROUND_HALF_DOWN": "ROUND_HALF_UP",
    "ROUND_FLOOR": "ROUND_CEILING",
    "ROUND_CEILING": "ROUND_FLOOR",
    "ROUND_DOWN": "ROUND_UP",
    "ROUND_UP": "ROUND_DOWN",
}
# Fields never mutated: what runs once at definition time (decorators, a nested function's
# defaults), or is not code (annotations).
SKIPPED_FIELDS = {"decorator_list", "returns", "annotation", "type_comment"}


@dataclass(frozen=True)
class Mutant:
    module: str  # ivig.engine.rates
    function: str  # the outermost function's qualified name: f or Class.method
    node_index: int  # position of the mutated node in ast.walk order of the module
    line: int
    change: str  # what the mutant does, for the report
    operator: str
    code: str  # the mutated line as written (stripped): with the rest, how equivalents match

    @property
    def name(self) -> str:
        return f"{self.module}:{self.function}:{self.line}:{self.change}"

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What an entry of the equivalents file names (no line number: lines move)."""
        return (self.module, self.function, self.change, self.code)


@dataclass
class Outcome:
    killed: int = 0
    survived: int = 0
    no_tests: int = 0
    timeout: int = 0
    error: int = 0
    equivalent: int = 0
    survivors: list[str] = field(default_factory=list)


# --- the mutants --------------------------------------------------------------------------------


def _rounding_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name) and node.id in ROUNDING_SWAPS:
        return node.id
    if isinstance(node, ast.Attribute) and node.attr in ROUNDING_SWAPS:
        return node.attr
    return None


def _decimal_literal(node: ast.AST) -> Decimal | None:
    """The number of ``Decimal("1.25")`` (a string argument), else None."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Decimal"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return None
    try:
        return Decimal(node.args[0].value)
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class Operation:
    """One mutation of one node: ``operator`` (its family), ``change`` (for the report), and
    ``replace`` (the node to put in the original's place, built from a copy of it)."""

    operator: str
    change: str
    replace: Callable[[Any], ast.AST]


def _set(node: Any, attribute: str, value: object) -> ast.AST:
    setattr(node, attribute, value)
    return node


def _set_item(node: Any, attribute: str, position: int, value: object) -> ast.AST:
    getattr(node, attribute)[position] = value
    return node


def _operand(node: Any) -> ast.AST:
    return node.operand


def _constant(node: Any, value: str | bool | int) -> ast.AST:
    return ast.Constant(value)


def _compare_operations(node: ast.Compare) -> Iterator[Operation]:
    for position, op in enumerate(node.ops):
        swap = COMPARE_SWAPS.get(type(op))
        if swap is not None:
            yield Operation(
                "comparison",
                f"{type(op).__name__} -> {swap.__name__}",
                partial(_set_item, attribute="ops", position=position, value=swap()),
            )


def _call_operations(node: ast.Call) -> Iterator[Operation]:
    if isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
        other = "max" if node.func.id == "min" else "min"
        yield Operation(
            "min/max",
            f"{node.func.id} -> {other}",
            partial(_set, attribute="func", value=ast.Name(other, ast.Load())),
        )
    number = _decimal_literal(node)
    if number is not None:
        for delta in (1, -1):
            text = str(number + delta)
            yield Operation(
                "constant",
                f'Decimal("{number}") -> Decimal("{text}")',
                partial(_set_item, attribute="args", position=0, value=ast.Constant(text)),
            )


def _operations(node: ast.AST) -> Iterator[Operation]:
    """Every mutation of ``node`` (none for most nodes)."""
    if isinstance(node, ast.Compare):
        yield from _compare_operations(node)
    elif isinstance(node, ast.BinOp | ast.AugAssign):
        swap = ARITHMETIC_SWAPS.get(type(node.op))
        if swap is not None:
            yield Operation(
                "arithmetic",
                f"{type(node.op).__name__} -> {swap.__name__}",
                partial(_set, attribute="op", value=swap()),
            )
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield Operation(
            "boolean",
            f"{type(node.op).__name__} -> {other.__name__}",
            partial(_set, attribute="op", value=other()),
        )
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield Operation("boolean", "not x -> x", _operand)
    elif isinstance(node, ast.Call):
        yield from _call_operations(node)
    elif (rounding := _rounding_name(node)) is not None and isinstance(
        getattr(node, "ctx", None), ast.Load
    ):
        # decimal's rounding constants are their own names as strings.
        swapped = ROUNDING_SWAPS[rounding]
        yield Operation("rounding", f"{rounding} -> {swapped}", partial(_constant, value=swapped))
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        flipped = not node.value
        yield Operation("boolean", f"{node.value} -> {flipped}", partial(_constant, value=flipped))
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        for delta in (1, -1):
            value = node.value + delta
            yield Operation("constant", f"{node.value} -> {value}", partial(_constant, value=value))


def _function_nodes(
    tree: ast.Module,
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Module-level functions and the methods of module-level classes, by qualified name."""
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield statement.name, statement
        elif isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield f"{statement.name}.{member.name}", member


def _mutable_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not of its decorators, defaults, annotations, f-strings
    or docstring."""
    body = getattr(function, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.JoinedStr | ast.arguments):
            continue
        yield node
        children: list[ast.AST] = []
        for name, value in ast.iter_fields(node):
            if name in SKIPPED_FIELDS:
                continue
            if isinstance(value, ast.AST):
                children.append(value)
            elif isinstance(value, list):
                children.extend(item for item in value if isinstance(item, ast.AST))
        stack.extend(reversed(children))


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def mutants_of(path: Path) -> list[Mutant]:
    source = path.read_text()
    tree = ast.parse(source)
    index_of = {id(node): index for index, node in enumerate(ast.walk(tree))}
    lines = source.splitlines()
    found = []
    for qualname, function in _function_nodes(tree):
        for node in _mutable_nodes(function):
            line = getattr(node, "lineno", function.lineno)
            if "pragma: no mutate" in lines[line - 1]:
                continue
            for operation in _operations(node):
                found.append(
                    Mutant(
                        module_name(path),
                        qualname,
                        index_of[id(node)],
                        line,
                        operation.change,
                        operation.operator,
                        lines[line - 1].strip(),
                    )
                )
    return found


def mutated_tree(path: Path, mutant: Mutant) -> ast.Module:
    tree = ast.parse(path.read_text())
    nodes = list(ast.walk(tree))
    target = nodes[mutant.node_index]
    for operation in _operations(target):
        if (operation.operator, operation.change) == (mutant.operator, mutant.change):
            replacement = operation.replace(target)
            break
    else:
        raise LookupError(mutant.name)
    if replacement is not target:
        _replace(tree, target, replacement)
    return ast.fix_missing_locations(tree)


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    ast.copy_location(new, old)
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                value[[item is old for item in value].index(True)] = new
                return
    raise LookupError("node without parent")


# --- applying a mutant in a running process --------------------------------------------------


def _find_code(code: types.CodeType, qualname: str, first_line: int) -> types.CodeType | None:
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_qualname == qualname and const.co_firstlineno == first_line:
                return const
            found = _find_code(const, qualname, first_line)
            if found is not None:
                return found
    return None


def _live_function(module: types.ModuleType, qualname: str) -> types.FunctionType:
    """The function object behind a module attribute or a class member, through decorators
    (lru_cache, property, classmethod, pydantic's validators)."""
    owner: Any = module
    parts = qualname.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    candidate: Any = vars(owner)[parts[-1]]
    for _ in range(6):
        if isinstance(candidate, types.FunctionType) and candidate.__code__.co_qualname == qualname:
            return candidate
        for attribute in ("__wrapped__", "__func__", "fget", "wrapped", "func"):
            inner = getattr(candidate, attribute, None)
            if inner is not None:
                candidate = inner
                break
        else:
            break
    raise LookupError(f"no live function {module.__name__}.{qualname}")


def apply(mutant: Mutant) -> None:
    module = importlib.import_module(mutant.module)
    assert module.__file__ is not None
    path = Path(module.__file__)
    function = _live_function(module, mutant.function)
    code = compile(mutated_tree(path, mutant), str(path), "exec")
    new_code = _find_code(code, mutant.function, function.__code__.co_firstlineno)
    if new_code is None:
        raise LookupError(f"no compiled code for {mutant.name}")
    function.__code__ = new_code


def clear_engine_caches() -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith("ivig.engine") and module is not None:
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


# --- the run (a pytest plugin that takes over the test loop) -----------------------------------


def _outermost(qualname: str) -> str:
    return qualname.split(".<locals>.", 1)[0]


class Driver:
    def __init__(
        self, mutants: list[Mutant], workers: int, equivalents: set[tuple[str, str, str, str]]
    ) -> None:
        self.mutants = mutants
        self.workers = workers
        self.equivalents = equivalents
        self.matched: set[tuple[str, str, str, str]] = set()
        self.outcomes: dict[str, Outcome] = {}
        self.baseline_failed: list[str] = []

    def _baseline(
        self, items: list[pytest.Item]
    ) -> tuple[dict[tuple[str, str], set[int]], list[float]]:
        from _pytest.runner import runtestprotocol

        files = {str(path): module_name(path) for path in ENGINE_DIR.glob("*.py")}
        reached: dict[tuple[str, str], set[int]] = {}
        durations = []
        for index, item in enumerate(items):
            called: set[tuple[str, str]] = set()

            def profile(
                frame: types.FrameType, event: str, arg: object, called: set[Any] = called
            ) -> None:
                if event == "call":
                    module = files.get(frame.f_code.co_filename)
                    if module is not None:
                        called.add((module, _outermost(frame.f_code.co_qualname)))

            next_item = items[index + 1] if index + 1 < len(items) else None
            started = time.perf_counter()
            sys.setprofile(profile)
            try:
                reports = runtestprotocol(item, nextitem=next_item, log=False)
            finally:
                sys.setprofile(None)
            durations.append(time.perf_counter() - started)
            if any(report.failed for report in reports):
                self.baseline_failed.append(item.nodeid)
            for key in called:
                reached.setdefault(key, set()).add(index)
        return reached, durations

    def _child(self, mutant: Mutant, selected: list[pytest.Item]) -> None:
        from _pytest.runner import runtestprotocol

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            apply(mutant)
            clear_engine_caches()
        except Exception:
            os._exit(3)
        for position, item in enumerate(selected):
            next_item = selected[position + 1] if position + 1 < len(selected) else None
            reports = runtestprotocol(item, nextitem=next_item, log=False)
            if any(report.failed for report in reports):
                os._exit(1)
        os._exit(0)

    def _record(self, mutant: Mutant, result: str) -> None:
        outcome = self.outcomes.setdefault(mutant.module, Outcome())
        if result in ("survived", "no_tests") and mutant.key in self.equivalents:
            result = "equivalent"
            self.matched.add(mutant.key)
        setattr(outcome, result, getattr(outcome, result) + 1)
        if result in ("survived", "no_tests"):
            outcome.survivors.append(
                f"{mutant.function} line {mutant.line}: {mutant.change}   | {mutant.code}"
            )

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        items = list(session.items)
        started = time.monotonic()
        reached, durations = self._baseline(items)
        print(f"\nclean run: {len(items)} tests, {time.monotonic() - started:.1f} s", flush=True)
        if self.baseline_failed:
            print("clean run failed:", *self.baseline_failed, sep="\n  ")
            session.shouldfail = "clean run failed"
            return True
        running: dict[int, tuple[Mutant, float]] = {}
        queue = list(self.mutants)
        done = 0
        while queue or running:
            while queue and len(running) < self.workers:
                mutant = queue.pop(0)
                selected_indexes = sorted(reached.get((mutant.module, mutant.function), ()))
                if not selected_indexes:
                    self._record(mutant, "no_tests")
                    done += 1
                    continue
                selected = [items[index] for index in selected_indexes]
                budget = TIMEOUT_FACTOR * sum(durations[i] for i in selected_indexes)
                pid = os.fork()
                if pid == 0:
                    self._child(mutant, selected)
                running[pid] = (mutant, time.monotonic() + budget + TIMEOUT_EXTRA_S)
            for pid, (mutant, deadline) in list(running.items()):
                finished, status = os.waitpid(pid, os.WNOHANG)
                if finished == 0:
                    if time.monotonic() > deadline:
                        os.kill(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                        self._record(mutant, "timeout")
                        del running[pid]
                        done += 1
                    continue
                code = os.waitstatus_to_exitcode(status)
                result = {0: "survived", 1: "killed"}.get(code, "error")
                self._record(mutant, result)
                del running[pid]
                done += 1
                if done % 100 == 0:
                    elapsed = time.monotonic() - started
                    print(f"  {done}/{len(self.mutants)} mutants, {elapsed:.0f} s", flush=True)
            time.sleep(0.005)
        return True


COLUMNS = ("killed", "timeout", "survived", "no_tests", "equivalent", "error")


def _rates(outcome: Outcome, mutants: int) -> tuple[float, float]:
    """(kill % of all mutants, kill % of the non-equivalent ones); errors are not judged."""
    caught = outcome.killed + outcome.timeout
    judged = mutants - outcome.error
    non_equivalent = judged - outcome.equivalent
    raw = 100.0 * caught / judged if judged else 100.0
    return raw, 100.0 * caught / non_equivalent if non_equivalent else 100.0


def _row(name: str, outcome: Outcome, mutants: int) -> str:
    raw, rate = _rates(outcome, mutants)
    counts = " ".join(f"{getattr(outcome, column):>6}" for column in COLUMNS)
    return f"{name:<28} {mutants:>7} {counts} {raw:>6.1f} {rate:>6.1f}"


def print_report(outcomes: dict[str, Outcome], total_by_module: dict[str, int]) -> dict[str, Any]:
    """One row a module: counts, kill % of all mutants (raw) and of the non-equivalent ones."""
    labels = {"timeout": "t.out", "survived": "surv.", "no_tests": "no t.", "equivalent": "equiv."}
    header = f"{'module':<28} {'mutants':>7} " + " ".join(
        f"{labels.get(column, column):>6}" for column in COLUMNS
    )
    header += f" {'raw %':>6} {'kill %':>6}"
    print("\n" + header + "\n" + "-" * len(header))
    table: dict[str, Any] = {}
    totals = Outcome()
    for module in sorted(total_by_module):
        outcome = outcomes.get(module, Outcome())
        raw, rate = _rates(outcome, total_by_module[module])
        table[module] = {
            "mutants": total_by_module[module],
            **{column: getattr(outcome, column) for column in COLUMNS},
            "raw_pct": round(raw, 1),
            "kill_pct": round(rate, 1),
            "survivors": outcome.survivors,
        }
        for column in COLUMNS:
            setattr(totals, column, getattr(totals, column) + getattr(outcome, column))
        print(_row(module, outcome, total_by_module[module]))
    print("-" * len(header))
    print(_row("all", totals, sum(total_by_module.values())))
    for module, row in table.items():
        if row["survivors"]:
            print(f"\n{module}: {len(row['survivors'])} survivors not listed as equivalent")
            for survivor in row["survivors"]:
                print(f"  {survivor}")
    return table


def load_equivalents() -> set[tuple[str, str, str, str]]:
    """``mutation/independent_equivalents.toml``: this tool's equivalent mutants, each with the
    reason no input can tell it from the original (docs/mutation-testing.md)."""
    data = tomllib.loads(EQUIVALENTS_FILE.read_text()) if EQUIVALENTS_FILE.exists() else {}
    return {
        (entry["module"], entry["function"], entry["change"], entry["code"])
        for entry in data.get("mutant", [])
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--module", nargs="+", default=[], help="e.g. rates plan (default: all)")
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    parser.add_argument("--list", action="store_true", help="only count the mutants")
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    paths = sorted(ENGINE_DIR.glob("*.py"))
    if args.module:
        paths = [path for path in paths if path.stem in args.module]
    modules = {module_name(path) for path in paths}
    mutants = [mutant for path in paths for mutant in mutants_of(path)]
    total_by_module: dict[str, int] = {}
    for mutant in mutants:
        total_by_module[mutant.module] = total_by_module.get(mutant.module, 0) + 1
    if args.list:
        for module, count in sorted(total_by_module.items()):
            print(f"{module:<28} {count:>5}")
        print(f"{'all':<28} {len(mutants):>5}")
        return 0
    equivalents = load_equivalents()
    driver = Driver(mutants, args.workers, equivalents)
    pytest.main(TEST_ARGS, plugins=[driver])
    if driver.baseline_failed:
        return 2
    table = print_report(driver.outcomes, total_by_module)
    stale = sorted(
        key for key in equivalents - driver.matched if not args.module or key[0] in modules
    )
    if stale:
        print("\nEquivalents file entries that matched no survivor (killed? line changed?):")
        for key in stale:
            print(f"  {key[0]}.{key[1]}: {key[2]}   | {key[3]}")
    if args.json:
        args.json.write_text(json.dumps(table, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
