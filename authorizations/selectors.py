"""Read queries of insurance authorizations (docs/clinical-rules.md 7): the admins' dashboard and
what the daily follow-up sweep works from (docs/clinical-rules.md 8). Each costs a fixed number of
queries however many rows it returns: bulk selects; the sweep computes coverage in Python from
frozen plans, the dashboard's pages read it stored (authorizations/stored_coverage.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from ivig.audit.history import HistoryEntry, history_entries, newest_first
from orders.course_versions import lineage_order_ids
from orders.models import Order, OrderStatus, Patient
from orders.patients.selectors import patients_with_text
from orders.selectors import PLAN_JSON_FIELDS

from .coverage_rules import (
    EXPIRING_WITHIN_DAYS,
    Approval,
    CycleCoverage,
    approval_rows,
    approvals_by_lineage,
    as_approval,
    cover_cycles,
    lineage_root_id,
    planned_cycles,
    renewal_flags,
)
from .models import (
    AWAITING_DECISION,
    WAITING_SINCE,
    Authorization,
    AuthorizationDocument,
    AuthorizationStatus,
    OrderApproval,
)
from .stored_coverage import stored_coverage

S = AuthorizationStatus

# docs/clinical-rules.md 8's thresholds (those of running out: coverage_rules).
NO_DECISION_AFTER_DAYS = 5
# Orders whose cycles are still being given (sessions are booked only for these,
# docs/clinical-rules.md 4).
ACTIVE_ORDER_STATUSES = (OrderStatus.VERIFIED, OrderStatus.ACTIVE)
# Approvals older than this no longer matter to a sweep's or the dashboard's coverage.
APPROVAL_LOOKBACK_DAYS = 400


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def authorizations_list(*, status: str = "", query: str = "") -> QuerySet[Authorization]:
    """Authorizations newest first with their order and patient, optionally by status and
    matching every word of ``query`` (payer, member id, reference, MRN or patient name). Read
    newest first from an index (a page costs the same however many there are); of the order not
    its frozen plan (JSON, never listed)."""
    authorizations = Authorization.objects.select_related("order", "patient").defer(
        *_without_plans("order")
    )
    if status:
        authorizations = authorizations.filter(status=status)
    for term in query.split():
        authorizations = authorizations.filter(pk__in=_authorizations_with_text(term))
    return authorizations


def _authorizations_with_text(term: str) -> QuerySet[Authorization, Any]:
    """The ids of the authorizations whose payer, member id or reference, or whose patient's MRN
    or family name contains ``term`` (case-insensitive): those found by their own columns'
    indexes, then those of the patients found by theirs (docs/architecture.md, "Text search"),
    rather than every authorization joined to its patient to compare the words."""
    own = Authorization.objects.filter(
        Q(payer__icontains=term)
        | Q(member_id__icontains=term)
        | Q(reference_number__icontains=term)
    )
    patients = Patient.objects.filter(Q(mrn__icontains=term) | Q(family_name__icontains=term))
    by_patient = Authorization.objects.filter(patient__in=patients.values("pk"))
    return own.values("pk").order_by().union(by_patient.values("pk").order_by())


def authorization_documents(authorization: Authorization) -> QuerySet[AuthorizationDocument]:
    return authorization.documents.select_related("added_by")


def authorization_history(authorization: Authorization) -> list[HistoryEntry]:
    """Every change of the authorization and its documents, newest first (two queries)."""
    records = authorization.history.select_related("history_user")
    document_records = AuthorizationDocument.history.filter(
        authorization_id=authorization.pk
    ).select_related("history_user")
    return newest_first(
        [
            *history_entries(
                records,
                Authorization,
                lambda record: "Authorization",
                quiet_fields=("patient", "order", "renews"),
            ),
            *history_entries(
                document_records,
                AuthorizationDocument,
                lambda record: f"Document {record.title}",
                quiet_fields=("authorization", "added_by", "added_at"),
            ),
        ]
    )


def order_authorizations(order: Order) -> QuerySet[Authorization]:
    """Every authorization of the order's lineage (any version), newest first."""
    root = lineage_root_id(order)
    return Authorization.objects.filter(order_id__in=lineage_order_ids(root))


# --- awaiting a decision ------------------------------------------------------------------


@dataclass(frozen=True)
class AwaitingDecision:
    authorization: Authorization
    waiting_since: date
    age_days: int

    @property
    def follow_up_due(self) -> date:
        return self.waiting_since + timedelta(days=NO_DECISION_AFTER_DAYS)


def awaiting_decision(today: date, *, min_age_days: int = 0) -> list[AwaitingDecision]:
    """Submitted or appealed authorizations with the days since (docs/clinical-rules.md 7), oldest
    first; with ``min_age_days`` only those waiting at least that long (docs/clinical-rules.md 8: 5
    days). One query."""
    cutoff = start_of_day(today - timedelta(days=min_age_days - 1))
    authorizations = Authorization.objects.select_related("order", "patient").filter(
        status__in=AWAITING_DECISION
    )
    if min_age_days > 0:
        authorizations = authorizations.filter(
            Q(status=S.SUBMITTED, submitted_at__lt=cutoff)
            | Q(status=S.APPEALED, appealed_at__lt=cutoff)
        )
    rows = []
    for authorization in authorizations:
        moment = (
            authorization.appealed_at
            if authorization.status == S.APPEALED
            else authorization.submitted_at
        )
        assert moment is not None
        since = timezone.localdate(moment)
        age = (today - since).days
        if age >= min_age_days:
            rows.append(AwaitingDecision(authorization, since, age))
    return sorted(rows, key=lambda row: (-row.age_days, row.authorization.pk))


def _denied_not_renewed() -> Q:
    """Denied and not renewed since: NOT EXISTS a renewal (an anti-join on the renewals' index,
    where a LEFT JOIN hashed every authorization of the centre)."""
    renewals = Authorization.objects.filter(renews_id=OuterRef("pk"))
    return Q(~Exists(renewals), status=S.DENIED)


def denials_to_appeal() -> list[Authorization]:
    """Denied authorizations not renewed since (docs/clinical-rules.md 7), newest decision first."""
    return list(
        Authorization.objects.select_related("order", "patient")
        .filter(_denied_not_renewed())
        .order_by("-decision_date", "-pk")
    )


# --- approvals running out ----------------------------------------------------------------


@dataclass(frozen=True)
class RenewalDue:
    """An approval of an active order that expires soon or has at most one cycle left while
    the order has more (docs/clinical-rules.md 7, 8)."""

    authorization: Authorization
    order: Order
    days_to_expiry: int
    cycles_left: int
    order_cycles_left: int
    expiring: bool
    cycles_low: bool


def recent_approvals(
    today: date, lineages: Collection[int] | None = None
) -> dict[int, list[Approval]]:
    """Covering approvals by lineage root, one query; of the ``lineages`` (roots) only, when
    given (a page's orders: as many approvals as the page has orders, not the centre's)."""
    since = today - timedelta(days=APPROVAL_LOOKBACK_DAYS)
    authorizations = Authorization.objects.filter(valid_to__gte=since)
    if lineages is not None:
        roots = sorted(set(lineages))
        in_lineages = Order.objects.filter(Q(pk__in=roots) | Q(lineage_id__in=roots))
        authorizations = authorizations.filter(order_id__in=in_lineages.values("pk"))
    return approvals_by_lineage(approval_rows(authorizations))


def active_orders() -> QuerySet[Order]:
    return Order.objects.filter(status__in=ACTIVE_ORDER_STATUSES).select_related("patient")


def renewals_flagged(
    today: date,
    orders: Iterable[Order],
    approvals: Mapping[int, list[Approval]],
    coverage: Mapping[int, list[CycleCoverage]] | None = None,
) -> list[tuple[int, Order, tuple[int, int, int, bool, bool]]]:
    """(authorization id, order, ``renewal_flags``) of each approval running out, most urgent
    (soonest expiry) first. No query for orders whose coverage is given or frozen at signing."""
    flagged: list[tuple[int, Order, tuple[int, int, int, bool, bool]]] = []
    for order in orders:
        order_approvals = approvals.get(lineage_root_id(order), [])
        current = [a for a in order_approvals if a.status == S.APPROVED]
        if not current:
            continue
        cycles = (
            coverage[order.pk]
            if coverage is not None and order.pk in coverage
            else cover_cycles(planned_cycles(order), order_approvals)
        )
        for approval in current:
            flags = renewal_flags(approval, cycles, today)
            if flags[3] or flags[4]:
                flagged.append((approval.id, order, flags))
    return sorted(flagged, key=lambda item: (item[2][0], item[0]))


def renewal_rows(
    flagged: Iterable[tuple[int, Order, tuple[int, int, int, bool, bool]]],
) -> list[RenewalDue]:
    """``RenewalDue`` rows of flagged approvals, in the same order: one query."""
    flagged = list(flagged)
    rows = Authorization.objects.select_related("order", "patient").in_bulk(
        [authorization_id for authorization_id, _order, _flags in flagged]
    )
    return [
        RenewalDue(rows[authorization_id], order, *flags)
        for authorization_id, order, flags in flagged
        if authorization_id in rows
    ]


def renewals_due(
    today: date,
    *,
    orders: Iterable[Order] | None = None,
    approvals: Mapping[int, list[Approval]] | None = None,
    coverage: Mapping[int, list[CycleCoverage]] | None = None,
) -> list[RenewalDue]:
    """Approvals of active orders expiring within 30 days or with at most one approved cycle
    left while the order has more (docs/clinical-rules.md 7, 8). Three queries (orders, approvals,
    the flagged authorization rows) unless the caller passes what it already loaded."""
    orders = list(active_orders() if orders is None else orders)
    approvals = recent_approvals(today) if approvals is None else approvals
    return renewal_rows(renewals_flagged(today, orders, approvals, coverage))


# --- the dashboard ------------------------------------------------------------------------

DASHBOARD_PER_PAGE = 20


def patient_matches(query: str, prefix: str = "patient__") -> Q:
    """Every word of ``query`` in the MRN or names of the patient at ``prefix``: the rows of
    the patients found by their indexes (``patients_with_text``)."""
    condition = Q()
    for term in query.split()[:5]:
        condition &= Q(**{f"{prefix}in": patients_with_text(term)})
    return condition


def _matching(authorizations: QuerySet[Authorization], query: str) -> QuerySet[Authorization]:
    """``authorizations`` with every word of ``query`` in the patient's MRN or names or the
    payer: those of the patients found by their indexes and those of the payers found by
    theirs, each looked for among ``authorizations`` (a panel's rows, not every authorization)."""
    found = authorizations
    for term in query.split()[:5]:
        by_patient = authorizations.filter(patient__in=patients_with_text(term))
        by_payer = authorizations.filter(payer__icontains=term)
        found = found.filter(
            pk__in=by_patient.values("pk").order_by().union(by_payer.values("pk").order_by())
        )
    return found


def _without_plans(*orders: str) -> list[str]:
    """The frozen plan and findings (JSON) of these related orders: never shown on the panels."""
    return [f"{order}__{field}" for order in orders for field in PLAN_JSON_FIELDS]


# What a dashboard panel shows of an authorization (authorizations/authorizations.html): the
# order's number, the patient, payer and reference, status, its dates and, for the approvals
# running out, what coverage counts of it (``as_approval``).
PANEL_FIELDS = (
    "id",
    "order_id",
    "patient_id",
    "payer",
    "reference_number",
    "status",
    "submitted_at",
    "appealed_at",
    "decision_date",
    "valid_from",
    "valid_to",
    "approved_cycles",
    "approved_grams",
    "expired_at",
    "patient__mrn",
    "patient__family_name",
    "patient__given_name",
)


def _page(ordered: QuerySet[Authorization], page: Any) -> Page:
    """A page of ``ordered`` (in an index's order: read from it, the page's rows joined to their
    order and patient, only the columns a panel shows), two queries: the count and the page."""
    return Paginator(
        ordered.select_related("order", "patient").only(*PANEL_FIELDS, "order__lineage_id"),
        DASHBOARD_PER_PAGE,
    ).get_page(page)


def awaiting_decision_page(today: date, *, page: Any = 1, query: str = "") -> Page:
    """Awaiting a decision, the longest waiting first, a page of ``AwaitingDecision`` rows (two
    queries; the order is the index ``authorization_waiting_since``'s)."""
    found = _page(
        _matching(Authorization.objects.filter(status__in=AWAITING_DECISION), query).order_by(
            WAITING_SINCE, "pk"
        ),
        page,
    )
    rows = []
    for authorization in found.object_list:
        moment = (
            authorization.appealed_at
            if authorization.status == S.APPEALED
            else authorization.submitted_at
        )
        assert moment is not None
        since = timezone.localdate(moment)
        rows.append(AwaitingDecision(authorization, since, (today - since).days))
    found.object_list = rows
    return found


def denials_page(*, page: Any = 1, query: str = "") -> Page:
    """Denials not renewed since, newest decision first (two queries)."""
    return _page(
        _matching(Authorization.objects.filter(_denied_not_renewed()), query).order_by(
            "-decision_date", "-pk"
        ),
        page,
    )


def renewals_page(today: date, *, page: Any = 1, query: str = "") -> Page:
    """Approvals running out, soonest expiry first, a page of ``RenewalDue`` rows, from the
    stored coverage (authorizations/stored_coverage.py: each approval of an active order's
    lineage with the days it runs low on cycles): a lookup that does not grow with the orders.
    Only the page's rows are worked out (``renewal_flags``). Three queries: the count, the page,
    its orders' stored cycles."""
    flagged = (
        OrderApproval.objects.filter(
            approved=True,
            valid_to__gte=today - timedelta(days=APPROVAL_LOOKBACK_DAYS),
            order__status__in=ACTIVE_ORDER_STATUSES,
        )
        .filter(patient_matches(query, "order__patient__"))
        .filter(
            Q(valid_to__gte=today, valid_to__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS))
            | Q(cycles_low_from__lte=today, cycles_low_to__gte=today)
        )
        .select_related("authorization__patient", "order")
        .only(
            "order_id",
            "authorization_id",
            "valid_to",
            *(f"authorization__{field}" for field in PANEL_FIELDS),
            "order__lineage_id",
        )
        .order_by("valid_to", "authorization_id", "order_id")
    )
    found: Page[Any] = Paginator(flagged, DASHBOARD_PER_PAGE).get_page(page)
    coverage = stored_coverage({pair.order_id for pair in found.object_list})
    rows = []
    for pair in found.object_list:
        flags = renewal_flags(as_approval(pair.authorization), coverage[pair.order_id], today)
        rows.append(RenewalDue(pair.authorization, pair.order, *flags))
    found.object_list = rows
    return found


@dataclass(frozen=True)
class Dashboard:
    awaiting: list[AwaitingDecision]
    renewals: list[RenewalDue]
    denials: list[Authorization]


def dashboard(today: date) -> Dashboard:
    """Every row of the dashboard's panels (docs/clinical-rules.md 7), unpaginated."""
    return Dashboard(
        awaiting=awaiting_decision(today),
        renewals=renewals_due(today, approvals=recent_approvals(today)),
        denials=denials_to_appeal(),
    )


@dataclass(frozen=True)
class DashboardPages:
    """The dashboard as shown: each panel's count and one page of it, most urgent first."""

    awaiting: Page
    renewals: Page
    denials: Page
    query: str


def dashboard_pages(today: date, pages: Mapping[str, Any], query: str = "") -> DashboardPages:
    """The authorization admins' dashboard (docs/clinical-rules.md 7): ``pages`` gives each panel's
    page number (``awaiting``, ``renewals``, ``denials``); ``query`` filters every panel by the
    patient's MRN or name (and the payer). A fixed number of queries."""
    query = query.strip()
    return DashboardPages(
        awaiting=awaiting_decision_page(today, page=pages.get("awaiting"), query=query),
        renewals=renewals_page(today, page=pages.get("renewals"), query=query),
        denials=denials_page(page=pages.get("denials"), query=query),
        query=query,
    )
