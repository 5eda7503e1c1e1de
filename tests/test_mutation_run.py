"""`make mutate`'s runner (mutation/run.py, docs/mutation-testing.md)."""

from mutation.run import survivors_to_retest


def test_only_survivors_held_from_before_the_run_are_tested_again() -> None:
    """A survivor mutmut kept from an earlier run may be killed by a test written since; one
    found in this run has met these tests already, and one killed since is done."""
    cached = ["m.x_f__mutmut_1", "m.x_f__mutmut_2", "m.x_g__mutmut_1"]
    after_run = ["m.x_f__mutmut_1", "m.x_h__mutmut_3"]
    assert survivors_to_retest(cached, after_run) == ["m.x_f__mutmut_1"]
