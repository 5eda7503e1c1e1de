"""The mutation run's test database slots (tests/conftest.py, docs/mutation-testing.md): mutmut
forks each mutant's worker from the process that ran its statistics and clean tests, and two
workers running at once must never share a test database (they wait on each other's rows)."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import conftest


@pytest.fixture
def slots_under_mutmut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """mutmut's environment, with the slots' lock files in a directory of this test's own and
    no slot held yet."""
    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(conftest, "_HELD_DATABASE_SLOTS", {})
    yield
    for handles in conftest._HELD_DATABASE_SLOTS.values():
        for handle in handles.values():
            handle.close()


def _slot_in_a_forked_worker() -> int:
    """The slot a worker forked from this process takes, while it runs."""
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the forked worker
        os.close(reading)
        os.write(writing, str(conftest.mutation_database_slot()).encode())
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as answer:
        slot = int(answer.read())
    os.waitpid(child, 0)
    return slot


def test_outside_mutmut_there_is_no_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    assert conftest.mutation_database_slot() is None


@pytest.mark.usefixtures("slots_under_mutmut")
def test_the_process_keeps_its_slot_between_sessions() -> None:
    """mutmut's statistics and clean-test sessions run one after the other in one process: the
    second uses the slot the first took."""
    assert conftest.mutation_database_slot() == 0
    assert conftest.mutation_database_slot() == 0


@pytest.mark.usefixtures("slots_under_mutmut")
def test_a_forked_worker_takes_a_slot_of_its_own() -> None:
    """A worker forked after its parent took slot 0 does not use the parent's slot (its sibling
    would too): it takes the first free one."""
    assert conftest.mutation_database_slot() == 0
    assert _slot_in_a_forked_worker() == 1
    # The worker has ended and its lock with it: the next worker takes slot 1 again.
    assert _slot_in_a_forked_worker() == 1
    assert conftest.mutation_database_slot() == 0


def test_a_worker_creates_its_slots_database_when_it_is_not_current() -> None:
    """A forked worker inherits its parent's set-up (pointing at the parent's kept database):
    on a slot whose database does not exist yet, Django's own set-up creates it."""
    from django.db.backends.base.creation import BaseDatabaseCreation

    django_create_test_db = BaseDatabaseCreation.create_test_db
    try:
        conftest.use_kept_database(True)
        assert BaseDatabaseCreation.create_test_db is conftest._point_at_kept_database
        conftest.use_kept_database(False)
        assert BaseDatabaseCreation.create_test_db is django_create_test_db
    finally:
        BaseDatabaseCreation.create_test_db = django_create_test_db  # type: ignore[method-assign]
