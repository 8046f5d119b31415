"""`manage.py load_demo`: the seed case and one demo user per role, for trying iqtrack out.

Demo mode only: refused under IQTRACK_ENV=production, because the demo users share a published
password. Safe to run again: what exists already is left as it is.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from accounts.choices import Role
from accounts.models import Team, role_group
from questions.casefile import import_casefile

SEED_CASEFILE = Path("casefiles") / "russia-hamas-2023.yaml"
DEMO_PASSWORD = "iqtrack-demo"  # noqa: S105 - published on purpose; demo mode is refused in production

# What each demo user may do in the admin ("app.model": actions). Everyone may view everything
# (VIEW_ALL, and users so that analyst and reviewer can be picked); status changes are not
# permissions at all: they go through questions.workflow.
VIEW_ALL = ("accounts", "evidence", "questions")
ROLE_PERMISSIONS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.LEAD: {
        "questions.question": ("add", "change"),
        "questions.hypothesis": ("add", "change", "delete"),
        "questions.comment": ("add",),
    },
    Role.ANALYST: {
        "evidence.source": ("add", "change"),
        "evidence.evidence": ("add", "change"),
        "evidence.actor": ("add", "change"),
        "evidence.event": ("add", "change"),
        "questions.hypothesis": ("add", "change"),
        "questions.evidencelink": ("add", "change", "delete"),
        "questions.hypothesisrating": ("add", "change", "delete"),
        "questions.assessment": ("add", "change"),
        "questions.comment": ("add",),
    },
    Role.REVIEWER: {
        "questions.comment": ("add",),
    },
}


class Command(BaseCommand):
    help = "Load the seed case and create demo users (lead, analyst, reviewer). Not in production."

    def handle(self, *args, **options) -> None:
        if settings.IQTRACK_ENV == "production":
            raise CommandError(
                "load_demo is refused under IQTRACK_ENV=production: the demo users have a "
                "published password. Import the case with `manage.py import_casefile` and create "
                "real accounts instead."
            )
        report = import_casefile(Path(settings.BASE_DIR) / SEED_CASEFILE)
        self.stdout.write(
            f"Seed case loaded from {SEED_CASEFILE} (teams: {', '.join(report.teams)})"
        )
        with transaction.atomic():
            teams = list(Team.objects.filter(slug__in=report.teams).order_by("name"))
            users = {role: self.demo_user(role, teams) for role in Role}
        self.print_credentials(users)

    def demo_user(self, role: Role, teams: list[Team]):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=role.value,
            defaults={
                "email": f"{role.value}@demo.iqtrack.invalid",
                "first_name": "Demo",
                "last_name": role.label,
                "is_staff": True,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        elif not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        user.groups.add(role_group(role))
        user.user_permissions.add(*permissions_for(role))
        for team in teams:
            team.members.add(user)
            if role == Role.LEAD and team.lead_id is None:
                team.lead = user
                team.save(update_fields=["lead"])
        return user

    def print_credentials(self, users: dict) -> None:
        self.stdout.write("")
        self.stdout.write("Demo users (demo mode only; refused under IQTRACK_ENV=production):")
        for role, user in users.items():
            password = DEMO_PASSWORD if user.check_password(DEMO_PASSWORD) else "(changed by you)"
            self.stdout.write(
                f"  {role.label:<10} username: {user.username:<9} password: {password}"
            )


def permissions_for(role: Role) -> list[Permission]:
    wanted = Q(content_type__app_label__in=VIEW_ALL, codename__startswith="view_") | Q(
        content_type__app_label="auth", codename="view_user"
    )
    for model, actions in ROLE_PERMISSIONS[role].items():
        app_label, model_name = model.split(".")
        wanted |= Q(
            content_type__app_label=app_label,
            codename__in=[f"{action}_{model_name}" for action in actions],
        )
    return list(Permission.objects.filter(wanted))
