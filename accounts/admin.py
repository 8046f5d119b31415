"""Admin for teams and for users with their roles and teams."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from accounts.models import Team
from iqtrack.admin_base import VisibleAdminMixin

User = get_user_model()


@admin.register(Team)
class TeamAdmin(VisibleAdminMixin, admin.ModelAdmin):
    # Stated here: a queryset with a count column (get_queryset) drops Meta.ordering, which left
    # the autocomplete's pages in no order.
    ordering = ("name", "id")
    list_display = ("name", "slug", "lead", "member_count", "created_at")
    list_select_related = ("lead",)
    list_filter = (("lead", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "slug", "description", "lead__username", "members__username")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("lead",)
    filter_horizontal = ("members",)
    readonly_fields = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(_member_count=Count("members"))

    @admin.display(description="members", ordering="_member_count")
    def member_count(self, team: Team) -> int:
        return team._member_count


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(VisibleAdminMixin, DjangoUserAdmin):
    """Django's user admin, plus the iqtrack roles (groups) and teams at a glance."""

    list_display = ("username", "email", "first_name", "last_name", "roles", "team_names")
    list_filter = (*DjangoUserAdmin.list_filter, "teams")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("groups", "teams")

    @admin.display(description="roles")
    def roles(self, user) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all()))

    @admin.display(description="teams")
    def team_names(self, user) -> str:
        return ", ".join(sorted(team.name for team in user.teams.all()))
