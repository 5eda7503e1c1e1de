"""Schemathesis over the whole API as every role (docs/api.md, Errors): no 5xx, no status the
operation does not document, no body or content type unlike the documented one.

Derandomized and bounded (``FUZZ_EXAMPLES`` cases per operation, role and generation mode) so
it runs in CI in about two minutes; ``bench/fuzz_api.py`` runs the same checks for tens of
thousands of requests.
"""

import pytest
from django.core.management import call_command

from .fuzzing import demo_tokens, fuzz, seeded_path_values

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = 3


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
    assert len(run.roles) == 4
    assert len(run.operations) > 50
    assert run.statuses[200] + run.statuses[201] > run.requests // 10, run.summary()
    assert not run.distinct, run.summary() + "\n\n" + "\n\n".join(map(str, run.distinct))
