"""The chairs page (docs/clinical-rules.md 6): every role reads the chairs and their opening hours;
only nurses add and change them, through ``chair_save``."""

from datetime import time

import pytest
from django.urls import reverse

from infusions.chairs.forms import parse_windows
from infusions.models import Chair
from ivig.accounts.roles import Role
from tests.infusions.factories import ChairFactory

pytestmark = pytest.mark.django_db

READ_ONLY_ROLES = [Role.CLINICIAN, Role.PHARMACIST, Role.AUTHORIZATION_ADMIN]


def hours_of(chair: Chair) -> list[tuple[int, time, time]]:
    return [(h.weekday, h.opens_at, h.closes_at) for h in chair.opening_hours.order_by("weekday")]


def form_data(**overrides: str) -> dict[str, str]:
    data = {"name": "Chair 9", "location": "Day unit", "active": "on"}
    data |= {f"hours_{day}": "08:00-18:00" for day in range(5)}
    data |= {"hours_5": "", "hours_6": ""}
    return data | overrides


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_chairs(role, users_by_role, client_for) -> None:
    ChairFactory.create(name="Chair 1", hours=[(0, "08:00", "12:00"), (0, "13:00", "17:00")])
    page = client_for(users_by_role[role]).get(reverse("infusions:chairs"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Chair 1" in text and "Monday 08:00 to 12:00" in text and "Monday 13:00 to 17:00" in text
    assert ('data-testid="chair-add"' in text) is (role == Role.NURSE)


def test_the_chairs_page_shows_each_chair_s_hours_in_order_in_a_fixed_number_of_queries(
    users_by_role, client_for, django_assert_max_num_queries
) -> None:
    client = client_for(users_by_role[Role.NURSE])
    url = reverse("infusions:chairs")
    ChairFactory.create(name="Chair <b>A</b>", hours=[(2, "13:00", "17:00"), (0, "08:00", "12:00")])
    ChairFactory.create(name="Chair B", hours=[])
    ChairFactory.create(name="Chair 0", hours=[(6, "07:00", "21:00")], active=False)
    client.get(url)
    with django_assert_max_num_queries(50) as few:
        text = client.get(url).content.decode()
    assert "Chair &lt;b&gt;A&lt;/b&gt;</td>" in text
    assert "<td>Monday 08:00 to 12:00<br>Wednesday 13:00 to 17:00</td>" in text
    assert "<td>Never open</td>" in text
    assert text.index("Chair B") < text.index("Chair 0<")  # in use first, then by name
    assert text.index("Chair 0<") < text.index("Sunday 07:00 to 21:00")
    for n in range(10):
        ChairFactory.create(name=f"Chair {n:02d}", hours=[(d, "07:00", "21:00") for d in range(7)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_schedule_links_to_the_chairs(users_by_role, client_for) -> None:
    page = client_for(users_by_role[Role.NURSE]).get(reverse("infusions:schedule"))
    assert reverse("infusions:chairs") in page.content.decode()


def test_a_nurse_adds_a_chair_with_opening_hours(users_by_role, client_for) -> None:
    client = client_for(users_by_role[Role.NURSE])
    assert client.get(reverse("infusions:chair-add")).status_code == 200
    data = form_data(hours_5="09:00-12:00, 13:00 - 15:30")
    response = client.post(reverse("infusions:chair-add"), data)
    assert response.status_code == 302 and response.url == reverse("infusions:chairs")
    chair = Chair.objects.get(name="Chair 9")
    assert chair.active and chair.location == "Day unit"
    assert hours_of(chair) == [
        *[(day, time(8), time(18)) for day in range(5)],
        (5, time(9), time(12)),
        (5, time(13), time(15, 30)),
    ]
    latest = chair.history.first()
    assert latest is not None and latest.history_user == users_by_role[Role.NURSE]


def test_a_nurse_changes_a_chair(users_by_role, client_for) -> None:
    chair = ChairFactory.create(name="Chair 1")
    client = client_for(users_by_role[Role.NURSE])
    url = reverse("infusions:chair-edit", args=[chair.pk])
    page = client.get(url).content.decode()
    assert 'value="07:00-21:00"' in page  # the current hours prefill the form
    data = form_data(name="Chair 1A", hours_0="", hours_6="10:00-14:00")
    del data["active"]  # unticked: out of use
    assert client.post(url, data).status_code == 302
    chair.refresh_from_db()
    assert (chair.name, chair.active) == ("Chair 1A", False)
    assert hours_of(chair) == [
        *[(day, time(8), time(18)) for day in range(1, 5)],
        (6, time(10), time(14)),
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hours_2": "8 to six"}, "is not an opening"),
        ({"hours_2": "18:00-08:00"}, "closes after it opens"),
        ({"hours_2": "08:00-12:00, 11:00-13:00"}, "cannot overlap"),
        ({"hours_2": "25:00-26:00"}, "is not an opening"),
        ({"name": "Chair 1"}, "already exists"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_refusals_show_on_the_form(overrides, message, users_by_role, client_for) -> None:
    ChairFactory.create(name="Chair 1")
    client = client_for(users_by_role[Role.NURSE])
    response = client.post(reverse("infusions:chair-add"), form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Chair.objects.count() == 1


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_only_nurses_add_or_change_chairs(role, users_by_role, client_for) -> None:
    chair = ChairFactory.create(name="Chair 1")
    client = client_for(users_by_role[role])
    for url in (reverse("infusions:chair-add"), reverse("infusions:chair-edit", args=[chair.pk])):
        assert client.get(url).status_code == 403, url
        assert client.post(url, form_data()).status_code == 403, url
    assert list(Chair.objects.values_list("name", flat=True)) == ["Chair 1"]


def test_unknown_chair_is_404(users_by_role, client_for) -> None:
    client = client_for(users_by_role[Role.NURSE])
    assert client.get(reverse("infusions:chair-edit", args=[999])).status_code == 404


def test_parse_windows() -> None:
    assert parse_windows("") == []
    assert parse_windows(" 7:00\u201321:00 ") == [(time(7), time(21))]
    assert parse_windows("13:00-17:00, 08:00-12:00") == [
        (time(8), time(12)),
        (time(13), time(17)),
    ]
