import django_filters
from django.contrib.auth import get_user_model

from accounts.choices import Role
from accounts.models import Team
from iqtrack.api.filters import BaseFilterSet, IdFilter


class TeamFilterSet(BaseFilterSet):
    member_id = IdFilter(field_name="members", label="Teams this user belongs to.")
    search_fields = ("name", "slug", "description")

    class Meta:
        model = Team
        fields = ["slug"]


class UserFilterSet(BaseFilterSet):
    team_id = IdFilter(field_name="teams", label="Members of this team.")
    role = django_filters.ChoiceFilter(
        choices=Role.choices, field_name="groups__name", label="Holders of this role."
    )
    search_fields = ("username", "first_name", "last_name", "email")

    class Meta:
        model = get_user_model()
        fields = ["is_active"]
