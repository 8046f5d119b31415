from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action

from accounts.api.filters import TeamFilterSet, UserFilterSet
from accounts.api.serializers import TeamSerializer, UserSerializer
from iqtrack.api.base import ReadOnlyViewSet
from questions.visibility import visible_teams, visible_users


@extend_schema_view(
    list=extend_schema(summary="List your teams"),
    retrieve=extend_schema(summary="Read a team"),
)
class TeamViewSet(ReadOnlyViewSet):
    """Teams you belong to or lead, with their lead and members."""

    visible = staticmethod(visible_teams)
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    select_related = ("lead",)
    ordering_fields = ["name", "created_at"]

    def get_prefetches(self):
        return ["members"]


@extend_schema_view(
    list=extend_schema(summary="List the people on your teams"),
    retrieve=extend_schema(summary="Read a person"),
    me=extend_schema(summary="Read yourself", responses=UserSerializer, filters=False),
)
class UserViewSet(ReadOnlyViewSet):
    """People on your teams (and you): who can be assigned as analyst or reviewer."""

    visible = staticmethod(visible_users)
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    ordering_fields = ["username", "last_name", "date_joined"]
    ordering = ["username"]

    def get_prefetches(self):
        teams = visible_teams(self.request.user)
        return ["groups", Prefetch("teams", queryset=teams)]

    @action(detail=False, filterset_class=None, pagination_class=None)
    def me(self, request):
        return self.object_response(self.get_queryset().get(pk=request.user.pk))
