"""The order form's premedication, line by line (docs/clinical-rules.md 3.5): a drug from the
catalogue, a dose in its unit, a route and the minutes before the start. The rules of a line are
``services.line_problems``'s; these forms parse and put each refusal on its field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from formulary.premedication.models import DoseUnit, PremedicationDrug, Route
from ivig.engine import format_decimal
from ivig.forms import SharedChoices

from .models import MINUTES_BEFORE_MAX, MINUTES_BEFORE_MIN
from .services import LineValues, line_problems

PREFIX = "premedication"
BLANK_ROWS = 2  # offered below the lines, for more


class PremedicationLineForm(forms.Form):
    """One line; a row left blank (no drug, no dose) or ticked "Remove" is no line."""

    drug = forms.ModelChoiceField(
        queryset=PremedicationDrug.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label="—",
    )
    dose = forms.DecimalField(
        required=False, widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6})
    )
    route = forms.ChoiceField(
        choices=[("", "Usual"), *Route.choices],
        required=False,
        help_text="Blank: the drug's usual.",
    )
    minutes_before = forms.IntegerField(
        label="Minutes before the start",
        required=False,
        widget=forms.NumberInput(attrs={"min": MINUTES_BEFORE_MIN, "max": MINUTES_BEFORE_MAX}),
    )
    remove = forms.BooleanField(required=False)

    def __init__(
        self,
        *args: Any,
        drugs: QuerySet[PremedicationDrug],
        default_minutes: int,
        drug_choices: SharedChoices | None = None,
        **kwargs: Any,
    ) -> None:
        """``drug_choices``: the options every row of the formset shows, read once."""
        super().__init__(*args, **kwargs)
        drug_field = self.fields["drug"]
        assert isinstance(drug_field, forms.ModelChoiceField)
        drug_field.queryset = drugs
        if drug_choices is not None:
            drug_choices.share(drug_field)
        self.default_minutes = default_minutes

    @property
    def unit(self) -> str:
        """The unit of the chosen drug's dose, as the catalogue gives it."""
        drug = self.cleaned_data.get("drug") if hasattr(self, "cleaned_data") else None
        return drug.dose_unit if drug is not None else DoseUnit.MG.label

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("remove")) or (data.get("drug") is None and data.get("dose") is None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or self.is_blank():
            return cleaned
        if cleaned.get("drug") is None:
            self.add_error("drug", "Choose the drug.")
        elif cleaned.get("dose") is None:
            self.add_error("dose", f"Give the dose of {cleaned['drug'].name}.")
        return cleaned

    def line(self) -> LineValues:
        data = self.cleaned_data
        drug: PremedicationDrug = data["drug"]
        minutes = data.get("minutes_before")
        return LineValues(
            drug=drug,
            dose=data["dose"],
            dose_unit=drug.dose_unit,
            route=data.get("route") or drug.route,
            minutes_before=self.default_minutes if minutes is None else minutes,
        )


class BasePremedicationLines(forms.BaseFormSet):
    """The order's lines; ``own_drug_ids``: the drugs the order being changed names (kept
    allowed after they leave the catalogue)."""

    own_drug_ids: Sequence[int] = ()

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        rows = [form for form in self.forms if not form.is_blank()]
        problems = line_problems([form.line() for form in rows], allowed_drug_ids=self.own_drug_ids)
        for index, fields in problems.items():
            for name, message in fields.items():
                rows[index].add_error("drug" if name == "dose_unit" else name, message)

    def line_values(self) -> list[LineValues]:
        """The lines entered (after ``is_valid``), in their order."""
        return [form.line() for form in self.forms if not form.is_blank()]


PremedicationLineFormSet = forms.formset_factory(
    PremedicationLineForm, formset=BasePremedicationLines, extra=BLANK_ROWS, max_num=20
)


def lines_formset(
    data: Mapping[str, Any] | None,
    *,
    initial: list[dict[str, Any]],
    own_drug_ids: Sequence[int],
    default_minutes: int,
) -> BasePremedicationLines:
    """The order form's lines: bound to ``data`` (a post), or showing ``initial`` rows and blank
    ones. The drugs offered: the catalogue's active ones and those the order names already."""
    drugs = PremedicationDrug.objects.filter(Q(active=True) | Q(pk__in=list(own_drug_ids)))
    formset: BasePremedicationLines = PremedicationLineFormSet(  # type: ignore[assignment]
        data,
        prefix=PREFIX,
        initial=initial,
        form_kwargs={
            "drugs": drugs,
            "default_minutes": default_minutes,
            "drug_choices": SharedChoices(),
        },
    )
    formset.own_drug_ids = own_drug_ids
    return formset


def initial_rows(lines: Sequence[LineValues]) -> list[dict[str, Any]]:
    """``lines`` as the rows a form shows (plain values)."""
    return [
        {
            "drug": line.drug.slug,
            "dose": format_decimal(line.dose),
            "route": line.route,
            "minutes_before": line.minutes_before,
        }
        for line in lines
    ]


def rows_from_posted(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows a post carried, as plain values (never the post itself: issue 19), without the
    blank and removed ones: the form shown again from a post shows them as typed."""
    try:
        total = min(int(data.get(f"{PREFIX}-TOTAL_FORMS") or 0), 20)
    except (TypeError, ValueError):
        total = 0
    rows = []
    for index in range(total):
        row = {
            name: str(data.get(f"{PREFIX}-{index}-{name}") or "").strip()
            for name in ("drug", "dose", "route", "minutes_before")
        }
        if data.get(f"{PREFIX}-{index}-remove") or not (row["drug"] or row["dose"]):
            continue
        rows.append(row)
    return rows


def rows_as_posted(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """What a browser posts for ``rows`` (and the blank ones after them)."""
    data = {
        f"{PREFIX}-TOTAL_FORMS": str(len(rows) + BLANK_ROWS),
        f"{PREFIX}-INITIAL_FORMS": str(len(rows)),
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "20",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{PREFIX}-{index}-{name}"] = "" if value is None else str(value)
    return data
