"""The response reviews API (docs/api.md, Reviews): an order's reviews and its taper proposals
(docs/clinical-rules.md 10). Thin: parse, check the role, call ``orders.reviews.services`` or
``orders.reviews.tapering``, serialize."""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ivig.accounts.permissions import api_read_write_policies, signed_in_user
from ivig.api.serializers import RefuseUnknownFieldsMixin
from ivig.audit.reads import LogsPatientReadsMixin
from ivig.audit.services import access_record
from ivig.dates import REVIEW, BoundedDate
from orders import policies
from orders.api import STEP_ERRORS, OrderSerializer
from orders.labs.models import Analyte, LabResult
from orders.models import Order
from orders.selectors import orders_with_related

from . import services as reviews
from . import tapering
from .models import PREDNISONE_MAX_MG_PER_DAY, Decision, ResponseReview
from .models import Response as ReviewResponse
from .policies import can_record_reviews


class ReviewSerializer(serializers.ModelSerializer):
    recorded_by: serializers.Field = serializers.StringRelatedField()
    order: serializers.Field = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ResponseReview
        fields = (
            "id",
            "order",
            "after_cycle",
            "reviewed_on",
            "due_on",
            "measure",
            "score",
            "prednisone_mg_per_day",
            "response",
            "decision",
            "notes",
            "hemoglobin_result",
            "recorded_by",
            "recorded_at",
        )
        read_only_fields = ("after_cycle", "due_on", "measure", "recorded_at")


class ReviewCreateSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    reviewed_on = BoundedDate(window=REVIEW)
    score = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=Decimal(0))
    prednisone_mg_per_day = serializers.DecimalField(
        max_digits=6, decimal_places=1, min_value=Decimal(0), max_value=PREDNISONE_MAX_MG_PER_DAY
    )
    response = serializers.ChoiceField(choices=ReviewResponse.choices)
    decision = serializers.ChoiceField(choices=Decision.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    hemoglobin_result = serializers.PrimaryKeyRelatedField(
        queryset=LabResult.objects.filter(test__analyte=Analyte.HEMOGLOBIN),
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of the patient's fallen hemoglobin result this review answers "
        "(HEMOLYSIS_SUSPECTED): with the decision to continue, the next cycle is released.",
    )


class OrderReviewsView(LogsPatientReadsMixin, APIView):
    """A course's response reviews (docs/clinical-rules.md 10): every role reads them, newest
    first; a clinician records one (400 with the measure's range for a score outside it)."""

    permission_classes = [
        api_read_write_policies(read=policies.can_read_orders, write=can_record_reviews)
    ]

    @extend_schema(responses=ReviewSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        order = get_object_or_404(Order, pk=pk)
        access_record(request._request, order)  # the reviews are of this order's course
        rows = reviews.lineage_reviews(order)[:100]
        return Response(ReviewSerializer(rows, many=True).data)

    @extend_schema(request=ReviewCreateSerializer, responses={201: ReviewSerializer})
    def post(self, request: Request, pk: int) -> Response:
        order = get_object_or_404(Order.objects.select_related("indication"), pk=pk)
        serializer = ReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = reviews.review_record(
            order, by=signed_in_user(request), **serializer.validated_data
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class TaperSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[("interval", "interval"), ("dose", "dose")],
        help_text="The proposal accepted: a longer interval or a lower dose.",
    )
    version = serializers.IntegerField(help_text="The version of the order in force you saw.")


class OrderTaperView(LogsPatientReadsMixin, APIView):
    """Accept a taper proposal (docs/clinical-rules.md 10.3): a new version of the course's
    order in force (signed, verified or active), a draft to sign and verify as usual; 409 when
    no such proposal stands, the version is stale or a draft change is already open."""

    permission_classes = [
        api_read_write_policies(read=policies.can_read_orders, write=can_record_reviews)
    ]

    @extend_schema(request=TaperSerializer, responses={201: OrderSerializer, **STEP_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        order = get_object_or_404(Order, pk=pk)
        serializer = TaperSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        successor = tapering.taper_accept(
            order, by=signed_in_user(request), **serializer.validated_data
        )
        fresh = orders_with_related().get(pk=successor.pk)
        return Response(OrderSerializer(fresh).data, status=status.HTTP_201_CREATED)
