"""Shared fixtures: users per role, signed-in clients, and the services policy.

On a laptop the suite runs on SQLite without Redis or Chromium, skipping what needs them with a
reason. With ``IVIG_REQUIRE_SERVICES=1`` (CI) a missing service fails the run instead.
"""

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from ivig.accounts.models import User
from ivig.accounts.roles import GROUP_NAMES, Role
from tests import mutation_order

REQUIRE_SERVICES = os.environ.get("IVIG_REQUIRE_SERVICES") == "1"
TEST_PASSWORD = "a-long-test-password-2026"


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop; fail in CI, where every service must be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"IVIG_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_SERVICES and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("IVIG_REQUIRE_SERVICES=1 needs DATABASE_URL=postgres://…")
    if REQUIRE_SERVICES and not os.environ.get("REDIS_URL"):
        raise pytest.UsageError("IVIG_REQUIRE_SERVICES=1 needs REDIS_URL=redis://…")


# The lock files of the test database slots held, by the id of the process that took them (kept
# open until it exits). mutmut forks each mutant's worker from the process that ran its
# statistics and clean tests: a worker inherits that process's slot in this dict, but the slot is
# not the worker's to use (its sibling inherits it too), so a worker takes one of its own.
_HELD_DATABASE_SLOTS: dict[int, dict[int, IO[str]]] = {}


def mutation_database_slot() -> int | None:
    """Under mutmut (``MUTANT_UNDER_TEST`` set, mutation/run.py), the first free slot number.

    mutmut runs each mutant's tests in its own process, several at once; with ``--reuse-db``
    they would otherwise share one test database and wait on each other's rows (or time out,
    which counts as killed). A slot is held with an exclusive lock on a file until the process
    exits, so each concurrent worker has a test database of its own, kept between mutants.
    """
    if "MUTANT_UNDER_TEST" not in os.environ:
        return None
    held = _HELD_DATABASE_SLOTS.setdefault(os.getpid(), {})
    if held:
        # mutmut runs its statistics and clean-test sessions in its own process, one after
        # the other: the slot this process holds already is free for the next session.
        return next(iter(held))
    for slot in range(64):
        handle = open(Path(tempfile.gettempdir()) / f"ivig-mutation-db-{slot}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        held[slot] = handle
        return slot
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under mutmut, a mutant's tests run likeliest killers first (``tests/mutation_order.py``);
    after pytest-django's ordering, which it keeps."""
    mutant = mutation_order.mutant_under_test()
    if mutant is not None:
        mutation_order.order_items(items, mutant)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Under mutmut, a test that fails kills the mutant: kept to run it first for the
    function's other mutants."""
    mutant = mutation_order.mutant_under_test()
    if mutant is not None and report.failed:
        mutation_order.record_kill(report.nodeid, mutant)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, django_db_blocker: Any
) -> None:
    """pytest-django's hook, plus a test database per mutmut worker (``mutation_database_slot``)."""
    from django.conf import settings

    slot = mutation_database_slot()
    if slot is None:
        return
    for database in settings.DATABASES.values():
        if database["ENGINE"] != "django.db.backends.sqlite3":
            database.setdefault("TEST", {})["NAME"] = f"test_ivig_mutation_{slot}"
    with django_db_blocker.unblock():
        current = _kept_database_is_current(f"test_ivig_mutation_{slot}")
    use_kept_database(current)


def use_kept_database(current: bool) -> None:
    """How the test database is set up: on a kept database where every migration is applied
    already (``current``), only by pointing the connection at it instead of running ``migrate``
    again (about 1.5 s of each mutant's few seconds); otherwise as Django does, creating and
    migrating it. Said each time: a worker forked by mutmut inherits its parent's choice, made
    for the parent's slot, and its own slot's database may not exist yet."""
    from django.db.backends.base.creation import BaseDatabaseCreation

    django_create_test_db = _DJANGO_CREATE_TEST_DB.setdefault(
        "create_test_db", BaseDatabaseCreation.create_test_db
    )
    BaseDatabaseCreation.create_test_db = (  # type: ignore[method-assign]
        _point_at_kept_database if current else django_create_test_db
    )


# Django's own ``create_test_db``, kept before ``use_kept_database`` first replaces it.
_DJANGO_CREATE_TEST_DB: dict[str, Callable[..., str]] = {}


def _kept_database_is_current(name: str) -> bool:
    """Whether the PostgreSQL test database ``name`` exists with every migration on disk
    applied (a mutation worker's kept database)."""
    from django.db import DatabaseError, connections
    from django.db.migrations.loader import MigrationLoader

    default = connections["default"]
    if default.vendor != "postgresql":
        return False
    kept = type(default)({**default.settings_dict, "NAME": name}, alias="kept_mutation_db")
    try:
        with kept.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
    except DatabaseError:
        return False
    finally:
        kept.close()
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations) <= applied


def _point_at_kept_database(
    self: Any,
    verbosity: int = 1,
    autoclobber: bool = False,
    serialize: bool = True,
    keepdb: bool = False,
) -> str:
    """``create_test_db`` for a kept, current test database: what Django does after creating
    and migrating it (the connection and the settings name the test database), nothing more."""
    from django.conf import settings

    name = self._get_test_db_name()
    self.connection.close()
    settings.DATABASES[self.connection.alias]["NAME"] = name
    self.connection.settings_dict["NAME"] = name
    return str(name)


@pytest.fixture(autouse=True)
def celery_eager(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in-process (eager) in every test but those marked ``celery_worker``, which
    hand them to a real worker through the broker."""
    from ivig.celery import app as celery_app

    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    # The app reads settings with the CELERY_ namespace, where the prefixed key wins over
    # ``conf.task_always_eager``: set both.
    keys = (
        "task_always_eager",
        "task_eager_propagates",
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_TASK_EAGER_PROPAGATES",
    )
    saved = {key: celery_app.conf.get(key) for key in keys}
    celery_app.conf.update(dict.fromkeys(keys, True))
    yield
    celery_app.conf.update(saved)


@pytest.fixture(autouse=True)
def password_recheck_counts() -> Iterator[None]:
    """Each test starts with no wrong signing passwords counted (the counter is in the cache,
    which outlives a test's database transaction)."""
    yield
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    from ivig.accounts.recheck import CACHE_PREFIX

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.clear()
    else:  # Redis, shared with the broker and the other test processes: only ours
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        for key in client.scan_iter(match=f"{cache.key_prefix}*{CACHE_PREFIX}*"):
            client.delete(key)


@pytest.fixture(scope="session", autouse=True)
def cache_of_this_test_process(worker_id: str) -> Iterator[None]:
    """Under pytest-xdist each process has its own test database, whose ids overlap the
    others'; Redis is one, so each process's keys (throttle and password counters, sessions,
    token use) carry its own prefix and never meet another process's."""
    if worker_id == "master":
        yield
        return
    from django.conf import settings
    from django.test import override_settings

    caches = {
        alias: {**config, "KEY_PREFIX": f"test-{worker_id}"}
        for alias, config in settings.CACHES.items()
    }
    with override_settings(CACHES=caches):
        yield


# Reference rows that data migrations seed (products and policy, indications).
# Each model, then the data migrations that seed it, in order (later ones amend the rows).
REFERENCE_DATA_SEEDS = (
    (
        "orders",
        "Indication",
        (
            "0002_seed_indications",
            "0010_seed_indication_outcome_measures",
            "0018_seed_urgent_indications_and_billable_icd10",
        ),
    ),
    ("formulary", "Product", ("0002_seed_products_and_policy",)),
    ("formulary", "PremedicationDrug", ("0009_seed_premedication_catalogue",)),
    ("orders", "LabTest", ("0012_seed_lab_tests",)),
)


def seed_missing_reference_data() -> None:
    from importlib import import_module

    from django.apps import apps

    for app_label, model_name, migrations in REFERENCE_DATA_SEEDS:
        if not apps.get_model(app_label, model_name).objects.exists():
            for migration in migrations:
                import_module(f"{app_label}.migrations.{migration}").seed(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """A database kept with ``--reuse-db`` (the mutation runs) may have been emptied by the
    previous run's last transactional test: its seed rows are put back before any test."""
    with django_db_blocker.unblock():
        seed_missing_reference_data()


@pytest.fixture(autouse=True)
def reference_data(request: pytest.FixtureRequest) -> None:
    """Transactional tests (browser journeys, concurrency) empty every table after each test;
    the role groups come back by ``post_migrate``, the migrations' seed rows are put back here."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    seed_missing_reference_data()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(username: str, *roles: Role, password: str = TEST_PASSWORD) -> User:
        user = User.objects.create_user(username=username, password=password)
        for role in roles:
            group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
            user.groups.add(group)
        return user

    return make


@pytest.fixture
def clinician(make_user: Callable[..., User]) -> User:
    return make_user("dr-test", Role.CLINICIAN)


@pytest.fixture
def pharmacist(make_user: Callable[..., User]) -> User:
    return make_user("pharm-test", Role.PHARMACIST)


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> User:
    return make_user("nurse-test", Role.NURSE)


@pytest.fixture
def authadmin(make_user: Callable[..., User]) -> User:
    return make_user("auth-test", Role.AUTHORIZATION_ADMIN)


@pytest.fixture
def users_by_role(
    clinician: User, pharmacist: User, nurse: User, authadmin: User
) -> dict[Role, User]:
    return {
        Role.CLINICIAN: clinician,
        Role.PHARMACIST: pharmacist,
        Role.NURSE: nurse,
        Role.AUTHORIZATION_ADMIN: authadmin,
    }


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A test client signed in as ``user`` (a fresh client per call)."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def no_posted_data_as_initial(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19: a form never takes a ``QueryDict`` (posted data) as its initial values; in
    every test, a page that tries fails (tests/test_no_posted_initial.py checks the code too)."""
    from django import forms
    from django.utils.datastructures import MultiValueDict

    for form_class in (forms.BaseForm, forms.BaseModelForm):
        original = form_class.__init__

        def guarded(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> None:
            if isinstance(kwargs.get("initial"), MultiValueDict):
                raise AssertionError(f"{type(self).__name__} given posted data as initial")
            __original(self, *args, **kwargs)

        monkeypatch.setattr(form_class, "__init__", guarded)
