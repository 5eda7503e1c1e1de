"""Schemathesis over the whole API as every role (docs/api.md, Errors): no 5xx, no status the
operation does not document, no body or content type unlike the documented one.

Derandomized and bounded (``FUZZ_EXAMPLES`` cases per operation, role and generation mode:
positive, negative and the extremes of issue 22 — far dates, huge and non-finite numbers) so
it runs in CI in a few minutes; ``bench/fuzz_api.py`` runs the same checks for
tens of thousands of requests.
"""

from types import SimpleNamespace

import pytest
from django.core.management import call_command
from rest_framework.exceptions import Throttled

from .fuzzing import EXTREMES, demo_tokens, fuzz, seeded_path_values

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = 4


@pytest.fixture
def seeded(settings) -> None:
    settings.DEBUG = True  # the demo data is seeded only in development
    call_command("seed_demo")
    settings.DEBUG = False


def test_the_whole_api_survives_schemathesis_as_every_role(seeded):
    run = fuzz(
        tokens=demo_tokens(),
        path_values=seeded_path_values(),
        max_examples=FUZZ_EXAMPLES,
    )
    print(run.summary())  # the counts, for the record (pytest -s)
    assert len(run.roles) == 4
    assert len(run.operations) > 50
    extremes = [finding for finding in run.findings if finding.mode == EXTREMES]
    assert not extremes, "\n\n".join(map(str, extremes))
    assert run.statuses[200] + run.statuses[201] > run.requests // 10, run.summary()
    assert not run.distinct, run.summary() + "\n\n" + "\n\n".join(map(str, run.distinct))


@pytest.mark.parametrize(
    ("fault", "status", "check"),
    [
        (RuntimeError("boom"), 500, "Server error"),
        (Throttled(), 429, "Undocumented status code"),
        ([SimpleNamespace(value=7)], 200, "Response violates schema"),
    ],
)
def test_the_driver_reports_a_server_error_an_undocumented_status_and_a_wrong_body(
    seeded, monkeypatch, fault, status, check
):
    """The checks bite: ``GET /api/v1/me/`` made to fail each way is a finding."""

    def broken(user):
        if isinstance(fault, Exception):
            raise fault
        return fault

    monkeypatch.setattr("ivig.api.base.roles_of", broken)
    tokens = demo_tokens()
    run = fuzz(
        tokens={"nurse": tokens["nurse"]},
        path_values=seeded_path_values(),
        max_examples=1,
        only=lambda label: label == "GET /api/v1/me/",
    )
    assert run.operations == {"GET /api/v1/me/"}
    assert run.findings, run.summary()
    finding = run.findings[0]
    assert finding.status == status
    assert check in finding.titles, finding
    if status == 500:
        assert "RuntimeError: boom" in finding.server_traceback
