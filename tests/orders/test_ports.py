"""The orders app's ports (orders/ports.py): every upward question is answered once the apps are
ready, by the app a layer above that owns the answer, and a port nothing answers fails loudly."""

import pytest

from authorizations.coverage_rules import orders_are_covered
from infusions.administration.session_reasons import session_inputs
from infusions.booking.last_cycle import last_cycles_of
from infusions.booking.session_plan import live_sessions_of
from orders import ports


def test_after_start_up_every_port_is_answered():
    assert ports.unanswered_ports() == []


def test_each_port_is_answered_by_the_app_that_owns_the_answer():
    assert ports.coverage_judge() is orders_are_covered
    assert ports.calendar_source() is live_sessions_of
    assert ports.session_source() is session_inputs
    assert ports.last_cycle_source() is last_cycles_of


@pytest.mark.parametrize(
    ("slot", "getter"),
    [
        (ports._coverage_judge, ports.coverage_judge),
        (ports._calendar_source, ports.calendar_source),
        (ports._session_source, ports.session_source),
        (ports._last_cycle_source, ports.last_cycle_source),
    ],
)
def test_a_port_nothing_answers_fails_loudly(monkeypatch, slot, getter):
    monkeypatch.setattr(slot, "answer", None)
    with pytest.raises(ports.PortNotRegistered, match=slot.name):
        getter()
