"""The kinds of administration entry (docs/clinical-rules.md 6): one pydantic model per kind, one
discriminated union on ``kind``. Each model says which fields its kind records, which it needs,
and the limits of the values a nurse types (a typo guard, not clinical limits).

The edges parse through ``parse_entry``: the record form and the API turn its refusal into a
form error or a 400. The service receives the validated model and checks the rules that need the
session: the plan's rates, the day's dose, the product's vial sizes, the order of events.

A blank value (None, "", [] or only spaces) is an absent one, so a form that posts every field
records only its kind's; a field the kind does not record is refused when it is not blank.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from infusions.administration.models import EntryKind, Severity, Symptom
from infusions.errors import InfusionError

# How the refusals name each field to people.
FIELD_LABELS = {
    "details": "details",
    "lot_number": "lot number",
    "vial_size_g": "vial size",
    "vial_count": "vial count",
    "rate_ml_per_h": "rate",
    "bp_systolic_mmhg": "systolic blood pressure",
    "bp_diastolic_mmhg": "diastolic blood pressure",
    "pulse_per_min": "pulse",
    "temperature_c": "temperature",
    "respiratory_rate_per_min": "respiratory rate",
    "spo2_pct": "oxygen saturation (SpO₂)",
    "symptoms": "symptoms",
    "severity": "severity",
    "action": "action",
    "volume_ml": "volume given",
    "grams_given": "grams given",
}
LOT_NUMBER_MAX_LENGTH = 40  # the column's length
# The field a refusal of the whole entry (two fields together) is shown on.
FIELD_OF_ENTRY_ERRORS = {"diastolic_not_below_systolic": "bp_diastolic_mmhg"}


def _label(info: ValidationInfo) -> str:
    return FIELD_LABELS[info.field_name or ""]


def _not_a_number(info: ValidationInfo) -> PydanticCustomError:
    return PydanticCustomError(
        "not_a_number", "The {label} must be a number.", {"label": _label(info)}
    )


def _whole_number(value: Any, info: ValidationInfo) -> int:
    """A whole number from an int or its text ("72", "72.0"); not a bool, not 72.5."""
    try:
        if isinstance(value, bool):
            raise ValueError
        number = Decimal(str(value))
        if number != int(number):
            raise ValueError
    except (ValueError, ArithmeticError):
        raise _not_a_number(info) from None
    return int(number)


def _decimal(value: Any, info: ValidationInfo) -> Decimal:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise _not_a_number(info) from None
    if not number.is_finite():
        raise _not_a_number(info)
    return number


def _plausible(low: int, high: int) -> AfterValidator:
    def check(value: int | Decimal, info: ValidationInfo) -> int | Decimal:
        if not low <= value <= high:
            raise PydanticCustomError(
                "implausible",
                "A {label} of {value} is not plausible (expected {low} to {high}).",
                {"label": _label(info), "value": str(value), "low": str(low), "high": str(high)},
            )
        return value

    return AfterValidator(check)


def _not_negative(value: Decimal, info: ValidationInfo) -> Decimal:
    if value < 0:
        raise PydanticCustomError(
            "negative", "The {label} cannot be negative.", {"label": _label(info)}
        )
    return value


def _at_least_one_vial(value: int) -> int:
    if value < 1:
        raise PydanticCustomError("no_vial", "At least one vial.")
    return value


def _lot_number(value: str) -> str:
    if len(value) > LOT_NUMBER_MAX_LENGTH:
        raise PydanticCustomError(
            "too_long", f"The lot number has at most {LOT_NUMBER_MAX_LENGTH} characters."
        )
    return value


def _watch_list(value: Any) -> list[str]:
    """Codes from the watch list, in its order."""
    if not isinstance(value, list | tuple) or not all(code in Symptom.values for code in value):
        raise PydanticCustomError(
            "not_on_watch_list",
            "Symptoms are chosen from the watch list: " + ", ".join(Symptom.labels) + ".",
        )
    return [code for code in Symptom.values if code in value]


def _severity(value: Any) -> Any:
    if value not in Severity.values:
        raise PydanticCustomError("severity", "Severity is mild, moderate or severe.")
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
Amount = Annotated[Decimal, BeforeValidator(_decimal)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        present = {}
        for name, value in data.items():
            if name in cls.model_fields:
                if isinstance(value, str):
                    value = value.strip()
                if value in (None, "", []):
                    continue
            elif not value:
                continue  # another kind's field, left blank
            present[name] = value
        return present

    def row_fields(self) -> dict[str, Any]:
        """The ``AdministrationEntry`` fields this entry sets (not ``kind``)."""
        return self.model_dump(exclude={"kind"}, exclude_none=True)


class PremedicationGiven(_Entry):
    kind: Literal["premedication_given"] = "premedication_given"
    details: str = ""  # blank: the order's premedication


class IvAccess(_Entry):
    kind: Literal["iv_access"] = "iv_access"
    details: str


class LotRecorded(_Entry):
    kind: Literal["lot_recorded"] = "lot_recorded"
    lot_number: Annotated[str, AfterValidator(_lot_number)]
    vial_size_g: Amount
    vial_count: Annotated[WholeNumber, AfterValidator(_at_least_one_vial)]


class Started(_Entry):
    kind: Literal["started"] = "started"
    rate_ml_per_h: WholeNumber | None = None  # blank: the plan's first rate
    # Why the start is far from the booking (``administration.START_REASON_BEYOND``): needed
    # then, kept in the record and the session's history.
    details: str = ""


class RateChanged(_Entry):
    kind: Literal["rate_changed"] = "rate_changed"
    rate_ml_per_h: WholeNumber


class VitalSigns(_Entry):
    kind: Literal["vital_signs"] = "vital_signs"
    bp_systolic_mmhg: Annotated[WholeNumber, _plausible(40, 300)]
    bp_diastolic_mmhg: Annotated[WholeNumber, _plausible(20, 200)]
    pulse_per_min: Annotated[WholeNumber, _plausible(20, 250)]
    temperature_c: Annotated[Amount, _plausible(30, 45)] | None = None
    respiratory_rate_per_min: Annotated[WholeNumber, _plausible(4, 80)] | None = None
    spo2_pct: Annotated[WholeNumber, _plausible(50, 100)] | None = None

    @model_validator(mode="after")
    def _diastolic_below_systolic(self) -> "VitalSigns":
        if self.bp_diastolic_mmhg >= self.bp_systolic_mmhg:
            raise PydanticCustomError(
                "diastolic_not_below_systolic",
                "A diastolic blood pressure of {diastolic} is not below the systolic {systolic}: "
                "check the two values (systolic first).",
                {"diastolic": self.bp_diastolic_mmhg, "systolic": self.bp_systolic_mmhg},
            )
        return self


class AdverseEvent(_Entry):
    kind: Literal["adverse_event"] = "adverse_event"
    symptoms: Annotated[list[str], BeforeValidator(_watch_list)]
    severity: Annotated[str, BeforeValidator(_severity)]
    action: str = ""


class Restarted(_Entry):
    kind: Literal["restarted"] = "restarted"
    rate_ml_per_h: WholeNumber


class Completed(_Entry):
    kind: Literal["completed"] = "completed"
    volume_ml: Annotated[Amount, AfterValidator(_not_negative)]
    grams_given: Annotated[Amount, AfterValidator(_not_negative)]
    details: str = ""


class Note(_Entry):
    kind: Literal["note"] = "note"
    details: str


EntryData = Annotated[
    PremedicationGiven
    | IvAccess
    | LotRecorded
    | Started
    | RateChanged
    | VitalSigns
    | AdverseEvent
    | Restarted
    | Completed
    | Note,
    Field(discriminator="kind"),
]
ENTRY_MODELS: dict[str, type[_Entry]] = {
    model.model_fields["kind"].default: model
    for model in (
        PremedicationGiven,
        IvAccess,
        LotRecorded,
        Started,
        RateChanged,
        VitalSigns,
        AdverseEvent,
        Restarted,
        Completed,
        Note,
    )
}
assert set(ENTRY_MODELS) == set(EntryKind.values), "one model per entry kind"
_ENTRY: TypeAdapter[EntryData] = TypeAdapter(EntryData)


def entry_fields(kind: str) -> list[str]:
    """The fields ``kind`` records, in the order the record form shows them."""
    return [name for name in ENTRY_MODELS[kind].model_fields if name != "kind"]


def parse_entry(data: Mapping[str, Any]) -> EntryData:
    """``data`` (with its ``kind``) as the kind's model; refused as one ``InfusionError``
    (``invalid``, on the field it is about), as the service refused it before the edges
    validated."""
    try:
        return _ENTRY.validate_python(dict(data))
    except ValidationError as error:
        raise refusal(error, data.get("kind")) from None


def _missing_or_unreadable_first(problem: Any) -> int:
    return 0 if problem["type"] in ("missing", "not_a_number") else 1


def refusal(error: ValidationError, kind: Any) -> InfusionError:
    """The first problem of ``error`` as the service's refusal: an unknown kind, then the
    fields the kind does not record (all of them), then a missing or unreadable value, then
    the first other, in the order of the kind's fields."""
    problems = error.errors()
    if problems[0]["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return InfusionError(InfusionError.INVALID, f"Unknown entry kind {kind!r}.", field="kind")
    unknown = sorted(str(p["loc"][-1]) for p in problems if p["type"] == "extra_forbidden")
    if unknown:
        return InfusionError(
            InfusionError.INVALID,
            f"{EntryKind(kind).label} does not record {', '.join(unknown)}.",
            field=unknown[0],
        )
    first = min(problems, key=_missing_or_unreadable_first)
    field = (
        str(first["loc"][-1]) if len(first["loc"]) > 1 else FIELD_OF_ENTRY_ERRORS.get(first["type"])
    )
    if first["type"] == "missing" and field in FIELD_LABELS:
        message = f"Give the {FIELD_LABELS[field]}."
    else:
        message = first["msg"]
    return InfusionError(InfusionError.INVALID, message, field=field)
