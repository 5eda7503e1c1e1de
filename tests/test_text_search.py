"""Every search by typed words (docs/architecture.md, "Text search"), through the pages and API
that offer it: the rows its rule names (every word found in one of the searched fields, whatever
its case), on SQLite and PostgreSQL alike; and on PostgreSQL, read from the trigram indexes of
those fields (orders migration 0026, authorizations 0005)."""

import io
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from authorizations import selectors as authorization_selectors
from authorizations.models import Authorization
from authorizations.order_picker import ORDER_MATCHES, ORDER_NUMBER, REQUESTABLE_ORDER_STATUSES
from infusions.schedule import uncovered_sessions
from ivig.accounts.models import User
from orders.models import Order, OrderStatus, Patient
from orders.patients.selectors import PATIENT_MATCHES

pytestmark = pytest.mark.django_db

PATIENT_INDEXES = {"patient_mrn_trgm", "patient_family_name_trgm", "patient_given_name_trgm"}
AUTHORIZATION_INDEXES = {
    "authorization_payer_trgm",
    "authorization_member_id_trgm",
    "authorization_reference_trgm",
}


@pytest.fixture
def centre() -> list[str]:
    """60 patients with their orders, authorizations and sessions (``seed_scale``: MRNs
    ``SC0000000`` …, family names ``Smith0``, ``Jones0`` …, ``Smith1`` …), and the words
    searched for: parts of names and MRNs in any case, a whole MRN, two words, a product's and an
    indication's name, a number, and a word found nowhere."""
    call_command("seed_scale", patients=60, stdout=io.StringIO())
    order = Order.objects.select_related("product", "indication").order_by("pk").first()
    assert order is not None
    return [
        "smith",
        "SMITH1",
        "hALL0",
        "sc000004",
        "SC0000042",
        "emma",
        "Emma smith2",
        order.product.brand_name[:5].lower(),
        order.indication.name.split()[0].upper(),
        "42",
        "zzz",
    ]


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _found(words: str, *texts: str) -> bool:
    """Every word of ``words`` in one of ``texts``, whatever the case."""
    return all(any(word.upper() in text.upper() for text in texts) for word in words.split())


def _ids(rows: Iterable[Any]) -> set[int]:
    return {row.pk for row in rows}


def _options(html: bytes) -> set[int]:
    return {int(value) for value in re.findall(r'<option value="(\d+)"', html.decode())}


def test_the_orders_page_and_api_find_current_orders_by_patient_product_or_indication(centre):
    client = _client("scale-clinician")
    orders = list(
        Order.objects.exclude(status=OrderStatus.SUPERSEDED).select_related(
            "patient", "product", "indication"
        )
    )
    for words in centre:
        expected = {
            order.pk
            for order in orders
            if _found(
                words,
                order.patient.mrn,
                order.patient.family_name,
                order.patient.given_name,
                order.product.brand_name,
                order.indication.name,
            )
        }
        page = client.get("/orders/", {"search": words}).context["page"]
        assert _ids(page.paginator.object_list) == expected, words
        listed = client.get("/api/v1/orders/", {"search": words, "limit": 100}).json()
        assert {row["id"] for row in listed["results"]} == expected, words
    assert any(_found(words, "Smith1") for words in centre)  # the words do find orders


def test_the_patients_page_api_and_picker_find_patients_by_mrn_or_name(centre):
    client = _client("scale-clinician")
    patients = list(Patient.objects.all())
    for words in centre:
        expected = {
            patient.pk
            for patient in patients
            if _found(words, patient.mrn, patient.family_name, patient.given_name)
        }
        page = client.get("/orders/patients/", {"q": words}).context["page"]
        assert _ids(page.paginator.object_list) == expected, words
        listed = client.get("/api/v1/patients/", {"search": words, "limit": 100}).json()
        assert {row["id"] for row in listed["results"]} == expected, words
        offered = _options(client.get("/orders/new/patients/", {"patient_q": words}).content)
        assert offered <= expected and len(offered) == min(len(expected), PATIENT_MATCHES), words


def test_the_order_picker_finds_requestable_orders_by_patient_or_number(centre):
    client = _client("scale-authadmin")
    orders = list(
        Order.objects.filter(status__in=REQUESTABLE_ORDER_STATUSES).select_related("patient")
    )
    root = orders[0].lineage_id or orders[0].pk
    for words in [*centre, f"iv-{root}", f"IV-{root:06d} {orders[0].patient.given_name}"]:

        def matches(order: Order, word: str) -> bool:
            number = ORDER_NUMBER.match(word)
            by_number = number is not None and int(number.group(1)) == (
                order.lineage_id or order.pk
            )
            patient = order.patient
            return by_number or _found(word, patient.mrn, patient.family_name, patient.given_name)

        expected = {
            order.pk for order in orders if all(matches(order, word) for word in words.split())
        }
        offered = _options(
            client.get("/orders/authorizations/new/orders/", {"order_q": words}).content
        )
        assert offered <= expected and len(offered) == min(len(expected), ORDER_MATCHES), words
    assert _options(
        client.get("/orders/authorizations/new/orders/", {"order_q": f"iv-{root}"}).content
    )


def test_the_authorization_list_finds_by_payer_member_id_reference_or_patient_mrn_or_family_name(
    centre,
):
    client = _client("scale-authadmin")
    authorizations = list(Authorization.objects.select_related("patient"))
    one = authorizations[0]
    for words in [*centre, "scale health", one.member_id.lower(), one.member_id[-4:]]:
        expected = {
            row.pk
            for row in authorizations
            if _found(
                words,
                row.payer,
                row.member_id,
                row.reference_number,
                row.patient.mrn,
                row.patient.family_name,
            )
        }
        page = client.get("/orders/authorizations/all/", {"q": words}).context["page"]
        assert _ids(page.paginator.object_list) == expected, words


def test_the_dashboard_panels_find_by_patient_or_payer(centre, monkeypatch):
    """Each panel searched holds the rows of the whole panel whose patient (or payer, on the
    panels of authorizations) has every word."""
    monkeypatch.setattr(authorization_selectors, "DASHBOARD_PER_PAGE", 1000)
    monkeypatch.setattr(uncovered_sessions, "UNCOVERED_PER_PAGE", 1000)
    client = _client("scale-authadmin")
    today = timezone.localdate()
    running_out = Authorization.objects.filter(
        status="approved", order__status=OrderStatus.ACTIVE
    ).order_by("pk")[:3]
    for authorization in running_out:  # the seeded approvals last the whole course
        authorization.valid_to = today + timedelta(days=10)
        authorization.save()  # its stored coverage too (authorizations/stored_coverage.py)

    def panels(words: str) -> dict[str, list[Any]]:
        board = client.get("/orders/authorizations/", {"q": words}).context["dashboard"]
        return {
            "awaiting": [row.authorization for row in board.awaiting],
            "denials": list(board.denials),
            "renewals": [row.authorization for row in board.renewals],
            "uncovered": [
                row.session
                for row in uncovered_sessions.sessions_not_covered_page(today, query=words)
            ],
        }

    def patient_of(row: Any) -> Patient:
        return row.patient if isinstance(row, Authorization) else row.order.patient

    whole = panels("")
    assert all(whole.values()), {name: len(rows) for name, rows in whole.items()}
    for words in [*centre, "scale health"]:
        for name, rows in panels(words).items():
            payer = name in ("awaiting", "denials")
            expected = {
                row.pk
                for row in whole[name]
                if _found(
                    words,
                    patient_of(row).mrn,
                    patient_of(row).family_name,
                    patient_of(row).given_name,
                    *([row.payer] if payer else []),
                )
            }
            assert _ids(rows) == expected, (name, words)


# --- PostgreSQL: the indexes ----------------------------------------------------------------

SEARCHES: list[tuple[str, str, dict[str, str], set[str]]] = [
    ("scale-clinician", "/orders/", {"search": "smith1"}, PATIENT_INDEXES),
    ("scale-clinician", "/api/v1/orders/", {"search": "smith1"}, PATIENT_INDEXES),
    ("scale-clinician", "/orders/patients/", {"q": "smith1"}, PATIENT_INDEXES),
    ("scale-clinician", "/api/v1/patients/", {"search": "smith1"}, PATIENT_INDEXES),
    ("scale-clinician", "/orders/new/patients/", {"patient_q": "smith1"}, PATIENT_INDEXES),
    (
        "scale-authadmin",
        "/orders/authorizations/new/orders/",
        {"order_q": "smith1"},
        PATIENT_INDEXES,
    ),
    (
        "scale-authadmin",
        "/orders/authorizations/all/",
        {"q": "smith1"},
        {"patient_mrn_trgm", "patient_family_name_trgm", *AUTHORIZATION_INDEXES},
    ),
    # The panels' payers are looked for among the panel's rows (by status): by that index or
    # the payer's, whichever PostgreSQL finds cheaper.
    ("scale-authadmin", "/orders/authorizations/", {"q": "smith1"}, PATIENT_INDEXES),
]


def _indexes_read(queries: Iterable[str], explain: Callable[[str], str]) -> set[str]:
    plans = "\n".join(explain(sql) for sql in queries if " LIKE " in sql)
    return set(re.findall(r"Index Scan on (\w+)", plans))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's (pg_trgm)"
)
@pytest.mark.parametrize(("username", "path", "params", "indexes"), SEARCHES)
def test_each_search_reads_the_trigram_indexes(centre, username, path, params, indexes):
    """The search's queries, as the page ran them, explained. A centre of 60 patients fits in a
    few pages, which PostgreSQL reads whole, or row by row through its primary key, rather than
    through any other index: with those ways priced out (whole-table and plain index scans,
    nested loops) the plan shows whether the trigram indexes can serve the query at all, which a
    change of its shape (the words compared over joined rows, or through another expression)
    loses."""
    client = _client(username)
    with CaptureQueriesContext(connection) as ran:
        assert client.get(path, params).status_code == 200

    def explain(sql: str) -> str:
        with connection.cursor() as cursor:
            for scan in ("seqscan", "indexscan", "indexonlyscan", "nestloop"):
                cursor.execute(f"SET LOCAL enable_{scan} = off")
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())

    assert indexes <= _indexes_read((query["sql"] for query in ran), explain)
