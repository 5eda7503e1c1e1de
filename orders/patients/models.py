"""Patients and their weights (docs/clinical-rules.md 1, 3.1): data and database constraints,
no workflows. The tables keep the ``orders`` app label (``orders_patient``, ...).

Changes go through ``orders.services``; every row change is kept by django-simple-history with
the acting user the service passes.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ivig.engine import models as engine
from ivig.validators import no_control_characters
from ivig.vocabulary import same_values_as


@same_values_as(engine.Sex)
class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"


@same_values_as(engine.BloodGroup)
class BloodGroup(models.TextChoices):
    O = "O", "O"  # noqa: E741 - the blood group's own name
    A = "A", "A"
    B = "B", "B"
    AB = "AB", "AB"
    UNKNOWN = "unknown", "Unknown"


@same_values_as(engine.IgaStatus)
class IgaStatus(models.TextChoices):
    NORMAL = "normal", "Normal"
    DEFICIENT = "deficient", "IgA deficient (antibodies unknown or absent)"
    DEFICIENT_WITH_ANTIBODIES = (
        "deficient_with_antibodies",
        "IgA deficient with anti-IgA antibodies",
    )
    UNKNOWN = "unknown", "Unknown"


@same_values_as(engine.RiskFactor)
class RiskFactor(models.TextChoices):
    """The 16 risk factor codes of docs/api.md (docs/clinical-rules.md 3.8 groups them into renal
    and thrombosis)."""

    MIGRAINE = "migraine", "History of migraine"
    CARDIAC_DISEASE = "cardiac_disease", "Cardiac disease"
    CARDIAC_INSUFFICIENCY = "cardiac_insufficiency", "Cardiac insufficiency"
    STROKE = "stroke", "Stroke"
    MYOCARDIAL_INFARCTION = "myocardial_infarction", "Myocardial infarction"
    THROMBOSIS = "thrombosis", "History of thrombosis"
    HYPERCOAGULABLE = "hypercoagulable", "Hypercoagulable state"
    LIMITED_MOBILITY = "limited_mobility", "Limited mobility"
    ESTROGEN_USE = "estrogen_use", "Estrogen use"
    INDWELLING_CATHETER = "indwelling_catheter", "Indwelling vascular catheter"
    RENAL_IMPAIRMENT = "renal_impairment", "Renal impairment"
    RENAL_FAILURE = "renal_failure", "Renal failure"
    DIABETES = "diabetes", "Diabetes"
    DEHYDRATION = "dehydration", "Dehydration"
    SEPSIS = "sepsis", "Sepsis"
    NEPHROTOXIC_DRUGS = "nephrotoxic_drugs", "Nephrotoxic drugs"


def validate_risk_factors(value: object) -> None:
    """A list of distinct codes of ``RiskFactor``."""
    if not isinstance(value, list):
        raise ValidationError("Risk factors must be a list of codes.", code="not_a_list")
    unknown = [code for code in value if code not in RiskFactor.values]
    if unknown:
        raise ValidationError(
            "Unknown risk factor code(s): %(codes)s.",
            code="unknown_risk_factor",
            params={"codes": ", ".join(map(str, unknown))},
        )
    if len(set(value)) != len(value):
        raise ValidationError("A risk factor is listed twice.", code="duplicate_risk_factor")


# Sane physical bounds for what a clinician may record; the engine flags clinical limits
# (weight 1-350 kg, height 40-250 cm give INVALID_INPUT, docs/clinical-rules.md 3.8).
WEIGHT_MIN_KG = Decimal("0.3")
WEIGHT_MAX_KG = Decimal("500")
HEIGHT_MIN_CM = Decimal("20")
HEIGHT_MAX_CM = Decimal("260")

# Newest first: the first weight in this order is the patient's latest.
WEIGHT_LATEST_FIRST = ("-measured_on", "-recorded_at", "-id")


class Patient(models.Model):
    """A patient registered by a clinician (docs/clinical-rules.md 1). ``version`` counts saved
    changes and is the optimistic-concurrency token of every edit (docs/clinical-rules.md 4: a stale
    form is refused)."""

    mrn = models.CharField("MRN", max_length=32, unique=True, validators=[no_control_characters])
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=6, choices=Sex.choices)
    height_cm = models.DecimalField(
        "height (cm)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(HEIGHT_MIN_CM), MaxValueValidator(HEIGHT_MAX_CM)],
    )
    blood_group = models.CharField(
        max_length=7, choices=BloodGroup.choices, default=BloodGroup.UNKNOWN
    )
    iga_status = models.CharField(
        "IgA status", max_length=25, choices=IgaStatus.choices, default=IgaStatus.UNKNOWN
    )
    risk_factors = models.JSONField(default=list, blank=True, validators=[validate_risk_factors])
    pregnant = models.BooleanField(default=False)
    allergies = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
        indexes = [
            models.Index(fields=["family_name", "given_name"]),
            # The patients with allergy text (FHIR AllergyIntolerance, interop/resources/
            # allergy.py), found and counted without reading every patient.
            models.Index(fields=["id"], condition=~Q(allergies=""), name="patient_with_allergies"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(height_cm__isnull=True)
                | Q(height_cm__gte=HEIGHT_MIN_CM, height_cm__lte=HEIGHT_MAX_CM),
                name="patient_height_cm_plausible",
                violation_error_message=(
                    f"Height must be between {HEIGHT_MIN_CM} and {HEIGHT_MAX_CM} cm."
                ),
            ),
            models.CheckConstraint(
                condition=Q(pregnant=False) | Q(sex=Sex.FEMALE),
                name="patient_pregnant_only_female",
                violation_error_message="Only a female patient can be recorded as pregnant.",
            ),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="patient_sex_valid"),
            models.CheckConstraint(
                condition=Q(blood_group__in=BloodGroup.values), name="patient_blood_group_valid"
            ),
            models.CheckConstraint(
                condition=Q(iga_status__in=IgaStatus.values), name="patient_iga_status_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="patient_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = "The date of birth cannot be in the future."
        if self.pregnant and self.sex != Sex.FEMALE:
            errors["pregnant"] = "Only a female patient can be recorded as pregnant."
        if errors:
            raise ValidationError(errors)

    def age_years(self, as_of: date) -> int:
        """Completed years of age on ``as_of`` (a 29 February birthday counts on 1 March)."""
        born = self.date_of_birth
        had_birthday = (as_of.month, as_of.day) >= (born.month, born.day)
        return as_of.year - born.year - (0 if had_birthday else 1)

    def risk_factor_labels(self) -> list[str]:
        labels = dict(RiskFactor.choices)
        return [labels.get(code, code) for code in self.risk_factors]


class PatientWeight(models.Model):
    """One measured weight. Weights are appended, never edited: the latest measurement on or
    before a date is the patient's weight then (docs/clinical-rules.md 3.1, 3.8
    ``WEIGHT_OUTDATED``)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="weights")
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(WEIGHT_MIN_KG), MaxValueValidator(WEIGHT_MAX_KG)],
    )
    measured_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = list(WEIGHT_LATEST_FIRST)
        indexes = [models.Index(fields=["patient", "-measured_on", "-recorded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__gte=WEIGHT_MIN_KG, weight_kg__lte=WEIGHT_MAX_KG),
                name="patient_weight_kg_plausible",
                violation_error_message=(
                    f"Weight must be between {WEIGHT_MIN_KG} and {WEIGHT_MAX_KG} kg."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg on {self.measured_on}"

    def clean(self) -> None:
        if not self.measured_on:
            return
        if self.measured_on > timezone.localdate():
            raise ValidationError({"measured_on": "A weight cannot be measured in the future."})
        born = self.patient.date_of_birth if self.patient_id else None
        if born and self.measured_on < born:
            raise ValidationError(
                {"measured_on": "A weight cannot be measured before the date of birth."}
            )
