"""``seed_demo`` makes the demo chairs and books a verified demo order's first cycle, once."""

import pytest
from django.core.management import call_command

from infusions import demo
from infusions.models import Chair, InfusionSession

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")
    assert sorted(Chair.objects.values_list("name", flat=True)) == ["Chair 1", "Chair 2", "Chair 3"]
    saturday = Chair.objects.get(name="Chair 1").opening_hours.filter(weekday=5).get()
    assert (saturday.opens_at.hour, saturday.closes_at.hour) == (9, 13)
    sessions = InfusionSession.objects.count()
    call_command("seed_demo")
    assert Chair.objects.count() == 3
    assert InfusionSession.objects.count() == sessions
    lines = demo.seed()
    assert lines[0] == "demo chairs: 3 (0 new)"


def test_seed_skipped_without_debug(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    assert demo.seed() == ["demo chairs skipped: DEBUG is off"]
