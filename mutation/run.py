"""`make mutate`: mutation testing of the engine and the rule-bearing services with mutmut 3
(docs/mutation-testing.md).

Each scope of ``mutation/scopes.toml`` runs in its own copy of the tree, ``.mutation/<scope>/``
(the tracked files and new untracked ones, synced by size and modification time), whose
``pyproject.toml`` gets the scope's ``[tool.mutmut]`` table: mutmut reads its configuration from the
working directory, and one table per copy keeps the scopes' test selections and caches apart.
mutmut then copies that tree into ``mutants/``, mutates the scope's modules and runs, for each
mutant, the selected tests that reached the mutated function, in parallel workers. Results are
cached per function: a second run only re-tests functions (or tests) that changed.

Usage: ``python mutation/run.py [scope ...] [--workers N] [--fresh] [--only MUTANT ...]``;
then the per-module report (``mutation/report.py``) for each scope. Exit status 1 when a module
is under its scope's minimum kill rate.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCOPES_FILE = ROOT / "mutation" / "scopes.toml"
WORK_DIR = ROOT / ".mutation"
# What mutmut copies and may mutate (source_paths) and what the tests need besides (also_copy):
# every other top-level package (an app in INSTALLED_APPS that is missing from the copy stops
# Django's set-up, hence every mutant), found rather than listed so a new app is not forgotten.
SOURCE_PATHS = ("ivig", "formulary", "orders", "authorizations", "infusions")
ALSO_COPY_FILES = ("templates/", "manage.py")
# Never needed by a test run under mutation.
SKIPPED_TOP_LEVEL = ("static", "bench", "docs", "node_modules", ".mutation")
# The results of each scope's last run, committed (``mutation/baseline/<scope>.tar.gz``: mutmut's
# per-module ``.meta`` files and its test statistics): a new clone starts from them and mutmut
# re-tests only the functions whose code changed since (its own per-function hashes), as the
# kept ``.mutation/`` does on one machine. ``--fresh`` ignores them.
BASELINE_DIR = ROOT / "mutation" / "baseline"
BASELINE_FILES = ("*.py.meta", "mutmut-stats.json")


def tree_files() -> list[str]:
    """Tracked files and untracked ones not ignored, relative to the repository root."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    return sorted(
        name
        for name in listed
        if name
        and name.split("/", 1)[0] not in SKIPPED_TOP_LEVEL
        and (ROOT / name).is_file()
        and not (ROOT / name).is_symlink()
    )


def also_copy() -> list[str]:
    """The top-level packages besides SOURCE_PATHS (mutmut copies ``tests`` itself), then the
    templates and manage.py."""
    packages = sorted(
        path.name + "/"
        for path in ROOT.iterdir()
        if (path / "__init__.py").is_file()
        and path.name not in SOURCE_PATHS
        and path.name != "tests"
        and path.name not in SKIPPED_TOP_LEVEL
    )
    return [*packages, *ALSO_COPY_FILES]


def _same(source: Path, target: Path) -> bool:
    if not target.exists():
        return False
    a, b = source.stat(), target.stat()
    return a.st_size == b.st_size and int(a.st_mtime) == int(b.st_mtime)


def sync(files: list[str], source_root: Path, target_root: Path) -> int:
    """Copy ``files`` that differ (size or mtime; mtime kept) and remove those no longer listed
    (outside ``mutants/``). Returns how many files were copied or removed."""
    changed = 0
    wanted = set(files)
    for name in files:
        source, target = source_root / name, target_root / name
        if not _same(source, target):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            changed += 1
    for path in target_root.rglob("*"):
        relative = path.relative_to(target_root).as_posix()
        if relative.split("/", 1)[0] == "mutants" or not path.is_file():
            continue
        if relative not in wanted and relative != "pyproject.toml":
            path.unlink()
            changed += 1
    return changed


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join('"' + value.replace('"', '\\"') + '"' for value in values) + "]"


def mutmut_table(scope: dict[str, object]) -> str:
    only_mutate = scope["only_mutate"]
    selection = scope["pytest_add_cli_args_test_selection"]
    assert isinstance(only_mutate, list) and isinstance(selection, list)
    covered_only = "true" if scope.get("mutate_only_covered_lines") else "false"
    extra_args = scope.get("pytest_add_cli_args", [])
    assert isinstance(extra_args, list)
    lines = [
        "",
        "[tool.mutmut]",
        f"source_paths = {_toml_list(list(SOURCE_PATHS))}",
        f"only_mutate = {_toml_list(only_mutate)}",
        'do_not_mutate = ["*/migrations/*"]',
        f"also_copy = {_toml_list(also_copy())}",
        f"pytest_add_cli_args_test_selection = {_toml_list(selection)}",
        f"pytest_add_cli_args = {_toml_list(['-p', 'no:cacheprovider', *extra_args])}",
        f"mutate_only_covered_lines = {covered_only}",
    ]
    return "\n".join(lines) + "\n"


def refresh_stale_copies(scope_dir: Path, only_mutate: list[str]) -> None:
    """mutmut copies a source file into ``mutants/`` once and never again unless it mutates it:
    refresh the copies of the files it does not mutate, so an edit to a model or a test reaches
    the next run. Every module it mutates is put back as the plain source (its time kept), which
    mutmut takes for "copied, not yet mutated" and mutates again: its per-function hashes then
    keep the verdicts of the functions that did not change. (Judged by modification times, a
    module edited before its mutants were written but synced after would stay stale, and with
    ``mutate_only_covered_lines`` mutmut's coverage run imports it: a name added since fails
    the whole run.)"""
    import fnmatch

    mutants = scope_dir / "mutants"
    if not mutants.exists():
        return
    for name in tree_files():
        if name.split("/", 1)[0] not in SOURCE_PATHS:
            continue
        source, target = scope_dir / name, mutants / name
        if not target.exists():
            continue
        mutated = any(fnmatch.fnmatch(name, pattern) for pattern in only_mutate)
        if mutated or not _same(source, target):
            shutil.copy2(source, target)


def restore_baseline(name: str, scope_dir: Path) -> bool:
    """Start a scope without results on this machine from its committed baseline, if any."""
    archive = BASELINE_DIR / f"{name}.tar.gz"
    mutants = scope_dir / "mutants"
    if mutants.exists() or not archive.exists():
        return False
    mutants.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(mutants, filter="data")
    return True


def save_baseline(name: str, scope_dir: Path) -> None:
    """Keep the scope's results as its baseline (entries sorted, times zeroed: the archive
    changes only when the results do)."""
    mutants = scope_dir / "mutants"
    found = sorted(path for pattern in BASELINE_FILES for path in mutants.rglob(pattern))
    if not found:
        return
    BASELINE_DIR.mkdir(exist_ok=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in found:
            info = tar.gettarinfo(path, arcname=path.relative_to(mutants).as_posix())
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with path.open("rb") as handle:
                tar.addfile(info, handle)
    (BASELINE_DIR / f"{name}.tar.gz").write_bytes(gzip.compress(buffer.getvalue(), mtime=0))


def survivors(scope_dir: Path) -> list[str]:
    """The mutants whose last result was survived or no tests (mutmut's exit codes 0, 5, 33)."""
    found: list[str] = []
    for meta in sorted((scope_dir / "mutants").rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        found.extend(name for name, code in codes.items() if code in (0, 5, 33))
    return found


def survivors_to_retest(cached: list[str], after_run: list[str]) -> list[str]:
    """mutmut keeps a survivor's result while its function is unchanged, even when new tests
    reach the function: the survivors it held before the run (``cached``, from an earlier run or
    the baseline) that survive still are re-tested, so that a test written for one counts. A
    survivor found in this run was tested against these tests already (about a minute each)."""
    before = set(cached)
    return [name for name in after_run if name in before]


def run_scope(
    name: str, scope: dict[str, object], workers: int, fresh: bool, only: list[str]
) -> int:
    if scope.get("needs_postgres") and not os.environ.get("DATABASE_URL", "").startswith(
        "postgres"
    ):
        # On SQLite every mutant's pytest builds the in-memory test database again (about 20 s),
        # so mutants time out and count as killed: a verdict that means nothing.
        print(f"scope {name} needs DATABASE_URL=postgres://... (see docs/mutation-testing.md)")
        return 2
    scope_dir = WORK_DIR / name
    if fresh and scope_dir.exists():
        shutil.rmtree(scope_dir)
    scope_dir.mkdir(parents=True, exist_ok=True)
    if not fresh and restore_baseline(name, scope_dir):
        print(f"== scope {name}: results of its last run restored from mutation/baseline/")
    files = tree_files()
    changed = sync(files, ROOT, scope_dir)
    pyproject = (ROOT / "pyproject.toml").read_text() + mutmut_table(scope)
    target = scope_dir / "pyproject.toml"
    if not target.exists() or target.read_text() != pyproject:
        target.write_text(pyproject)
    only_mutate = scope["only_mutate"]
    assert isinstance(only_mutate, list)
    refresh_stale_copies(scope_dir, only_mutate)
    print(f"== scope {name}: {scope_dir} ({changed} files synced)", flush=True)
    bin_dir = Path(sys.executable).parent
    mutmut = shutil.which("mutmut", path=str(bin_dir)) or "mutmut"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [mutmut, "run", "--max-children", str(workers)]
    cached_survivors = survivors(scope_dir)
    completed = subprocess.run([*command, *only], cwd=scope_dir, env=env, check=False)
    if completed.returncode == 0 and not only:
        again = survivors_to_retest(cached_survivors, survivors(scope_dir))
        if again:
            print(f"== scope {name}: re-testing {len(again)} survivors", flush=True)
            completed = subprocess.run([*command, *again], cwd=scope_dir, env=env, check=False)
    save_baseline(name, scope_dir)
    if completed.returncode != 0:
        print(f"mutmut run failed for scope {name} (exit {completed.returncode})", flush=True)
        return 2
    report = subprocess.run(
        [sys.executable, str(ROOT / "mutation" / "report.py"), "--scope", name],
        cwd=scope_dir,
        check=False,
    )
    return report.returncode


def main() -> int:
    scopes = tomllib.loads(SCOPES_FILE.read_text())
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("scopes", nargs="*", help=f"default: all of {', '.join(scopes)}")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--fresh", action="store_true", help="forget cached results")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="MUTANT",
        help="re-test only these mutants (names or globs, e.g. 'ivig.engine.rates.*')",
    )
    parser.add_argument(
        "--save-baseline",
        action="store_true",
        help="only keep the results of the last run (an interrupted one too) as the baseline",
    )
    args = parser.parse_args()
    unknown = [name for name in args.scopes if name not in scopes]
    if unknown:
        parser.error(f"unknown scope {', '.join(unknown)}; known: {', '.join(scopes)}")
    if args.save_baseline:
        for name in args.scopes or list(scopes):
            save_baseline(name, WORK_DIR / name)
        return 0
    worst = 0
    for name in args.scopes or list(scopes):
        worst = max(worst, run_scope(name, scopes[name], args.workers, args.fresh, args.only))
    return worst


if __name__ == "__main__":
    sys.exit(main())
