"""`make mutate`'s runner (mutation/run.py, docs/mutation-testing.md)."""

import importlib.util
from pathlib import Path
from typing import Any


def _runner() -> Any:
    """mutation/run.py, a script (the directory is not a package)."""
    path = Path(__file__).resolve().parent.parent / "mutation" / "run.py"
    spec = importlib.util.spec_from_file_location("mutation_runner", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_survivors_held_from_before_the_run_are_tested_again() -> None:
    """A survivor mutmut kept from an earlier run may be killed by a test written since; one
    found in this run has met these tests already, and one killed since is done."""
    cached = ["m.x_f__mutmut_1", "m.x_f__mutmut_2", "m.x_g__mutmut_1"]
    after_run = ["m.x_f__mutmut_1", "m.x_h__mutmut_3"]
    assert _runner().survivors_to_retest(cached, after_run) == ["m.x_f__mutmut_1"]
