"""The words clinicians read, and the edges of the restart and weight-check arithmetic.

- Laboratory findings' messages (docs/clinical-rules.md 3.8.2, 3.8.3) in full: the day of the
  result when known and nothing in its place when not; the reaction list with its fallbacks.
- Restart (docs/clinical-rules.md 3.5): a restart at 1 mL/h is allowed; minutes round up (not to
  nearest); the volume given starts from nothing and rounds half up; a segment of 0 minutes is
  no error; the refusals say why.
- Unusual weights (docs/clinical-rules.md 3.1): percentages and BMIs half up; the guards that
  skip a zero previous weight, a zero height or a zero weight.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ivig.engine import findings as f
from ivig.engine.restart import RateSegment, planned_rate_at, restart_plan, volume_given_ml
from ivig.engine.weights import unusual_weight_reasons

D = Decimal
DAY = date(2026, 12, 2)


# --- laboratory messages ---------------------------------------------------------------------


def test_egfr_words_with_and_without_the_day() -> None:
    assert f.egfr_words(D(48), DAY) == "from eGFR 48 on 2 Dec 2026"
    assert f.egfr_words(D("47.5"), None) == "from eGFR 47.5"


def test_iga_status_check_message() -> None:
    message = (
        "IgA below the detection limit{on} while the recorded IgA status is normal: check "
        "anti-IgA antibodies and update the IgA status (anaphylaxis risk with products that are "
        "not low-IgA)."
    )
    assert f.iga_status_check("normal", DAY).message == message.format(on=" on 2 Dec 2026")
    assert f.iga_status_check("normal", None).message == message.format(on="")


def test_blood_group_check_messages() -> None:
    assert f.blood_group_check("unknown", "A", DAY).message == (
        "The laboratory's ABO group is A on 2 Dec 2026, but the blood group is not recorded: "
        "record it (hemolysis risk is judged on it)."
    )
    assert f.blood_group_check("O", "AB", None).message == (
        "The laboratory's ABO group is AB, but the recorded blood group is O: check and correct "
        "the record."
    )


def test_prior_infusion_reaction_message_lists_each_reaction_in_day_order() -> None:
    finding = f.prior_infusion_reaction(
        [
            (date(2026, 12, 9), "moderate", "", None),
            (DAY, "mild", "flushing, headache", 120),
        ]
    )
    assert finding.message == (
        "Infusion reaction on an earlier session (2 Dec 2026: mild (flushing, headache) at "
        "120 mL/h; 9 Dec 2026: moderate (no symptom listed)) has no plan yet: a clinician "
        "records one (a lower maximum rate, added premedication, or continue unchanged with a "
        "reason) before this session starts."
    )


# --- restart ---------------------------------------------------------------------------------


def test_a_restart_at_1_ml_per_h_is_allowed() -> None:
    plan = restart_plan(rate_ml_per_h=1, daily_volume_ml=2, volume_given_ml=D("1.5"))
    assert (plan.rate_ml_per_h, plan.infusion_minutes) == (1, 30)


def test_restart_minutes_round_up_even_a_small_part() -> None:
    # 10.1 mL at 60 mL/h = 10.1 minutes -> 11 (not 10)
    plan = restart_plan(rate_ml_per_h=60, daily_volume_ml=20, volume_given_ml=D("9.9"))
    assert plan.infusion_minutes == 11


def test_restart_refusals_say_why() -> None:
    with pytest.raises(ValueError, match=r"^a restart needs a rate of at least 1 mL/h$"):
        restart_plan(rate_ml_per_h=0, daily_volume_ml=100, volume_given_ml=D(0))
    with pytest.raises(ValueError, match=r"^segments need non-negative minutes and rates$"):
        volume_given_ml([RateSegment(-1, D(5))])
    with pytest.raises(ValueError, match=r"^a plan without titration steps has no rate$"):
        planned_rate_at([], D(0))


def test_volume_given_starts_from_nothing() -> None:
    # 24 mL/h for 0.1 minute = 0.04 mL -> 0.0
    assert volume_given_ml([RateSegment(24, D("0.1"))]) == D("0.0")
    # 30 mL/h for 0.1 minute = 0.05 mL -> 0.1 (half up)
    assert volume_given_ml([RateSegment(30, D("0.1"))]) == D("0.1")


def test_a_segment_of_no_minutes_is_no_error() -> None:
    assert volume_given_ml([RateSegment(30, D(0)), RateSegment(60, D(1))]) == D(1)


# --- unusual weights -------------------------------------------------------------------------


def reasons(**overrides: object) -> list[str]:
    facts: dict[str, object] = {
        "weight_kg": D(70),
        "height_cm": D(175),
        "age_years": 40,
        "measured_on": DAY,
        "previous_weight_kg": None,
        "previous_measured_on": None,
    }
    facts.update(overrides)
    return unusual_weight_reasons(**facts)  # type: ignore[arg-type]


def test_change_percent_rounds_half_up() -> None:
    # 40 -> 49 kg: 22.5 % -> 23 % (half even would say 22)
    assert reasons(
        weight_kg=D(49), height_cm=None, previous_weight_kg=D(40), previous_measured_on=DAY
    ) == ["49 kg is 23 % more than 40 kg measured the same day."]


def test_a_previous_weight_of_1_kg_is_compared() -> None:
    assert reasons(
        weight_kg=D("1.5"), height_cm=None, previous_weight_kg=D(1), previous_measured_on=DAY
    ) == ["1.5 kg is 50 % more than 1 kg measured the same day."]


def test_a_previous_weight_of_0_is_not_compared() -> None:
    assert reasons(height_cm=None, previous_weight_kg=D(0), previous_measured_on=DAY) == []


def test_bmi_shown_half_up() -> None:
    # 11.85 kg at 100 cm: BMI 11.85 -> 11.9 (half even would show 11.8)
    assert reasons(weight_kg=D("11.85"), height_cm=D(100)) == [
        "BMI 11.9 (11.85 kg at 100 cm) is under 12 for an adult."
    ]


def test_bmi_guards_skip_a_zero_height_or_weight_only() -> None:
    assert reasons(height_cm=D(0)) == []
    assert reasons(weight_kg=D(0)) == []
    # 1 kg at 100 cm is BMI 1; 70 kg at 1 cm is far over 80: both are checked
    assert reasons(weight_kg=D(1), height_cm=D(100)) == [
        "BMI 1.0 (1 kg at 100 cm) is under 12 for an adult."
    ]
    assert reasons(weight_kg=D(70), height_cm=D(1))[0].endswith("is over 80 for an adult.")
