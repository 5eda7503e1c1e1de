"""Read queries of the orders app: what pages and the API list and show."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from formulary.models import Product
from ivig.audit.history import HistoryEntry, history_entries, newest_first
from ivig.templatetags.clinical import finding_title

from .models import (
    NEXT_CYCLE_FIELDS,
    PLAN_FIGURE_FIELDS,
    Indication,
    Order,
    OrderOverride,
    OrderStatus,
    Patient,
    PremedicationLine,
)
from .patients.selectors import patients_with_text
from .services import ORDER_FIELDS

# --- orders ----------------------------------------------------------------------------------


def orders_with_related(orders: QuerySet[Order] | None = None) -> QuerySet[Order]:
    """Orders with their patient, product, indication, people and overrides loaded: a list of
    any length costs the same few queries.

    Patient, product and indication come by their own small queries rather than joins: with
    seven joins PostgreSQL spent 10-45 ms planning the list (its execution: 1 ms); the people
    (one table) join cheaply."""
    if orders is None:
        orders = Order.objects.all()
    return orders.select_related(
        "created_by",
        "signed_by",
        "verified_by",
        "discontinued_by",
    ).prefetch_related(
        "patient",
        "product",
        "indication",
        Prefetch(
            "overrides",
            queryset=OrderOverride.objects.select_related("overridden_by", "acknowledged_by"),
        ),
        Prefetch(
            "premedication_lines",
            queryset=PremedicationLine.objects.select_related("drug"),
        ),
    )


# The stored plan and findings (JSON): lists never show them (orders/plan_figures.py).
PLAN_JSON_FIELDS = ("plan_at_signing", "findings_at_signing")


# What a table of orders shows (orders/_order_rows.html, the verification queue): the order's
# own columns, its patient, indication, product and signer by one join each.
ORDER_TABLE_FIELDS = (
    "id",
    "lineage_id",
    "revision",
    "status",
    "start_date",
    "created_at",
    "urgent",
    "urgent_reason",
    "signed_at",
    "patient__family_name",
    "patient__given_name",
    "patient__mrn",
    "indication__name",
    "product__brand_name",
    "signed_by__username",
    "signed_by__first_name",
    "signed_by__last_name",
)


def order_table_rows(orders: QuerySet[Order] | None = None) -> QuerySet[Order]:
    """Orders as a table lists them: only the columns shown, with their overrides' codes (four
    queries and three quarters of the columns less than ``orders_with_related``: a page of 50
    at 10,000 patients reads in 4.5 ms instead of 18). Joined, not prefetched: with the columns
    cut to these few, the four joins cost PostgreSQL about a millisecond of planning, less than
    the three queries they replace."""
    if orders is None:
        orders = Order.objects.all()
    return (
        orders.select_related("patient", "indication", "product", "signed_by")
        .only(*ORDER_TABLE_FIELDS)
        .prefetch_related(
            Prefetch("overrides", queryset=OrderOverride.objects.only("id", "order_id", "code"))
        )
    )


def order_api_rows(orders: QuerySet[Order] | None = None) -> QuerySet[Order]:
    """Orders as ``/api/v1/orders/`` lists them (``OrderSerializer``): every column of the order;
    of its people the username, of its product, indication and premedication drugs the slug; the
    patient by id alone. What ``orders_with_related`` loads besides (whole patient, product,
    indication and user rows) the list never shows."""
    if orders is None:
        orders = Order.objects.all()
    people = ("created_by", "signed_by", "verified_by", "discontinued_by")
    return (
        orders.select_related(*people)
        .only(
            *(field.name for field in Order._meta.concrete_fields),
            *(f"{person}__username" for person in people),
        )
        .prefetch_related(
            Prefetch("product", queryset=Product.objects.only("slug")),
            Prefetch("indication", queryset=Indication.objects.only("slug")),
            Prefetch(
                "overrides",
                queryset=OrderOverride.objects.select_related(
                    "overridden_by", "acknowledged_by"
                ).only(
                    *(field.name for field in OrderOverride._meta.concrete_fields),
                    "overridden_by__username",
                    "acknowledged_by__username",
                ),
            ),
            Prefetch(
                "premedication_lines",
                queryset=PremedicationLine.objects.select_related("drug").only(
                    *(field.name for field in PremedicationLine._meta.concrete_fields),
                    "drug__slug",
                ),
            ),
        )
    )


def current_orders() -> QuerySet[Order]:
    """Every order's current version (a superseded version lives on in its order's history)."""
    return Order.objects.exclude(status=OrderStatus.SUPERSEDED)


def orders_matching(orders: QuerySet[Order], words: str) -> QuerySet[Order]:
    """``orders`` whose patient MRN or name, product or indication matches every word of
    ``words`` (case-insensitive)."""
    for term in words.split():
        orders = orders.filter(_order_has_text(term))
    return orders


def _order_has_text(term: str) -> Q:
    """The order's patient MRN or name, product or indication contains ``term``: its patient
    among those found by their indexes (``patients_with_text``), or its product or indication
    among those found, read first (catalogues of tens of rows). PostgreSQL then reads the
    orders of the patients found by the order's patient index, and a word naming no product or
    indication (most words) costs no condition. One condition over the joined rows
    (``patient__mrn__icontains`` | ``product__…``) made it read and join every order (100 ms at
    10,000 patients, docs/architecture.md "Text search")."""
    condition = Q(patient__in=patients_with_text(term))
    products = list(Product.objects.filter(brand_name__icontains=term).values_list("pk", flat=True))
    if products:
        condition |= Q(product__in=products)
    indications = list(Indication.objects.filter(name__icontains=term).values_list("pk", flat=True))
    if indications:
        condition |= Q(indication__in=indications)
    return condition


def patient_orders(patient: Patient) -> QuerySet[Order]:
    """The patient's orders (current versions), newest first."""
    return order_table_rows(current_orders().filter(patient=patient))


def orders_awaiting_verification() -> QuerySet[Order]:
    """The pharmacists' queue (docs/clinical-rules.md 4, 3.10): signed orders, urgent ones at
    the head, then the longest waiting first."""
    return order_table_rows(Order.objects.filter(status=OrderStatus.SIGNED)).order_by(
        "-urgent", "signed_at", "id"
    )


def orders_for_their_plans() -> QuerySet[Order]:
    """Orders with what their plan reads of them and nothing else (the plan API): the patient,
    product and indication joined (three small joins PostgreSQL plans quickly), the overrides and
    the premedication lines with their drugs: three queries for one order, without the people
    ``orders_with_related`` joins for the pages (issue 21)."""
    return Order.objects.select_related("patient", "product", "indication").prefetch_related(
        "overrides",
        Prefetch("premedication_lines", queryset=PremedicationLine.objects.select_related("drug")),
    )


def order_versions(order: Order) -> QuerySet[Order]:
    """Every version of the order's lineage, first to latest, with the people who made, signed
    and verified each (what the order page's table of versions shows: one query, without the
    plan JSON)."""
    first = order.lineage_id or order.pk
    return (
        Order.objects.filter(Q(pk=first) | Q(lineage_id=first))
        .select_related("created_by", "signed_by", "verified_by")
        .defer(*PLAN_JSON_FIELDS)
        .order_by("revision")
    )


def _override_subject(record: Any) -> str:
    return f"Override: {finding_title(record.code)}"


def order_history(order: Order, versions: Iterable[Order] | None = None) -> list[HistoryEntry]:
    """Every change of every version of the order and of its overrides, newest first: who did
    what when, each field before and after (docs/clinical-rules.md 4). Three queries, however
    long (two when the caller has read the ``versions``)."""
    version_ids = [
        version.pk for version in (order_versions(order) if versions is None else versions)
    ]
    order_records = Order.history.filter(id__in=version_ids).select_related("history_user")
    override_records = OrderOverride.history.filter(order_id__in=version_ids).select_related(
        "history_user"
    )
    order_records = list(order_records)

    def made_from(record: Any) -> tuple[Any, Iterable[str]] | None:
        """A new version's creation is compared with the version it replaces as it then stood:
        the choices that changed, before and after."""
        earlier = [
            other
            for other in order_records
            if other.id == record.supersedes_id and other.history_date <= record.history_date
        ]
        if record.supersedes_id is None or not earlier:
            return None
        return max(earlier, key=lambda other: (other.history_date, other.history_id)), ORDER_FIELDS

    return newest_first(
        [
            *history_entries(
                order_records,
                Order,
                lambda record: f"Version {record.revision}",
                predecessor=made_from,
                quiet_fields=(
                    "lineage",
                    "supersedes",
                    "plan_at_signing",
                    "findings_at_signing",
                    "signed_weight_kg",
                    *PLAN_FIGURE_FIELDS,
                    *NEXT_CYCLE_FIELDS,  # derived, not in the history
                    "patient",
                ),
            ),
            *history_entries(
                override_records,
                OrderOverride,
                _override_subject,
                # The subject names the finding by its title; its code is for programs.
                quiet_fields=("order", "code"),
            ),
        ]
    )
