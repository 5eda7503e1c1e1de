"""Order forms: they parse and show errors; ``orders.services`` decides and saves. The patient
and weight forms are ``orders.patients.forms``."""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone

from formulary.models import Product
from formulary.selectors import products_list
from formulary.suitability import suitable_products
from ivig.dates import ORDER_START, date_formfield
from ivig.engine import Finding
from ivig.forms import PlainDecimalsForm, SharedChoices, initial_from_posted
from ivig.templatetags.clinical import finding_title

from .course_versions import next_version_start
from .dose_plans.engine_inputs import REGIMEN_FIELDS, RegimenValues
from .dose_plans.input_ranges import ORDER_RANGES
from .dose_plans.per_request import once_per_request, policy_in_force
from .errors import OrderError
from .models import (
    WEIGHT_MAX_KG,
    WEIGHT_MIN_KG,
    Indication,
    Order,
    OrderOverride,
    OrderStatus,
    Patient,
)
from .patients.forms import (
    CONFIRM_UNUSUAL,
    confirm_unusual_field,
    keep_weight_confirmation_in_view,
    show_weight_confirmation,
)
from .patients.selectors import PATIENT_QUERY_PARAM, patient_choices, patient_matches
from .premedication.forms import PREFIX as LINES_PREFIX
from .premedication.forms import initial_rows, lines_formset, rows_as_posted, rows_from_posted
from .premedication.services import LineValues, default_line_values, lines_of
from .services import ORDER_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_order_error(form: forms.BaseForm, error: OrderError) -> None:
    """Show a service's refusal on the form: on its fields where it names them (and, for an
    unusual weight, the "I confirm this weight" checkbox, docs/clinical-rules.md 3.1.1)."""
    if error.code == OrderError.UNUSUAL_WEIGHT:
        show_weight_confirmation(form)
    if not error.field_errors:
        form.add_error(None, error.message)
        return
    for field, messages in error.field_errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


# --- orders ----------------------------------------------------------------------------------

ORDER_FORM_FIELDS = ("patient", *ORDER_FIELDS)
REFRESH_FIELDS = {
    "hx-post": reverse_lazy("orders:order-form-fields"),
    "hx-trigger": "change",
    "hx-target": "#order-fields",
    "hx-swap": "outerHTML",
    "hx-include": "closest form",
    # Its own queue, not the form's (inherited), so that the preview the same change starts
    # 200 ms later does not wait behind it. Queued, never replaced: htmx logs an aborted request
    # as a console error (htmx:sendAbort), so a newer request waits for the one in flight.
    "hx-sync": "this:queue last",
}


class OrderForm(PlainDecimalsForm):
    """The order entry form (docs/clinical-rules.md 4). It parses; ``orders.services`` decides and
    saves, and the engine (through ``plan_request_from_values``) computes every number of the
    preview.

    ``order``: the order being changed (its patient is fixed). Products are listed with those
    that raise no product-dependent stop or override for the patient first, each with why
    (docs/clinical-rules.md 5); an inactive product stays listed only where the order already names
    it.
    """

    weight_today_kg = forms.DecimalField(
        label="Weight today (kg)",
        required=False,
        min_value=WEIGHT_MIN_KG,
        max_value=WEIGHT_MAX_KG,
        decimal_places=2,
        help_text="Optional: recorded as the patient's weight today when the order is saved.",
    )
    confirm_unusual = confirm_unusual_field()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    start_date = date_formfield(ORDER_START, label="Start date")

    class Meta:
        model = Order
        fields = ORDER_FORM_FIELDS
        widgets = {
            "hydration": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "total_dose_g_per_kg": "Dose per cycle (g/kg)",
            "daily_dose_mg_per_kg": "Daily dose (mg/kg/day)",
            "target_rate_ml_per_h": "Target rate (mL/h)",
            "concomitant_immunosuppressant": "Concomitant immunosuppressant",
        }
        help_texts = {
            "total_dose_g_per_kg": "Give this or a daily dose: split evenly over the days.",
            "daily_dose_mg_per_kg": "Give this or a dose per cycle.",
            "target_rate_ml_per_h": "150-200 mL/h usual; the maximum is 200 mL/h.",
            "concomitant_immunosuppressant": "e.g. rituximab, mycophenolate (rebound risk).",
        }

    def __init__(
        self,
        *args: Any,
        order: Order | None = None,
        line_rows: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``line_rows``: the premedication rows to show (plain values); None: the order's
        lines, or for a new order the engine's defaults for the chosen patient
        (docs/clinical-rules.md 3.5)."""
        given = set(kwargs.get("initial") or ())
        super().__init__(*args, instance=order, **kwargs)
        self.order = order
        keep_weight_confirmation_in_view(self)
        for name, in_range in ORDER_RANGES.items():
            # One check, one message naming the range (orders/dose_plans/input_ranges.py), in place
            # of the column's digit count and bounds.
            field = self.fields[name]
            field.validators = [in_range]
            field.widget.attrs.update(min=in_range.low, max=in_range.high)
        rate = self.fields["target_rate_ml_per_h"]
        assert isinstance(rate, forms.IntegerField)
        rate.min_value = 1
        rate.validators.append(MinValueValidator(1))
        rate.widget.attrs["min"] = 1
        self.fields["indication"].help_text = "Choosing one fills in its usual regimen."
        # htmx: a new patient re-lists the products; a new indication also fills in its regimen.
        # A new patient also starts the premedication again from their defaults (3.5).
        self.fields["patient"].widget.attrs.update(
            REFRESH_FIELDS, **{"hx-vals": '{"premedication_defaults": "1"}'}
        )
        self.fields["indication"].widget.attrs.update(
            REFRESH_FIELDS, **{"hx-vals": '{"apply_defaults": "1"}'}
        )
        indication = self.fields["indication"]
        assert isinstance(indication, forms.ModelChoiceField)
        indication.queryset = Indication.objects.all()
        SharedChoices().share(indication)  # drawn from one plain query
        if order is not None:
            self.fields["patient"].widget = forms.HiddenInput()
            self.fields["patient"].disabled = True
            self.fields["version"].required = True
            self.initial.setdefault("version", order.version)
            if order.status == OrderStatus.ACTIVE:
                # docs/clinical-rules.md 4: a new version of an order under treatment replaces
                # its cycles not yet started; offered from the next one, as a taper is (10.3).
                start, cycles = next_version_start(
                    order, order.cycle_interval_days, timezone.localdate()
                )
                offered = {"start_date": start, "cycles": cycles}
                self.initial.update({k: v for k, v in offered.items() if k not in given})
                self.fields["start_date"].help_text = (
                    "The new version's first cycle: offered one interval after the last cycle "
                    "started, with the cycles not yet started."
                )
        self.patient = self._chosen_patient()
        self.lines = self._lines(line_rows)  # before anything cleans the form
        self._bound_patient_choices()
        self._list_products()

    def _lines(self, line_rows: list[dict[str, Any]] | None) -> Any:
        own = lines_of(self.order) if self.order is not None else []
        if line_rows is None:
            line_rows = initial_rows(
                own
                if self.order is not None
                else default_line_values(self.patient, timezone.localdate())
            )
        # A post without the rows (a client that does not send them) leaves the lines as they
        # are: the order's, or a new order's defaults (as the API does without them).
        self.lines_posted = self.is_bound and f"{LINES_PREFIX}-TOTAL_FORMS" in self.data
        return lines_formset(
            self.data if self.lines_posted else None,
            initial=line_rows,
            own_drug_ids=[line.drug.pk for line in own],
            default_minutes=policy_in_force().premedication_lead_minutes,
        )

    @property
    def written_before_lines(self) -> str:
        """The premedication text of an order written before the lines: shown beside them,
        replaced by them when the order is saved."""
        return self.order.premedication if self.order is not None else ""

    @classmethod
    def shown_again(
        cls,
        data: Mapping[str, Any],
        *,
        order: Order | None = None,
        premedication_defaults: bool = False,
    ) -> "OrderForm":
        """The form refilled from ``data`` (a post: the patient or indication changed, or the
        indication's defaults applied): every field as the user typed it, unbound so that no
        error shows on a field not filled in yet (issue 19: never ``initial=request.POST``).
        ``premedication_defaults`` (the patient was chosen): lines still as the form offered
        them before a patient (the adult defaults, untouched) become that patient's defaults (a
        child's weight-based); lines the clinician changed are shown as typed."""
        initial = initial_from_posted(cls(data, order=order), data)
        initial[PATIENT_QUERY_PARAM] = data.get(PATIENT_QUERY_PARAM) or ""
        rows: list[dict[str, Any]] | None = rows_from_posted(data)
        if premedication_defaults and order is None and _as_offered(rows or []):
            rows = None
        return cls(initial=initial, order=order, line_rows=rows)

    def as_posted(self) -> "OrderForm":
        """The form as the browser would post it now (its initial values, bound): the edit page
        of a saved order shows its preview at once (docs/architecture.md, "How a plan is made")."""
        data: dict[str, Any] = {}
        for name in self.fields:
            value = self[name].value()
            if isinstance(value, list | tuple):
                data[name] = [str(item) for item in value]
            elif value is not None:
                data[name] = value
        rows = [
            {name: form[name].value() for name in ("drug", "dose", "route", "minutes_before")}
            for form in self.lines.forms[: self.lines.initial_form_count()]
        ]
        data.update(rows_as_posted(rows))
        return OrderForm(data, order=self.order)

    @property
    def patient_chosen(self) -> Patient | None:
        """The chosen patient (shown by name when the form lists none)."""
        return self.patient

    def _bound_patient_choices(self) -> None:
        """Render at most ``PATIENT_MATCHES`` patients, none when one is chosen
        (orders/patients/selectors.py); validation still accepts any patient's id."""
        if self.order is not None:
            return
        field = self.fields["patient"]
        if self.patient is not None and not self.has_error("patient"):
            field.widget = forms.HiddenInput()
            return
        query = str(
            self.data.get(PATIENT_QUERY_PARAM) or self.initial.get(PATIENT_QUERY_PARAM) or ""
        )
        field.widget.choices = patient_choices(patient_matches(query))
        field.widget.attrs["data-testid"] = "patient-select"

    def _chosen_patient(self) -> Patient | None:
        if self.order is not None:
            return self.order.patient
        key = self["patient"].value()
        if key in (None, ""):
            return None
        try:
            return Patient.objects.filter(pk=int(key)).first()
        except (TypeError, ValueError):
            return None

    def _list_products(self) -> None:
        field = self.fields["product"]
        assert isinstance(field, forms.ModelChoiceField)
        chosen = self.order.product_id if self.order else None
        if self.patient is None:
            # No patient to judge the products for (a new order's form before one is chosen):
            # the picker shows their names only, without reading their vials and rate steps.
            field.queryset = Product.objects.filter(Q(active=True) | Q(pk=chosen))
            SharedChoices().share(field)  # one plain query
            return
        # The edit page builds the form twice (shown, and as posted for its preview): the
        # products with their vials and steps are read once per request that only reads.
        products = once_per_request(
            ("order form products", chosen),
            lambda: products_list().filter(Q(active=True) | Q(pk=chosen)),
        )
        field.queryset = products
        fit = suitable_products(
            iga_status=self.patient.iga_status,
            risk_factors=self.patient.risk_factors,
            age_years=self.patient.age_years(timezone.localdate()),
            products=products,
        )
        suitable = [
            (
                p.product.pk,
                p.product.brand_name
                + (f" — {', '.join(p.notes)}" if p.notes else "")
                + _warnings_label(p.warnings),
            )
            for p in fit.suitable
        ]
        unsuitable = [
            (
                p.product.pk,
                f"{p.product.brand_name} — "
                + ", ".join(f"{finding_title(f.code)} ({f.severity})" for f in p.findings)
                + _warnings_label(p.warnings),
            )
            for p in fit.unsuitable
        ]
        field.choices = [
            ("", "---------"),
            (f"Suitable for {self.patient.full_name}", suitable),
            ("Raise a finding for this patient", unsuitable),
        ]

    def _get_validation_exclusions(self) -> set[str]:
        """The model's own validation leaves out the patient, product and indication: each was
        read by its field from that field's choices (a row that exists), so the model does not
        read it again to check that it exists (three queries per validation: the edit page's
        preview, every save; issue 21). A choice outside the field's choices is the field's
        error, as before."""
        exclusions: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        return {*exclusions, "patient", "product", "indication"}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.lines_posted and not self.lines.is_valid():
            self.add_error(None, "Premedication: correct the lines marked below.")
        doses = [cleaned.get("total_dose_g_per_kg"), cleaned.get("daily_dose_mg_per_kg")]
        if sum(dose is not None for dose in doses) != 1 and not self.has_error(
            "total_dose_g_per_kg"
        ):
            self.add_error(
                "total_dose_g_per_kg",
                "Give either a dose per cycle (g/kg) or a daily dose (mg/kg/day), not both.",
            )
        return cleaned

    def order_values(self) -> dict[str, Any]:
        """The cleaned choices as ``order_create``/``order_update`` keyword arguments."""
        values = {name: self.cleaned_data[name] for name in ORDER_FIELDS}
        values["weight_today_kg"] = self.cleaned_data.get("weight_today_kg")
        values["confirm_unusual_weight"] = bool(self.cleaned_data.get(CONFIRM_UNUSUAL))
        values["premedication_lines"] = self.lines.line_values() if self.lines_posted else None
        return values

    def premedication_entered(self) -> list[LineValues]:
        """The lines the preview judges: as posted, else as shown (after ``is_valid``)."""
        if self.lines_posted:
            return self.lines.line_values()
        own = lines_of(self.order) if self.order is not None else None
        return own if own is not None else default_line_values(self.patient, timezone.localdate())

    def regimen(self) -> RegimenValues:
        return RegimenValues(**{name: self.cleaned_data[name] for name in REGIMEN_FIELDS})


def _as_offered(rows: list[dict[str, Any]]) -> bool:
    """``rows`` (as posted) are the lines a new order's form offers before a patient is chosen
    (a blank route or minutes read as the defaults they stand for)."""
    offered = default_line_values(None, timezone.localdate())

    def same(row: dict[str, Any], line: LineValues) -> bool:
        try:
            dose = Decimal(row["dose"])
            minutes = int(row["minutes_before"] or line.minutes_before)
        except (ArithmeticError, ValueError):
            return False
        route = row["route"] or line.drug.route
        return (row["drug"], dose, route, minutes) == (
            line.drug.slug,
            line.dose,
            line.route,
            line.minutes_before,
        )

    return len(rows) == len(offered) and all(map(same, rows, offered))


def _warnings_label(warnings: Iterable[Finding]) -> str:
    """The product picker's mention of a product's warnings (docs/clinical-rules.md 5: shown,
    while the product stays suitable), e.g. " — warns: Maltose: glucose meter readings falsely
    high"."""
    codes = [finding_title(finding.code) for finding in warnings]
    return f" — warns: {', '.join(codes)}" if codes else ""


def indication_defaults(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` (a posted order form) with the chosen indication's default regimen filled in
    (docs/clinical-rules.md 4: the indication list's defaults prefill the regimen)."""
    values = {key: data.get(key) for key in data}
    key = _int_or_none(values.get("indication"))
    indication = Indication.objects.filter(pk=key).first() if key is not None else None
    if indication is not None:
        values.update(
            total_dose_g_per_kg=indication.default_total_g_per_kg,
            daily_dose_mg_per_kg="",
            days_per_cycle=indication.default_days_per_cycle,
            cycle_interval_days=indication.default_cycle_interval_days,
        )
    return values


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class OrderStepForm(forms.Form):
    """A lifecycle step's form: its cleaned data are the service's keyword arguments."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def step_arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class SignForm(OrderStepForm):
    """Signing (docs/clinical-rules.md 4): the clinician's password again, and a reason per override
    finding."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, overrides: Iterable[Finding] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.override_codes = []
        for finding in overrides:
            self.override_codes.append(finding.code)
            self.fields[f"reason_{finding.code}"] = forms.CharField(
                label=f"Reason to override {finding_title(finding.code)}",
                help_text=finding.message,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def step_arguments(self) -> dict[str, Any]:
        reasons = {code: self.cleaned_data[f"reason_{code}"] for code in self.override_codes}
        return {
            "password": self.cleaned_data["password"],
            "override_reasons": reasons,
            "version": self.cleaned_data["version"],
        }


class VerifyForm(OrderStepForm):
    """Verification (docs/clinical-rules.md 4): a checkbox per override to acknowledge it."""

    acknowledged_codes = forms.MultipleChoiceField(
        label="Overrides acknowledged",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, overrides: Iterable[OrderOverride] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["acknowledged_codes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (
                override.code,
                f"I acknowledge {finding_title(override.code)}: {override.reason}",
            )
            for override in overrides
        ]


class OrderReasonForm(OrderStepForm):
    """A reason for rejecting or discontinuing (docs/clinical-rules.md 4); the service refuses a
    blank one."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, label: str = "Reason", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label


class OrderVersionForm(OrderStepForm):
    """A step with nothing to enter but the version the user saw (complete)."""
