from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.response import Response

from iqtrack.api.base import ReadOnlyViewSet
from questions.visibility import visible_tokens
from tokens.api.serializers import NewTokenSerializer, TokenSerializer
from tokens.services import issue_token, revoke_token


@extend_schema_view(
    list=extend_schema(summary="List your API tokens"),
    retrieve=extend_schema(summary="Read one of your API tokens"),
    create=extend_schema(
        summary="Make an API token",
        request=TokenSerializer,
        responses={201: NewTokenSerializer},
        description="The answer holds the secret (`key`), shown this once only.",
    ),
    destroy=extend_schema(
        summary="Revoke an API token", description="Requests with it are refused from now on."
    ),
)
class TokenViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, ReadOnlyViewSet):
    """Your personal API tokens: one per script or connected tool, each revocable on its own."""

    visible = staticmethod(visible_tokens)
    serializer_class = TokenSerializer
    filterset_class = None
    ordering_fields = ["created_at", "last_used_at", "name"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = issue_token(request.user, **serializer.validated_data)
        token.key = key
        return Response(NewTokenSerializer(token).data, status=201)

    def perform_destroy(self, instance):
        revoke_token(instance)
