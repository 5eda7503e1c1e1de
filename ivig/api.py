"""API root views that belong to no app."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from ivig.accounts.roles import roles_of


@extend_schema(
    responses=inline_serializer(
        "Me",
        {
            "username": serializers.CharField(),
            "roles": serializers.ListField(child=serializers.CharField()),
        },
    )
)
@api_view(["GET"])
def me(request: Request) -> Response:
    """Who is calling, and with which roles."""
    return Response(
        {
            "username": request.user.get_username(),
            "roles": [r.value for r in roles_of(request.user)],
        }
    )
