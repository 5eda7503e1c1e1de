"""Formulary API (docs/clinical-rules.md 5, 9): every role reads products, vial sizes and the dosing
policy; pharmacists create, update, deactivate, reactivate and price products and change the policy.
Nothing is ever deleted. Serializers parse and present; the services decide."""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ivig.accounts.models import User
from ivig.accounts.permissions import api_policy, signed_in_user
from ivig.api.serializers import RefuseUnknownFieldsMixin
from ivig.dates import PRICE, BoundedDate

from . import policies, selectors, services
from .filters import ProductFilter
from .models import DosingPolicy, LabelRateStep, Product, ProductPrice, Stabilizer, VialSize
from .services import POLICY_FIELDS, PRODUCT_FIELDS, RateStepData, VialSizeData
from .suitability import IGA_STATUSES, RISK_FACTORS, suitable_products

ReadsFormulary = api_policy(policies.can_read_formulary)
ChangesProducts = api_policy(policies.can_change_products)
ChangesPolicy = api_policy(policies.can_change_policy)


class ModelSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    """Decimals as strings without trailing zeros ("5", "0.5"); unknown fields refused."""

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[type, dict]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.DecimalField):
            kwargs["normalize_output"] = True
        return field_class, kwargs


class VialSizeSerializer(ModelSerializer):
    class Meta:
        model = VialSize
        fields: tuple[str, ...] = ("size_g", "active")


class LabelRateStepSerializer(ModelSerializer):
    class Meta:
        model = LabelRateStep
        fields = ("position", "rate_mg_per_kg_per_min", "minutes")
        read_only_fields = ("position",)


class ProductSerializer(ModelSerializer):
    """A product as every role reads it, with its vial sizes, label steps and current price."""

    stabilizers = serializers.ListField(child=serializers.ChoiceField(Stabilizer.choices))
    vial_sizes = VialSizeSerializer(many=True)
    label_rate_steps = LabelRateStepSerializer(many=True)
    current_price_per_g = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = (
            "slug",
            *PRODUCT_FIELDS,
            "active",
            "vial_sizes",
            "label_rate_steps",
            "current_price_per_g",
            "version",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True))
    def get_current_price_per_g(self, product: Product) -> str | None:
        price = selectors.current_price(product)
        return None if price is None else f"{price.normalize():f}"


class ProductWriteSerializer(ModelSerializer):
    """What a pharmacist sends to change a product; the answer is a ``ProductSerializer``.

    ``vial_sizes`` lists the product's sizes (a size left out becomes inactive);
    ``label_rate_steps`` replaces the steps, in order (positions are given by the order).
    ``version`` is the version the change is based on (PUT and PATCH): a stale one is refused
    with 409 ``stale_version``, so a colleague's change is never silently reverted.
    """

    stabilizers = serializers.ListField(child=serializers.ChoiceField(Stabilizer.choices))
    vial_sizes = VialSizeSerializer(many=True)
    label_rate_steps = LabelRateStepSerializer(many=True)
    version: serializers.Field | None = serializers.IntegerField(
        min_value=1,
        write_only=True,
        help_text="The version this change is based on; a stale one is refused with 409.",
    )

    class Meta:
        model = Product
        fields: tuple[str, ...] = (*PRODUCT_FIELDS, "vial_sizes", "label_rate_steps", "version")

    def validate(self, attrs: Any) -> Any:
        attrs = super().validate(attrs)
        if self.instance is not None and attrs.get("version") is None:  # PATCH too
            raise ValidationError({"version": ["Send the version your change is based on."]})
        return attrs

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        vial_sizes = data.pop("vial_sizes", None)
        steps = data.pop("label_rate_steps", None)
        return {
            "fields": {name: data[name] for name in PRODUCT_FIELDS if name in data},
            "vial_sizes": None
            if vial_sizes is None
            else [VialSizeData(v["size_g"], v.get("active", True)) for v in vial_sizes],
            "label_rate_steps": None
            if steps is None
            else [RateStepData(s["rate_mg_per_kg_per_min"], s.get("minutes")) for s in steps],
        }

    def update(self, instance: Product, validated_data: Any) -> Product:
        return services.product_update(
            product=instance,
            user=signed_in_user(self.context["request"]),
            expected_version=validated_data["version"],
            **self.service_arguments(),
        )

    def to_representation(self, instance: Product) -> Any:
        return ProductSerializer(instance, context=self.context).data


class ProductCreateSerializer(ProductWriteSerializer):
    """A new product: its slug (fixed from now on) and first price per g, from today."""

    price_per_g = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0.01"), write_only=True
    )
    version = None  # a new product starts at version 1

    class Meta(ProductWriteSerializer.Meta):
        fields = ("slug", *PRODUCT_FIELDS, "vial_sizes", "label_rate_steps", "price_per_g")

    def create(self, validated_data: Any) -> Product:
        arguments = self.service_arguments()
        return services.product_create(
            user=signed_in_user(self.context["request"]),
            slug=validated_data["slug"],
            price_per_g=validated_data["price_per_g"],
            fields=arguments["fields"],
            vial_sizes=arguments["vial_sizes"] or [],
            label_rate_steps=arguments["label_rate_steps"] or [],
        )


class ReasonSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ProductPriceSerializer(ModelSerializer):
    # Null for the prices the formulary's data migration seeded (nobody entered them).
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    effective_from = BoundedDate(window=PRICE)

    class Meta:
        model = ProductPrice
        fields = ("price_per_g", "effective_from", "created_by", "created_at")
        read_only_fields = ("created_by", "created_at")
        validators: list[Any] = []  # a duplicate date is the service's refusal, with its message


class SuitabilityQuerySerializer(serializers.Serializer):
    iga_status = serializers.ChoiceField(IGA_STATUSES, default="unknown")
    risk_factors = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Comma-separated risk factor codes, e.g. renal_failure,diabetes",
    )
    age_years = serializers.IntegerField(min_value=0, max_value=130)

    def validate_risk_factors(self, value: str) -> list[str]:
        codes = [code.strip() for code in value.split(",") if code.strip()]
        unknown = sorted(set(codes) - set(RISK_FACTORS))
        if unknown:
            raise ValidationError(f"Unknown risk factors: {', '.join(unknown)}.")
        return codes


class SuitabilityFindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.ChoiceField(["stop", "override", "warn"])
    message = serializers.CharField()


class ProductFitSerializer(serializers.Serializer):
    slug = serializers.CharField(source="product.slug")
    brand_name = serializers.CharField(source="product.brand_name")
    concentration_pct = serializers.DecimalField(
        source="product.concentration_pct", max_digits=5, decimal_places=2, normalize_output=True
    )
    notes = serializers.ListField(child=serializers.CharField())
    findings = SuitabilityFindingSerializer(many=True)
    # Warn-level product findings (e.g. MALTOSE_GLUCOSE_INTERFERENCE): shown, yet still suitable.
    warnings = SuitabilityFindingSerializer(many=True)


class SuitabilitySerializer(serializers.Serializer):
    suitable = ProductFitSerializer(many=True)
    unsuitable = ProductFitSerializer(many=True)


WRITE_ACTIONS = frozenset({"create", "update", "partial_update", "deactivate", "reactivate"})


@extend_schema_view(
    create=extend_schema(request=ProductCreateSerializer, responses={201: ProductSerializer}),
    update=extend_schema(request=ProductWriteSerializer, responses=ProductSerializer),
    partial_update=extend_schema(request=ProductWriteSerializer, responses=ProductSerializer),
)
class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """IVIg products. Every role reads; pharmacists write. There is no delete
    (docs/clinical-rules.md 5)."""

    lookup_field = "slug"
    filterset_class = ProductFilter
    serializer_class = ProductSerializer

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.products_list()

    def get_permissions(self) -> list[BasePermission]:
        writes = self.action in WRITE_ACTIONS or (
            self.action == "prices" and self.request.method == "POST"
        )
        return [ChangesProducts() if writes else ReadsFormulary()]

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return ProductCreateSerializer
        if self.action in ("update", "partial_update"):
            return ProductWriteSerializer
        return ProductSerializer

    def _set_active(self, request: Request, active: bool) -> Response:
        product = self.get_object()
        reason = ReasonSerializer(data=request.data)
        reason.is_valid(raise_exception=True)
        service = services.product_reactivate if active else services.product_deactivate
        product = service(
            product=product,
            user=signed_in_user(request),
            reason=reason.validated_data["reason"],
        )
        return Response(ProductSerializer(product, context=self.get_serializer_context()).data)

    @extend_schema(request=ReasonSerializer, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, slug: str) -> Response:
        """Take the product out of use, with a reason (pharmacists)."""
        return self._set_active(request, active=False)

    @extend_schema(request=ReasonSerializer, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, slug: str) -> Response:
        """Bring the product back into use, with a reason (pharmacists)."""
        return self._set_active(request, active=True)

    @extend_schema(methods=["GET"], request=None, responses=ProductPriceSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=ProductPriceSerializer, responses={201: ProductPriceSerializer}
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def prices(self, request: Request, slug: str) -> Response:
        """The product's prices, newest first; POST records a price from a date (pharmacists)."""
        product = self.get_object()
        if request.method == "GET":
            history = selectors.price_history(product)
            return Response(ProductPriceSerializer(history, many=True).data)
        price = ProductPriceSerializer(data=request.data)
        price.is_valid(raise_exception=True)
        created = services.product_price_set(
            product=product, user=signed_in_user(request), **price.validated_data
        )
        return Response(ProductPriceSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[SuitabilityQuerySerializer], responses=SuitabilitySerializer)
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def suitable(self, request: Request) -> Response:
        """Active products that raise no product-dependent stop or override finding for a
        patient (docs/clinical-rules.md 5, 3.8), with why; the others with the findings they would
        raise."""
        query = SuitabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = suitable_products(**query.validated_data)
        return Response(SuitabilitySerializer(result).data)


class VialSizeListSerializer(VialSizeSerializer):
    product: serializers.SlugRelatedField[Product] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta(VialSizeSerializer.Meta):
        fields = ("id", "product", *VialSizeSerializer.Meta.fields)


class VialSizeViewSet(viewsets.ReadOnlyModelViewSet):
    """Vial sizes of every product (read only: sizes change through the product)."""

    queryset = VialSize.objects.select_related("product").order_by("product__slug", "size_g")
    serializer_class = VialSizeListSerializer
    permission_classes = [ReadsFormulary]
    filterset_fields = {"product__slug": ["exact"], "active": ["exact"]}


class DosingPolicySerializer(ModelSerializer):
    version = serializers.IntegerField(
        help_text="The version this change is based on; a stale one is refused with 409."
    )

    class Meta:
        model = DosingPolicy
        fields = (*POLICY_FIELDS, "version", "updated_at")
        read_only_fields = ("updated_at",)


POLICY_RESPONSES = {
    200: DosingPolicySerializer,
    409: OpenApiResponse(description="The policy changed since the version sent (stale)."),
}


class DosingPolicyView(APIView):
    """The dosing policy: every role reads it; pharmacists change it, sending the version they
    read (optimistic concurrency: a stale version is refused with 409)."""

    def get_permissions(self) -> list[BasePermission]:
        return [ReadsFormulary() if self.request.method == "GET" else ChangesPolicy()]

    @extend_schema(responses=DosingPolicySerializer)
    def get(self, request: Request) -> Response:
        return Response(DosingPolicySerializer(selectors.current_policy()).data)

    def _change(self, request: Request, partial: bool) -> Response:
        serializer = DosingPolicySerializer(
            selectors.current_policy(), data=request.data, partial=partial
        )
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version", None)
        if version is None:
            raise ValidationError({"version": ["Send the version your change is based on."]})
        policy = services.dosing_policy_update(
            user=signed_in_user(request), expected_version=version, fields=fields
        )
        return Response(DosingPolicySerializer(policy).data)

    @extend_schema(request=DosingPolicySerializer, responses=POLICY_RESPONSES)
    def put(self, request: Request) -> Response:
        return self._change(request, partial=False)

    @extend_schema(request=DosingPolicySerializer, responses=POLICY_RESPONSES)
    def patch(self, request: Request) -> Response:
        return self._change(request, partial=True)
