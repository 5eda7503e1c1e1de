"""Insurance authorizations under ``/api/v1/`` (docs/clinical-rules.md 7, 9): parse, call a service
or selector, return. Every role reads; only authorization admins change (docs/clinical-rules.md
1)."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ivig.accounts.models import User
from ivig.accounts.permissions import api_policy, api_read_write_policies, signed_in_user
from ivig.api.errors import ErrorSerializer
from ivig.api.serializers import RefuseUnknownFieldsMixin
from ivig.audit.reads import LogsPatientReadsMixin
from ivig.dates import AUTHORIZATION, BoundedDate
from orders.models import Order

from . import policies, selectors, services
from .coverage_rules import order_coverage
from .models import Authorization, AuthorizationDocument, AuthorizationStatus

ReadsAuthorizations = api_policy(policies.can_read_authorizations)


AuthorizationAdminWrites = api_read_write_policies(
    read=policies.can_read_authorizations, write=policies.can_change_authorizations
)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Field errors."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="Stale version, or not allowed in the current status.",
    ),
}


class AuthorizationDocumentSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    added_by: serializers.Field = serializers.StringRelatedField()

    class Meta:
        model = AuthorizationDocument
        fields = ("id", "title", "reference", "added_by", "added_at")
        read_only_fields = ("id", "added_by", "added_at")


class AuthorizationSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    documents = AuthorizationDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Authorization
        fields = (
            "id",
            "patient",
            "order",
            "order_number",
            "renews",
            "payer",
            "member_id",
            "reference_number",
            "status",
            "approved_cycles",
            "approved_grams",
            "valid_from",
            "valid_to",
            "submitted_at",
            "appealed_at",
            "decision_date",
            "expired_at",
            "notes",
            "documents",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class AuthorizationCreateSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all())
    payer = serializers.CharField(max_length=200)
    member_id = serializers.CharField(max_length=64)
    reference_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class AuthorizationUpdateSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version you read; a stale version is refused (409)."
    )
    payer = serializers.CharField(max_length=200, required=False)
    member_id = serializers.CharField(max_length=64, required=False)
    reference_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class AuthorizationVersionSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False)


class AuthorizationSubmitSerializer(AuthorizationVersionSerializer):
    reference_number = serializers.CharField(max_length=64, required=False, allow_blank=True)


class AuthorizationDecisionSerializer(AuthorizationVersionSerializer):
    decision = serializers.ChoiceField(
        choices=[AuthorizationStatus.APPROVED.value, AuthorizationStatus.DENIED.value]
    )
    decision_date = BoundedDate(window=AUTHORIZATION)
    approved_cycles = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    approved_grams = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True
    )
    valid_from = BoundedDate(window=AUTHORIZATION, required=False, allow_null=True)
    valid_to = BoundedDate(window=AUTHORIZATION, required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AuthorizationReasonSerializer(AuthorizationVersionSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AuthorizationRenewSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    reference_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class CycleCoverageSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    days = serializers.ListField(child=serializers.DateField())
    grams = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    covered = serializers.BooleanField()
    authorization_id = serializers.IntegerField(allow_null=True)
    authorization_label = serializers.CharField()
    reason = serializers.CharField()


class AuthorizationViewSet(
    LogsPatientReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Insurance authorizations (docs/clinical-rules.md 7): every role reads, authorization admins
    change."""

    serializer_class = AuthorizationSerializer
    permission_classes = [AuthorizationAdminWrites]
    filterset_fields = ["status", "order", "patient"]

    def get_queryset(self) -> QuerySet[Authorization]:
        return selectors.authorizations_list().prefetch_related("documents__added_by")

    def _run(
        self,
        serializer_class: type[serializers.Serializer],
        act: Callable[[User, dict[str, Any]], Authorization],
        code: int = status.HTTP_200_OK,
    ) -> Response:
        """Parse the body with ``serializer_class``, call the service, answer with the
        authorization as it now is (or the refusal: 400/409)."""
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        authorization = act(signed_in_user(self.request), dict(serializer.validated_data))
        fresh = self.get_queryset().get(pk=authorization.pk)
        return Response(AuthorizationSerializer(fresh).data, status=code)

    @extend_schema(
        request=AuthorizationCreateSerializer,
        responses={201: AuthorizationSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        """A new authorization (not submitted) for an order."""
        return self._run(
            AuthorizationCreateSerializer,
            lambda by, data: services.authorization_create(by=by, **data),
            status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=AuthorizationUpdateSerializer, responses={200: AuthorizationSerializer, **ERRORS}
    )
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """Change payer, member id, reference or notes (with the version you read)."""
        return self._run(
            AuthorizationUpdateSerializer,
            lambda by, data: services.authorization_update(self.get_object(), by=by, **data),
        )

    @extend_schema(
        request=AuthorizationSubmitSerializer, responses={200: AuthorizationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        """not_submitted → submitted."""
        return self._run(
            AuthorizationSubmitSerializer,
            lambda by, data: services.authorization_submit(self.get_object(), by=by, **data),
        )

    @extend_schema(
        request=AuthorizationDecisionSerializer, responses={200: AuthorizationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def decision(self, request: Request, pk: Any = None) -> Response:
        """The payer's decision on a submitted or appealed request: approved (cycles, grams,
        valid from/to) or denied (reason)."""

        def decide(by: User, data: dict[str, Any]) -> Authorization:
            approved = data.pop("decision") == AuthorizationStatus.APPROVED
            return services.authorization_record_decision(
                self.get_object(), by=by, approved=approved, **data
            )

        return self._run(AuthorizationDecisionSerializer, decide)

    @extend_schema(
        request=AuthorizationReasonSerializer, responses={200: AuthorizationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def appeal(self, request: Request, pk: Any = None) -> Response:
        """denied → appealed (the grounds in ``reason``)."""
        return self._run(
            AuthorizationReasonSerializer,
            lambda by, data: services.authorization_appeal(self.get_object(), by=by, **data),
        )

    @extend_schema(
        request=AuthorizationReasonSerializer, responses={200: AuthorizationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def expire(self, request: Request, pk: Any = None) -> Response:
        """approved → expired."""
        return self._run(
            AuthorizationReasonSerializer,
            lambda by, data: services.authorization_expire(self.get_object(), by=by, **data),
        )

    @extend_schema(
        request=AuthorizationRenewSerializer, responses={201: AuthorizationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk: Any = None) -> Response:
        """A new authorization for the same order and payer (after a decision)."""
        return self._run(
            AuthorizationRenewSerializer,
            lambda by, data: services.authorization_renew(self.get_object(), by=by, **data),
            status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=AuthorizationDocumentSerializer,
        responses={201: AuthorizationDocumentSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def documents(self, request: Request, pk: Any = None) -> Response:
        """Append a document (title and link or filing reference)."""
        serializer = AuthorizationDocumentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.authorization_document_add(
            self.get_object(), by=signed_in_user(request), **serializer.validated_data
        )
        return Response(
            AuthorizationDocumentSerializer(document).data, status=status.HTTP_201_CREATED
        )


class OrderCoverageView(LogsPatientReadsMixin, APIView):
    """Which of the order's cycles an approved authorization covers, and why not
    (docs/clinical-rules.md 7)."""

    permission_classes = [ReadsAuthorizations]

    @extend_schema(responses=CycleCoverageSerializer(many=True))
    def get(self, request: Request, order_id: int) -> Response:
        order = get_object_or_404(Order, pk=order_id)
        rows = [
            {
                "number": cycle.number,
                "days": list(cycle.days),
                "grams": cycle.grams,
                "covered": cycle.covered,
                "authorization_id": cycle.authorization_id,
                "authorization_label": cycle.authorization_label,
                "reason": cycle.reason,
            }
            for cycle in order_coverage(order)
        ]
        return Response(CycleCoverageSerializer(rows, many=True).data)
