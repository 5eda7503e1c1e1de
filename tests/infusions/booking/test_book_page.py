"""The booking page draws its chair selects from few reads of the chairs (issue 21): the
proposal's, the proposal form's and one for every day of the cycle together (each day's select
lists the same active chairs), however many days; the selects list every active chair by name
with the proposed one selected, as before."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.infusions.factories import ChairFactory, verified_order

pytestmark = pytest.mark.django_db

READS_CHAIRS = re.compile(r'FROM "infusions_chair"(?!\w)')


def test_the_days_chair_selects_read_the_chairs_once(client, nurse) -> None:
    chairs = [ChairFactory.create(name=f"Chair {letter}") for letter in "CAB"]
    order = verified_order()
    client.force_login(nurse)
    url = reverse("infusions:book", args=[order.pk, 1])
    client.get(url)  # the catalogue and per-process caches warmed
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    chair_reads = [query for query in queries if READS_CHAIRS.search(query["sql"])]
    assert len(chair_reads) == 3, "\n".join(query["sql"][-160:] for query in chair_reads)
    selects = re.findall(r'<select name="day-(\d)-chair".*?</select>', page, re.S)
    assert selects == ["0", "1", "2", "3", "4"]
    for number in range(5):
        select = re.search(rf'<select name="day-{number}-chair".*?</select>', page, re.S)
        assert select is not None
        assert re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0)) == [
            "---------",
            "Chair A",
            "Chair B",
            "Chair C",
        ]
        assert re.findall(r'<option value="(\d+)" selected>', select.group(0)) == [
            str(chairs[1].pk)  # first fit: the first chair by name
        ]
