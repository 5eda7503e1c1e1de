"""Laboratory tests and results (docs/clinical-rules.md 3.8.2): data and database constraints.

``LabTest`` is a seeded catalogue (data migration with frozen rows); ``LabResult`` is one result
of one test for one patient on one day. Results are appended, never edited: a wrong result is
corrected by recording the right one (the latest result on or before a date is the one rules
read). Recording and importing go through ``orders.labs.services``.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class LabKind(models.TextChoices):
    QUANTITATIVE = "quantitative", "Number with a unit"
    QUALITATIVE = "qualitative", "Positive or negative"
    BLOOD_GROUP = "blood_group", "ABO and Rh group"


class Analyte(models.TextChoices):
    """What a test measures; two tests may measure one analyte (eGFR by two equations)."""

    CREATININE = "creatinine", "Creatinine"
    EGFR = "egfr", "eGFR"
    HEMOGLOBIN = "hemoglobin", "Hemoglobin"
    IGG = "igg", "IgG"
    IGA = "iga", "IgA"
    ANTI_IGA = "anti_iga", "Anti-IgA antibodies"
    ABO_RH = "abo_rh", "ABO/Rh group"
    DSG1 = "dsg1", "Anti-desmoglein 1"
    DSG3 = "dsg3", "Anti-desmoglein 3"
    BP180 = "bp180", "BP180"
    BP230 = "bp230", "BP230"


class LabTest(models.Model):
    """One test of the catalogue. ``code`` is the LOINC code where one is confirmed, else a
    local code starting ``L-`` (the lab export uses the same code). ``plausible_min`` and
    ``plausible_max`` bound what can be recorded at all (a typing guard, not a clinical
    limit); the reference range is shown beside the trend."""

    code = models.CharField("LOINC or local code", max_length=20, unique=True)
    analyte = models.CharField(max_length=20, choices=Analyte.choices)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=LabKind.choices)
    unit = models.CharField(max_length=20, blank=True)
    reference_low = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    plausible_min = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    plausible_max = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=LabKind.values), name="lab_test_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(analyte__in=Analyte.values), name="lab_test_analyte_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def flag(self, value: Decimal | None, *, below_detection_limit: bool = False) -> str:
        """``"high"`` or ``"low"`` when ``value`` (in this test's unit) is outside the reference
        range, else ``""``. Both ends of a low-high range are inside it; a range given as
        "< high" alone excludes ``high``, "≥ low" includes ``low``. A result below the
        detection limit ``value`` is low only when the limit itself is at or below the low
        end (its true value is then surely below it), and never high."""
        if value is None:
            return ""
        low, high = self.reference_low, self.reference_high
        if below_detection_limit:
            return "low" if low is not None and value <= low else ""
        if low is not None and value < low:
            return "low"
        if high is not None and (value > high or (low is None and value >= high)):
            return "high"
        return ""

    @property
    def reference_range(self) -> str:
        low, high = self.reference_low, self.reference_high
        unit = f" {self.unit}" if self.unit else ""
        if low is not None and high is not None:
            return f"{low.normalize():f}\u2013{high.normalize():f}{unit}"
        if low is not None:
            return f"\u2265 {low.normalize():f}{unit}"
        if high is not None:
            return f"< {high.normalize():f}{unit}"
        return "negative" if self.kind == LabKind.QUALITATIVE else ""


# Newest first: the first result of a test in this order is the patient's latest.
LAB_LATEST_FIRST = ("-taken_on", "-recorded_at", "-id")


class LabSource(models.TextChoices):
    ENTERED = "entered", "Entered"
    IMPORTED = "imported", "Imported from the lab export"


class LabResult(models.Model):
    """One result (docs/clinical-rules.md 3.8.2). A number in ``value`` (in the test's unit) or
    a word in ``text`` (``positive``/``negative``; a blood group such as ``A+``).
    ``below_detection_limit``: the lab reported "< value" (``value`` is then the limit)."""

    patient = models.ForeignKey(
        "orders.Patient", on_delete=models.PROTECT, related_name="lab_results"
    )
    test = models.ForeignKey(LabTest, on_delete=models.PROTECT, related_name="results")
    taken_on = models.DateField()
    value = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    text = models.CharField(max_length=20, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    below_detection_limit = models.BooleanField(default=False)
    source = models.CharField(max_length=8, choices=LabSource.choices, default=LabSource.ENTERED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = list(LAB_LATEST_FIRST)
        indexes = [
            models.Index(fields=["patient", "test", "-taken_on"], name="lab_result_patient_test"),
        ]
        constraints = [
            # Duplicates (the same export read twice) are ignored, never stored twice.
            models.UniqueConstraint(
                fields=["patient", "test", "taken_on", "value"],
                condition=Q(value__isnull=False),
                name="lab_result_unique_value",
            ),
            models.UniqueConstraint(
                fields=["patient", "test", "taken_on", "text"],
                condition=Q(value__isnull=True),
                name="lab_result_unique_text",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | ~Q(text=""),
                name="lab_result_has_value_or_text",
            ),
            models.CheckConstraint(
                condition=Q(source__in=LabSource.values), name="lab_result_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test.name} {self.shown} on {self.taken_on}"

    @property
    def shown(self) -> str:
        """The result as the lab reports it: "< 5 mg/dL", "48 mL/min/1.73 m²", "A+". The unit
        is the catalogue's (the test's): the one place units come from, as every value is
        recorded in it (``orders.labs.services.check_value``)."""
        if self.value is None:
            return self.text
        number = f"{Decimal(self.value).normalize():f}"
        prefix = "< " if self.below_detection_limit else ""
        unit = f" {self.test.unit}" if self.test.unit else ""
        return f"{prefix}{number}{unit}"

    @property
    def flag(self) -> str:
        """``"high"``/``"low"`` outside the catalogue's reference range (``LabTest.flag``)."""
        if self.value is None:
            return ""
        return self.test.flag(Decimal(self.value), below_detection_limit=self.below_detection_limit)


class LabImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class LabImport(models.Model):
    """A large laboratory export imported in the background (docs/api.md, lab import): the file
    as text until it is processed, the progress and, at the end, the same report as an import
    run at once. ``rows_done`` and the counts are committed with each batch of results, so they
    say exactly what is stored."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)
    # Emptied once the import is done or failed (the file is not kept).
    text = models.TextField(blank=True)
    status = models.CharField(
        max_length=8, choices=LabImportStatus.choices, default=LabImportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    # [[line, reason], ...]: the first refused rows (orders.labs.services.IMPORT_REFUSED_LISTED).
    refused = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["text"])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LabImportStatus.values), name="lab_import_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")),
                name="lab_import_rows_done_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Lab import {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (LabImportStatus.DONE, LabImportStatus.FAILED)

    @property
    def accepted(self) -> bool | None:
        """True when every row was accepted, False when rows were refused or it failed, None
        while it runs."""
        if not self.finished:
            return None
        return self.status == LabImportStatus.DONE and not self.refused_count

    @property
    def percent_done(self) -> int:
        return (
            100 if self.finished or not self.rows_total else self.rows_done * 100 // self.rows_total
        )
