from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.choices import Role
from accounts.models import Team
from iqtrack.api.serializers import BriefSerializer

User = get_user_model()


class BriefUserSerializer(BriefSerializer):
    display_name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]
        method_reads = ["first_name", "last_name"]  # display_name

    @extend_schema_field(OpenApiTypes.STR)
    def get_display_name(self, user) -> str:
        return user.get_full_name() or user.username


class BriefTeamSerializer(BriefSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug"]


class UserSerializer(BriefUserSerializer):
    roles = serializers.SerializerMethodField()
    teams = BriefTeamSerializer(many=True, read_only=True)

    class Meta(BriefUserSerializer.Meta):
        fields = [*BriefUserSerializer.Meta.fields, "email", "roles", "teams", "is_active"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Role.choices)))
    def get_roles(self, user) -> list[str]:
        # Reads the prefetched groups (has_role would query once per user).
        names = {group.name for group in user.groups.all()}
        return [role.value for role in Role if user.is_superuser or role.value in names]


class TeamSerializer(BriefTeamSerializer):
    lead = BriefUserSerializer(read_only=True, allow_null=True)
    members = BriefUserSerializer(many=True, read_only=True)

    class Meta(BriefTeamSerializer.Meta):
        fields = [*BriefTeamSerializer.Meta.fields, "description", "lead", "members", "created_at"]
