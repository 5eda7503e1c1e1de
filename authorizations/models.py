"""Insurance prior authorizations (docs/clinical-rules.md 7): data and database constraints.

The tables keep the names they had when authorizations lived in the orders app
(``orders_authorization`` ...): the models moved, the data did not.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from orders.models import Order, Patient


class AuthorizationStatus(models.TextChoices):
    """docs/clinical-rules.md 7: not_submitted → submitted → approved | denied; denied → appealed →
    approved | denied; approved → expired. A renewal is a new authorization for the same order."""

    NOT_SUBMITTED = "not_submitted", "Not submitted"
    SUBMITTED = "submitted", "Submitted, awaiting decision"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    APPEALED = "appealed", "Appealed, awaiting decision"
    EXPIRED = "expired", "Expired"
    # docs/clinical-rules.md 3.10 (rules v3): an urgent order started before approval; the payer
    # is to be told within 2 business days, then the request goes on as a submission.
    RETROSPECTIVE_DUE = "retrospective_due", "Retrospective request due"


# Awaiting the payer's decision (docs/clinical-rules.md 7), and since when: the appeal of an
# appealed request, else its submission. The dashboard's order, and an index's.
AWAITING_DECISION = (AuthorizationStatus.SUBMITTED, AuthorizationStatus.APPEALED)
WAITING_SINCE = models.Case(
    models.When(status=AuthorizationStatus.APPEALED, then=models.F("appealed_at")),
    default=models.F("submitted_at"),
)


class Authorization(models.Model):
    """An insurance prior authorization for one order (docs/clinical-rules.md 7).

    Changes go through ``authorizations.services`` (one transaction each, the acting user in the
    history); ``version`` is the optimistic-concurrency token of every change. What an approval
    covers is computed by ``authorizations.coverage_rules`` from the order's plan; the answer is
    kept per cycle for the dashboard (``OrderCycleCoverage``), derived, never edited.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="authorizations")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="authorizations")
    renews = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
        help_text="The authorization this one renews.",
    )
    payer = models.CharField(max_length=200)
    member_id = models.CharField("member id", max_length=64)
    reference_number = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=20,
        choices=AuthorizationStatus.choices,
        default=AuthorizationStatus.NOT_SUBMITTED,
        db_index=True,
    )
    approved_cycles = models.PositiveSmallIntegerField(null=True, blank=True)
    approved_grams = models.DecimalField(
        "approved grams", max_digits=8, decimal_places=2, null=True, blank=True
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    decision_date = models.DateField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords(
        excluded_fields=["updated_at"], table_name="orders_historicalauthorization"
    )

    class Meta:
        db_table = "orders_authorization"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "valid_to"]),
            # The lists, newest first (all, or of one status): a page is read from the index,
            # not sorted from every authorization.
            models.Index(fields=["-created_at", "-id"], name="authorization_newest_first"),
            models.Index(
                fields=["status", "-created_at", "-id"], name="authorization_status_newest"
            ),
            # Awaiting a decision, the longest waiting first (the dashboard).
            models.Index(
                WAITING_SINCE,
                "id",
                name="authorization_waiting_since",
                condition=Q(status__in=AWAITING_DECISION),
            ),
            # Denials to appeal, newest decision first (the dashboard).
            models.Index(
                fields=["status", "-decision_date", "-id"], name="authorization_status_decided"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AuthorizationStatus.values),
                name="authorization_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="authorization_valid_to_not_before_valid_from",
                violation_error_message="Valid to cannot be before valid from.",
            ),
            models.CheckConstraint(
                condition=Q(approved_cycles__isnull=True) | Q(approved_cycles__gte=1),
                name="authorization_approved_cycles_positive",
            ),
            models.CheckConstraint(
                condition=Q(approved_grams__isnull=True) | Q(approved_grams__gt=0),
                name="authorization_approved_grams_positive",
            ),
            # An approval (and an expired approval) says how much, for when, decided when.
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "expired"])
                | Q(
                    approved_cycles__isnull=False,
                    approved_grams__isnull=False,
                    valid_from__isnull=False,
                    valid_to__isnull=False,
                    decision_date__isnull=False,
                ),
                name="authorization_approval_complete",
                violation_error_message=(
                    "An approval needs approved cycles, grams, valid from/to and a decision date."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="denied") | Q(decision_date__isnull=False),
                name="authorization_denial_dated",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["not_submitted", "retrospective_due"])
                | Q(submitted_at__isnull=False),
                name="authorization_submitted_at_after_submission",
            ),
            models.CheckConstraint(
                condition=~Q(status="appealed") | Q(appealed_at__isnull=False),
                name="authorization_appeal_dated",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="authorization_version_positive"
            ),
        ]

    def __str__(self) -> str:
        reference = self.reference_number or f"#{self.pk}"
        return f"{self.payer} {reference} ({self.get_status_display()})"


class AuthorizationDocument(models.Model):
    """A document of an authorization (request letter, payer decision, appeal): a title and
    where it is kept (a link or a filing reference), appended, never edited (docs/clinical-rules.md
    7)."""

    authorization = models.ForeignKey(
        Authorization, on_delete=models.PROTECT, related_name="documents"
    )
    title = models.CharField(max_length=200)
    reference = models.CharField(max_length=500, help_text="A link or where the document is filed.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords(table_name="orders_historicalauthorizationdocument")

    class Meta:
        db_table = "orders_authorizationdocument"
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title=""), name="authorization_document_title_given"
            ),
            models.CheckConstraint(
                condition=~Q(reference=""), name="authorization_document_reference_given"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OrderCycleCoverage(models.Model):
    """What ``coverage_rules.order_coverage`` says of one cycle of an order with a plan frozen at
    signing: covered by which approval (and its dates), or why not. Derived, never edited:
    ``authorizations.stored_coverage`` writes an order's rows again whenever its plan or an
    approval of its lineage changes, so the dashboard's "sessions not covered" and "approvals
    running out" are SQL over these rows instead of the rule run over every order. An order
    with none (no frozen plan, or not stored yet) is judged by the rule itself. Not in the
    history: the order and the authorizations are.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    cycle_number = models.PositiveSmallIntegerField()
    first_day = models.DateField()
    last_day = models.DateField()
    authorization = models.ForeignKey(
        Authorization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    authorization_label = models.CharField(max_length=300, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "cycle_number"], name="order_cycle_coverage_one_per_cycle"
            ),
        ]
        indexes = [
            # Cycles an approval took, by day ("approvals running out").
            models.Index(
                fields=["authorization", "order", "first_day"], name="cycle_coverage_by_approval"
            ),
        ]

    def __str__(self) -> str:
        covered = self.authorization_label or self.reason
        return f"Order {self.order_id} cycle {self.cycle_number}: {covered}"


class OrderApproval(models.Model):
    """Derived with ``OrderCycleCoverage``: each covering approval (approved or expired) of an
    order's lineage, for every order with stored coverage (an approval of the course may have
    taken none of this version's cycles yet and still be running out), with the days on which
    it runs low on cycles, so that "approvals running out" is a lookup whatever the date."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    authorization = models.ForeignKey(Authorization, on_delete=models.CASCADE, related_name="+")
    # The authorization's as coverage counts them: whether approved (not expired), valid to.
    approved = models.BooleanField()
    valid_to = models.DateField()
    # The days on which the approval has at most one cycle left while the order has more
    # (``coverage_rules.renewal_flags``): one run of days, the first day 0001-01-01 when it holds
    # from the start; both empty when never.
    cycles_low_from = models.DateField(null=True, blank=True)
    cycles_low_to = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["authorization", "order"], name="order_approval_one_per_pair"
            ),
        ]
        indexes = [
            # "Approvals running out": current approvals by expiry.
            models.Index(
                fields=["valid_to", "authorization", "order"],
                name="order_approval_current",
                condition=Q(approved=True),
            ),
            # "Approvals running out" of cycles: the few with days of running low, so that the
            # panel's OR reads two index ranges, not every approval of the centre.
            models.Index(
                fields=["cycles_low_from", "cycles_low_to"],
                name="order_approval_cycles_low",
                condition=Q(approved=True, cycles_low_from__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.order_id}: authorization {self.authorization_id}"
