"""``manage.py check_stored_dates`` lists the rows saved before the date bounds that fall
outside their window (issue 22)."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from orders.models import Patient
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_rows_outside_their_window_are_listed():
    ok = PatientFactory.create()
    far = PatientFactory.create()
    Patient.objects.filter(pk=far.pk).update(date_of_birth=date(1, 1, 1))
    out = StringIO()
    with pytest.raises(CommandError, match="1 stored rows outside"):
        call_command("check_stored_dates", stdout=out)
    assert f"orders.Patient {far.pk}: date_of_birth 0001-01-01" in out.getvalue()
    assert f"orders.Patient {ok.pk}:" not in out.getvalue()


def test_a_clean_database_passes():
    PatientFactory.create()
    out = StringIO()
    call_command("check_stored_dates", stdout=out)
    assert "within its window" in out.getvalue()
