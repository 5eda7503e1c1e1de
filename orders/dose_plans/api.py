"""``POST /api/v1/dose-plans/``: run the engine on a request and save nothing (docs/api.md).

The request is validated by pydantic models that mirror docs/api.md: unknown fields, wrong types and
malformed JSON answer 400 with field errors; clinically invalid values (a weight of 400 kg, an
unknown product) are the engine's business and answer 200 with an ``INVALID_INPUT`` finding.
Decimals may be sent as JSON strings (as docs/api.md shows) or numbers; whole numbers must be JSON
integers and booleans JSON booleans (strict), so ``"57"`` for an age is refused, not guessed.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
)
from pydantic import ValidationError as PydanticValidationError
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from formulary.engine_inputs import dosing_policy_facts, product_facts
from formulary.models import Product
from formulary.selectors import current_policy
from ivig.dates import VIEW
from ivig.engine import (
    DosePlan,
    PatientFacts,
    PlanRequest,
    Regimen,
    compute_plan,
    dose_plan_to_json,
)
from ivig.engine.models import (
    BloodGroup,
    DosingWeightBasisChoice,
    IgaStatus,
    RateProtocol,
    RiskFactor,
    Sex,
)
from orders.models import Indication

from .engine_inputs import indication_facts


def _decimal_from_json(value: Any) -> Any:
    # A JSON number arrives as float: go through its shortest text so 82.5 stays 82.5 exactly.
    if isinstance(value, bool):
        raise ValueError("a decimal number is expected, not a boolean")
    if isinstance(value, float):
        return str(value)
    return value


ApiDecimal = Annotated[Decimal, BeforeValidator(_decimal_from_json), Field(allow_inf_nan=False)]


def _day_in_window(value: date) -> date:
    if not VIEW.contains(value):
        first, last = VIEW.bounds()
        raise ValueError(f"a day from {first.isoformat()} to {last.isoformat()} is expected")
    return value


ApiDay = Annotated[date, AfterValidator(_day_in_window)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DosePlanPatient(_Strict):
    weight_kg: ApiDecimal | None = None
    height_cm: ApiDecimal | None = None
    sex: Sex | None = None
    age_years: StrictInt
    blood_group: BloodGroup = "unknown"
    iga_status: IgaStatus = "unknown"
    risk_factors: list[RiskFactor] = Field(default_factory=list)
    pregnant: StrictBool = False


class DosePlanRegimen(_Strict):
    total_dose_g_per_kg: ApiDecimal | None = None
    daily_dose_mg_per_kg: ApiDecimal | None = None
    days_per_cycle: StrictInt
    cycles: StrictInt
    cycle_interval_days: StrictInt
    start_date: ApiDay


class DosePlanRequest(_Strict):
    """The request body of docs/api.md."""

    patient: DosePlanPatient
    product: str
    indication: str
    regimen: DosePlanRegimen
    dosing_weight_basis: DosingWeightBasisChoice = "auto"
    rate_protocol: RateProtocol = "protocol"
    target_rate_ml_per_h: StrictInt = 200
    concomitant_immunosuppressant: str | None = None


def field_errors(error: PydanticValidationError) -> dict[str, Any]:
    """Pydantic's errors as DRF-style nested field errors: ``{"patient": {"age_years": [..]}}``."""
    errors: dict[str, Any] = {}
    for item in error.errors():
        location = [str(part) for part in item["loc"]] or ["non_field_errors"]
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "Unknown field."
        elif item["type"] == "missing":
            message = "This field is required."
        node = errors
        for part in location[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # a message already sits at this level
                child = node[part] = {"non_field_errors": child}
            node = child
        existing = node.setdefault(location[-1], [])
        if isinstance(existing, dict):
            existing = existing.setdefault("non_field_errors", [])
        existing.append(message)
    return errors


def plan_request_from_api(body: DosePlanRequest) -> PlanRequest:
    """Resolve slugs against the formulary and the indication list; unknown ones stay None."""
    product = (
        Product.objects.prefetch_related("vial_sizes", "label_rate_steps", "prices")
        .filter(slug=body.product)
        .first()
    )
    indication = Indication.objects.filter(slug=body.indication).first()
    regimen = body.regimen
    try:
        engine_regimen = Regimen(**regimen.model_dump())
    except PydanticValidationError as error:
        raise ValueError(error.errors()[0]["msg"].removeprefix("Value error, ")) from error
    return PlanRequest(
        patient=PatientFacts(**body.patient.model_dump()),
        product=product_facts(product) if product else None,
        indication=indication_facts(indication) if indication else None,
        regimen=engine_regimen,
        dosing_weight_basis=body.dosing_weight_basis,
        rate_protocol=body.rate_protocol,
        target_rate_ml_per_h=body.target_rate_ml_per_h,
        concomitant_immunosuppressant=body.concomitant_immunosuppressant,
        policy=dosing_policy_facts(current_policy()),
    )


WORKED_EXAMPLE = {
    "patient": {
        "weight_kg": "82.5",
        "height_cm": "168",
        "sex": "female",
        "age_years": 57,
        "blood_group": "A",
        "iga_status": "normal",
        "risk_factors": ["migraine"],
        "pregnant": False,
    },
    "product": "privigen",
    "indication": "pemphigus-vulgaris",
    "regimen": {
        "total_dose_g_per_kg": "2",
        "days_per_cycle": 5,
        "cycles": 6,
        "cycle_interval_days": 28,
        "start_date": "2027-01-04",
    },
    "dosing_weight_basis": "auto",
    "rate_protocol": "protocol",
    "target_rate_ml_per_h": 200,
    "concomitant_immunosuppressant": "mycophenolate",
}


class DosePlanView(APIView):
    """Compute a dose plan (nothing is saved). Any signed-in role may call it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="dose_plans_create",
        request=DosePlanRequest,
        responses={
            200: DosePlan,
            400: OpenApiResponse(description="Malformed JSON, wrong types or unknown fields."),
        },
        examples=[
            OpenApiExample(
                "The worked example of docs/api.md", value=WORKED_EXAMPLE, request_only=True
            )
        ],
        tags=["dose-plans"],
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["A JSON object is expected."]})
        try:
            body = DosePlanRequest.model_validate(request.data)
        except PydanticValidationError as error:
            raise ValidationError(field_errors(error)) from error
        try:
            plan_request = plan_request_from_api(body)
        except ValueError as error:
            raise ValidationError({"regimen": {"non_field_errors": [str(error)]}}) from error
        return Response(dose_plan_to_json(compute_plan(plan_request)))
