from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models

from accounts.choices import Role


class Team(models.Model):
    """An analytic team: it owns questions; its lead writes and assigns them."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=80, unique=True, help_text="Natural key used by case files.")
    description = models.TextField(blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_teams",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def role_group(role: Role) -> Group:
    group, _ = Group.objects.get_or_create(name=role.value)
    return group


def has_role(user, role: Role) -> bool:
    """True when `user` holds `role` (a Django group of that name). Superusers hold every role."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_iqtrack_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._iqtrack_roles = cached
    return role.value in cached
