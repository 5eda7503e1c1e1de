"""The formulary (docs/clinical-rules.md 5): IVIg products, their vial sizes, label rate steps and
prices, and the pharmacy's dosing policy.

Models hold data and the invariants the database can enforce; the rules that span several rows
(at least one active vial size, ascending rate steps, ...) live in ``services``. Every model keeps
its history (django-simple-history): who changed what, when, before and after. Nothing here is
ever deleted through the app: a product is deactivated, a vial size made inactive.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

# The premedication catalogue lives in its own package; imported so that Django registers it.
from .premedication.models import PremedicationDrug as PremedicationDrug

GENERIC_NAME_DEFAULT = "immune globulin intravenous (human)"
# Paths under /formulary/ and /api/v1/products/ that a product slug may not take.
RESERVED_SLUGS = ("new", "policy", "suitable")

_POSITIVE = MinValueValidator(Decimal("0.01"))
_NOT_NEGATIVE = MinValueValidator(0)


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError("“%(value)s” is reserved; choose another.", params={"value": value})


def _history() -> HistoricalRecords:
    # Change reasons (a deactivation's reason, ...) are free text of any length.
    return HistoricalRecords(history_change_reason_field=models.TextField(null=True))


def _null_or(field: str, condition: Q) -> Q:
    return Q(**{f"{field}__isnull": True}) | condition


def _range_constraint(low: str, high: str, name: str, label: str) -> models.CheckConstraint:
    """A range does not end below its start (the services fill a range given by one end)."""
    return models.CheckConstraint(
        condition=Q(**{f"{low}__lte": F(high)}),
        name=name,
        violation_error_message=f"The {label} range ends below its start.",
    )


class Stabilizer(models.TextChoices):
    SUCROSE = "sucrose", "sucrose"
    GLUCOSE = "glucose", "glucose"
    MALTOSE = "maltose", "maltose"
    SORBITOL = "sorbitol", "sorbitol"
    GLYCINE = "glycine", "glycine"
    PROLINE = "proline", "proline"
    ALBUMIN = "albumin", "albumin"
    POLYSORBATE_80 = "polysorbate_80", "polysorbate 80"
    NONE = "none", "none"


# A product is "sugar-free" when it lists none of these (product list filter).
SUGARS = frozenset(
    {Stabilizer.SUCROSE, Stabilizer.GLUCOSE, Stabilizer.MALTOSE, Stabilizer.SORBITOL}
)


class Product(models.Model):
    """An IVIg product as the pharmacy stocks it (docs/clinical-rules.md 5; docs/clinical-rules.md
    5)."""

    class Form(models.TextChoices):
        LIQUID = "liquid", "liquid"
        LYOPHILIZED = "lyophilized", "lyophilized"

    slug = models.SlugField(
        max_length=60,
        db_index=False,  # the unique constraint is the index
        validators=[validate_slug_not_reserved],
        help_text="Short name used in links and the API, e.g. privigen. Cannot change later.",
    )
    brand_name = models.CharField(max_length=100)
    generic_name = models.CharField(max_length=150, default=GENERIC_NAME_DEFAULT)
    manufacturer = models.CharField(max_length=100)
    concentration_pct = models.DecimalField(
        "concentration (%)",
        max_digits=5,
        decimal_places=2,
        validators=[_POSITIVE, MaxValueValidator(100)],
        help_text="g of IgG per 100 mL as infused (lyophilized: as reconstituted).",
    )
    form = models.CharField(max_length=20, choices=Form.choices, default=Form.LIQUID)
    iga_ug_per_ml = models.DecimalField(
        "IgA (µg/mL)",
        max_digits=9,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[_NOT_NEGATIVE],
    )
    low_iga = models.BooleanField(
        "low IgA",
        default=False,
        help_text="Labelled for IgA-deficient patients with anti-IgA antibodies.",
    )
    stabilizers = models.JSONField(
        default=list, blank=True, help_text="Stabilizers and sugars, as labelled."
    )
    contains_sucrose = models.BooleanField(
        default=False,
        help_text="A sucrose-containing product is not given to a patient with a renal risk.",
    )
    sodium_mmol_per_l = models.DecimalField(
        "sodium (mmol/L)",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[_NOT_NEGATIVE],
    )
    osmolality_min_mosm_per_kg = models.PositiveIntegerField(
        "osmolality from (mOsm/kg)", null=True, blank=True
    )
    osmolality_max_mosm_per_kg = models.PositiveIntegerField(
        "osmolality to (mOsm/kg)", null=True, blank=True
    )
    ph_min = models.DecimalField(
        "pH from",
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[_NOT_NEGATIVE, MaxValueValidator(14)],
    )
    ph_max = models.DecimalField(
        "pH to",
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[_NOT_NEGATIVE, MaxValueValidator(14)],
    )
    hcpcs_code = models.CharField(
        "HCPCS code",
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^[A-Z][0-9]{4}$", "A letter and four digits, e.g. J1459.")],
    )
    label_max_mg_per_kg_per_min = models.DecimalField(
        "label maximum rate (mg/kg/min)",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[_POSITIVE],
    )
    at_risk_max_mg_per_kg_per_min = models.DecimalField(
        "at-risk maximum rate (mg/kg/min)",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[_POSITIVE],
        help_text="The label's maximum for patients at renal or thrombosis risk, if it names one.",
    )
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(
        default=1,
        help_text="Raised by every change to the product, its vial sizes or label steps; an edit "
        "based on an older version is refused.",
    )

    history = _history()

    class Meta:
        ordering = ["brand_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="formulary_product_slug_unique"),
            models.CheckConstraint(
                condition=~Q(slug="") & ~Q(slug__in=RESERVED_SLUGS),
                name="formulary_product_slug_allowed",
                violation_error_message="This slug is reserved; choose another.",
            ),
            models.CheckConstraint(
                condition=Q(concentration_pct__gt=0, concentration_pct__lte=100),
                name="formulary_product_concentration_pct_range",
            ),
            models.CheckConstraint(
                condition=_null_or("iga_ug_per_ml", Q(iga_ug_per_ml__gte=0)),
                name="formulary_product_iga_not_negative",
            ),
            models.CheckConstraint(
                condition=_null_or(
                    "label_max_mg_per_kg_per_min", Q(label_max_mg_per_kg_per_min__gt=0)
                ),
                name="formulary_product_label_max_positive",
            ),
            models.CheckConstraint(
                condition=_null_or(
                    "at_risk_max_mg_per_kg_per_min", Q(at_risk_max_mg_per_kg_per_min__gt=0)
                ),
                name="formulary_product_at_risk_max_positive",
            ),
            models.CheckConstraint(
                condition=_null_or(
                    "at_risk_max_mg_per_kg_per_min",
                    _null_or(
                        "label_max_mg_per_kg_per_min",
                        Q(at_risk_max_mg_per_kg_per_min__lte=F("label_max_mg_per_kg_per_min")),
                    ),
                ),
                name="formulary_product_at_risk_max_within_label_max",
                violation_error_message="The at-risk maximum cannot be above the label maximum.",
            ),
            _range_constraint(
                "osmolality_min_mosm_per_kg",
                "osmolality_max_mosm_per_kg",
                "formulary_product_osmolality_range",
                "osmolality",
            ),
            _range_constraint("ph_min", "ph_max", "formulary_product_ph_range", "pH"),
        ]

    def __str__(self) -> str:
        return self.brand_name

    @property
    def sugar_free(self) -> bool:
        return not self.contains_sucrose and not SUGARS.intersection(self.stabilizers)

    @property
    def stabilizer_labels(self) -> list[str]:
        labels = dict(Stabilizer.choices)
        return [labels.get(value, value) for value in self.stabilizers]


class VialSize(models.Model):
    """A vial size a product comes in; an inactive size is kept but no longer dispensed."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="vial_sizes")
    size_g = models.DecimalField("size (g)", max_digits=6, decimal_places=2, validators=[_POSITIVE])
    active = models.BooleanField(default=True)

    history = _history()

    class Meta:
        ordering = ["product", "size_g"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "size_g"], name="formulary_vialsize_unique_per_product"
            ),
            models.CheckConstraint(
                condition=Q(size_g__gt=0), name="formulary_vialsize_size_g_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.size_g} g"


class LabelRateStep(models.Model):
    """One step of the label's titration (docs/clinical-rules.md 3.4); the last step has no
    minutes."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="label_rate_steps")
    position = models.PositiveSmallIntegerField()
    rate_mg_per_kg_per_min = models.DecimalField(
        "rate (mg/kg/min)", max_digits=6, decimal_places=2, validators=[_POSITIVE]
    )
    minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )

    history = _history()

    class Meta:
        ordering = ["product", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "position"], name="formulary_labelratestep_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="formulary_labelratestep_position_positive"
            ),
            models.CheckConstraint(
                condition=Q(rate_mg_per_kg_per_min__gt=0),
                name="formulary_labelratestep_rate_positive",
            ),
            models.CheckConstraint(
                condition=_null_or("minutes", Q(minutes__gt=0)),
                name="formulary_labelratestep_minutes_positive",
            ),
        ]

    def __str__(self) -> str:
        minutes = "to the end" if self.minutes is None else f"{self.minutes} min"
        return f"{self.product} step {self.position}: {self.rate_mg_per_kg_per_min} ({minutes})"


class ProductPrice(models.Model):
    """A price per gram from a date on; the current price is the latest one in effect (3.7)."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="prices")
    price_per_g = models.DecimalField(
        "price per g", max_digits=10, decimal_places=2, validators=[_POSITIVE]
    )
    effective_from = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = _history()

    class Meta:
        ordering = ["product", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "effective_from"], name="formulary_productprice_unique_date"
            ),
            models.CheckConstraint(
                condition=Q(price_per_g__gt=0), name="formulary_productprice_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.price_per_g} per g from {self.effective_from}"


# docs/clinical-rules.md 3.1 (rules v3): the engine's ``AdjustedWeightRule``, in words.
ADJUSTED_WEIGHT_RULE_CHOICES = [
    (
        "bmi_or_ibw_percent",
        "Adults of 152 cm or more with a BMI over 30 or a weight over 120 % of ideal",
    ),
    (
        "any_adult_above_ibw",
        "Every adult of 152.4 cm (60 inches) or more whose weight is above ideal (Ontario)",
    ),
]


class DosingPolicy(models.Model):
    """The pharmacy's dosing policy (docs/clinical-rules.md 3.3-3.5): one row; ``version`` counts
    its changes.

    Every version is in ``history``; a form or API client sends the version it read and a stale
    one is refused (optimistic concurrency).
    """

    SINGLETON_ID = 1

    rounding_tolerance_pct = models.DecimalField(
        "rounding tolerance (%)",
        max_digits=4,
        decimal_places=1,
        default=Decimal(10),
        validators=[_NOT_NEGATIVE, MaxValueValidator(50)],
        help_text="How far a dose may move to a whole vial, in % of the calculated dose.",
    )
    max_rate_ml_per_h = models.PositiveSmallIntegerField(
        "maximum rate (mL/h)",
        default=200,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    premedication_lead_minutes = models.PositiveSmallIntegerField(
        "premedication lead (minutes)",
        default=30,
        validators=[MinValueValidator(15), MaxValueValidator(30)],
        help_text="Premedication is given 15 to 30 minutes before the start.",
    )
    observation_minutes = models.PositiveSmallIntegerField(
        "observation after the infusion (minutes)",
        default=30,
        validators=[MaxValueValidator(240)],
    )
    review_interval_cycles = models.PositiveSmallIntegerField(
        "response review every (cycles)",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=(
            "A cycle past the last review + this many cycles is not booked until a response "
            "review is recorded."
        ),
    )
    default_at_risk_max_mg_per_kg_per_min = models.DecimalField(
        "default at-risk maximum rate (mg/kg/min)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("3.3"),
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(12)],
        help_text=(
            "The fastest rate for a patient with a renal or thrombosis risk where the product's "
            "label gives no maximum for such patients (the labels ask for the minimum rate "
            "practicable)."
        ),
    )
    adjusted_weight_rule = models.CharField(
        "who is dosed on adjusted body weight",
        max_length=24,
        choices=ADJUSTED_WEIGHT_RULE_CHOICES,
        default="bmi_or_ibw_percent",
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    history = _history()

    class Meta:
        verbose_name = "dosing policy"
        verbose_name_plural = "dosing policy"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="formulary_dosingpolicy_singleton"),
            models.CheckConstraint(
                condition=Q(rounding_tolerance_pct__gte=0, rounding_tolerance_pct__lte=50),
                name="formulary_dosingpolicy_tolerance_range",
            ),
            models.CheckConstraint(
                condition=Q(max_rate_ml_per_h__gte=1, max_rate_ml_per_h__lte=200),
                name="formulary_dosingpolicy_max_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(premedication_lead_minutes__gte=15, premedication_lead_minutes__lte=30),
                name="formulary_dosingpolicy_premedication_lead_range",
            ),
            models.CheckConstraint(
                condition=Q(observation_minutes__lte=240),
                name="formulary_dosingpolicy_observation_range",
            ),
            models.CheckConstraint(
                condition=Q(review_interval_cycles__gte=1, review_interval_cycles__lte=24),
                name="formulary_dosingpolicy_review_interval_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    default_at_risk_max_mg_per_kg_per_min__gte=Decimal("0.1"),
                    default_at_risk_max_mg_per_kg_per_min__lte=12,
                ),
                name="formulary_dosingpolicy_default_at_risk_max_range",
            ),
            models.CheckConstraint(
                condition=Q(adjusted_weight_rule__in=["bmi_or_ibw_percent", "any_adult_above_ibw"]),
                name="formulary_dosingpolicy_adjusted_weight_rule_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Dosing policy version {self.version}"
