"""The read collector (ivig/audit/reads.py): each record once, in the order first read, ids as
strings, nothing for a missing id; linear in the ids it is given (a calendar feed names
15,000 sessions in one request)."""

from ivig.audit.reads import ReadCollector


def test_each_record_once_in_the_order_first_read() -> None:
    shown = ReadCollector()
    shown.add("orders.patient", [7, 3, 7, None, "3", 12])
    shown.add("infusions.infusionsession", [])
    shown.add("orders.patient", [1, 12])
    assert shown.records == {
        "orders.patient": ["7", "3", "12", "1"],
        "infusions.infusionsession": [],
    }


def test_a_type_read_with_no_record_is_kept_empty_and_in_its_place() -> None:
    shown = ReadCollector()
    shown.add("orders.order", [None])
    shown.add("orders.patient", [5])
    assert list(shown.records) == ["orders.order", "orders.patient"]
    assert shown.records["orders.order"] == []


def test_two_hundred_thousand_ids_with_repeats() -> None:
    # Asking a list whether it holds each id (the old way) would take hours here: this test
    # would not finish. Linear, it takes a fraction of a second.
    ids = list(range(200_000))
    shown = ReadCollector()
    shown.add("infusions.infusionsession", ids)
    shown.add("infusions.infusionsession", reversed(ids))
    assert shown.records["infusions.infusionsession"] == [str(pk) for pk in ids]
