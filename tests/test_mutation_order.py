"""The order of a mutant's tests under mutmut (tests/mutation_order.py, docs/mutation-testing.md):
likeliest killers first, since mutmut stops at the first failing test."""

from pathlib import Path

import pytest

from tests import conftest, mutation_order

MUTANT = "orders.dose_plans.plan_accessor.x_order_plan__mutmut_7"


class _Item:
    """The parts of a collected pytest item the ordering reads."""

    def __init__(self, nodeid: str, *, transaction: bool = False) -> None:
        self.nodeid = nodeid
        self.fixturenames = ["db"]
        self._marker = pytest.mark.django_db(transaction=transaction).mark

    def get_closest_marker(self, name: str) -> object:
        return self._marker if name == "django_db" else None


class _Report:
    def __init__(self, nodeid: str, *, failed: bool) -> None:
        self.nodeid, self.failed = nodeid, failed


@pytest.fixture
def in_mutants_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """mutmut's ``mutants/`` directory, with the tests' durations of its statistics."""
    (tmp_path / "mutmut-stats.json").write_text(
        '{"duration_by_test": {"tests/t.py::slow": 9.0, "tests/t.py::fast": 0.1,'
        ' "tests/t.py::middle": 1.0, "tests/t.py::in_a_transaction": 0.01}}'
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _ordered_under(mutant: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("MUTANT_UNDER_TEST", mutant)
    items = [
        _Item("tests/t.py::in_a_transaction", transaction=True),
        _Item("tests/t.py::slow"),
        _Item("tests/t.py::fast"),
        _Item("tests/t.py::middle"),
    ]
    conftest.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    return [item.nodeid.split("::")[1] for item in items]


@pytest.mark.usefixtures("in_mutants_copy")
def test_a_mutants_tests_run_fastest_first_and_transactions_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _ordered_under(MUTANT, monkeypatch) == ["fast", "middle", "slow", "in_a_transaction"]


@pytest.mark.usefixtures("in_mutants_copy")
def test_outside_a_mutant_the_order_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """mutmut's statistics and clean-test runs (and every ordinary run) keep pytest's order."""
    assert _ordered_under("stats", monkeypatch) == ["in_a_transaction", "slow", "fast", "middle"]


@pytest.mark.usefixtures("in_mutants_copy")
def test_a_test_that_killed_a_mutant_of_the_function_runs_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The slow test killed mutant 3 of the same function: it runs first for mutant 7. A kill
    in another function, or a test that passed, changes nothing."""
    monkeypatch.setenv("MUTANT_UNDER_TEST", MUTANT.replace("_7", "_3"))
    conftest.pytest_runtest_logreport(_Report("tests/t.py::slow", failed=True))  # type: ignore[arg-type]
    conftest.pytest_runtest_logreport(_Report("tests/t.py::fast", failed=False))  # type: ignore[arg-type]
    monkeypatch.setenv("MUTANT_UNDER_TEST", "orders.dose_plans.plan_accessor.x_other__mutmut_1")
    conftest.pytest_runtest_logreport(_Report("tests/t.py::middle", failed=True))  # type: ignore[arg-type]
    assert _ordered_under(MUTANT, monkeypatch) == ["slow", "fast", "middle", "in_a_transaction"]


def test_a_line_cut_short_is_passed_over(in_mutants_copy: Path) -> None:
    """A worker stopped mid-write leaves half a line: the others still count."""
    (in_mutants_copy / "mutation-kills.jsonl").write_text(
        '{"function": "m.x_f", "test": "tests/t.py::a"}\n{"function": "m.x_f", "te'
    )
    assert mutation_order.kills_by_test(Path("mutation-kills.jsonl"), "m.x_f") == {
        "tests/t.py::a": 1
    }
