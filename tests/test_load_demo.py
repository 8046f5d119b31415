"""`manage.py load_demo`: the seed case plus one demo user per role, demo mode only."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.choices import Role
from accounts.models import Team, has_role
from questions.management.commands.load_demo import DEMO_PASSWORD
from questions.models import Question

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Everything load_demo could touch: users, their grants and teams, and every table's size."""
    users = {
        user.username: (
            user.password,
            user.is_staff,
            user.is_superuser,
            sorted(user.groups.values_list("name", flat=True)),
            sorted(user.user_permissions.values_list("codename", flat=True)),
        )
        for user in User.objects.all()
    }
    teams = {
        team.slug: (team.lead_id, sorted(team.members.values_list("username", flat=True)))
        for team in Team.objects.all()
    }
    counts = {
        model._meta.label: model._default_manager.count()
        for label in ("accounts", "evidence", "questions")
        for model in apps.get_app_config(label).get_models()
    }
    return {"users": users, "teams": teams, "counts": counts}


def test_it_refuses_to_run_under_production_settings(settings):
    settings.IQTRACK_ENV = "production"
    with pytest.raises(CommandError, match="IQTRACK_ENV=production"):
        load_demo()
    assert not User.objects.exists()
    assert not Question.objects.exists()


def test_it_loads_the_seed_case():
    load_demo()
    assert Question.objects.filter(parent__isnull=True).exists()
    assert Question.objects.filter(parent__isnull=False).count() > 10


def test_it_creates_one_staff_user_per_role_with_that_role_only():
    load_demo()
    for role in Role:
        user = User.objects.get(username=role.value)
        assert user.is_staff and not user.is_superuser
        assert user.check_password(DEMO_PASSWORD)
        assert [r for r in Role if has_role(user, r)] == [role]


def test_it_puts_the_demo_users_in_the_seed_case_teams_with_the_lead_as_team_lead():
    load_demo()
    teams = Team.objects.filter(questions__isnull=False).distinct()
    assert teams
    for team in teams:
        assert team.lead.username == "lead"
        assert {"lead", "analyst", "reviewer"} <= set(
            team.members.values_list("username", flat=True)
        )


def test_it_prints_the_credentials():
    out = load_demo()
    for role in Role:
        assert f"username: {role.value}" in out
    assert out.count(f"password: {DEMO_PASSWORD}") == 3


def test_running_it_twice_changes_nothing():
    load_demo()
    before = snapshot()
    load_demo()
    assert snapshot() == before


def test_it_keeps_a_password_the_user_changed():
    load_demo()
    lead = User.objects.get(username="lead")
    lead.set_password("a new and private passphrase")
    lead.save()
    out = load_demo()
    lead.refresh_from_db()
    assert lead.check_password("a new and private passphrase")
    assert out.count(f"password: {DEMO_PASSWORD}") == 2


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        ("lead", "/admin/questions/question/add/", 200),
        ("lead", "/admin/evidence/evidence/add/", 403),
        ("analyst", "/admin/evidence/evidence/add/", 200),
        ("analyst", "/admin/questions/question/add/", 403),
        ("reviewer", "/admin/questions/assessment/", 200),
        ("reviewer", "/admin/questions/assessment/add/", 403),
        ("reviewer", "/admin/questions/transition/", 200),
    ],
)
def test_the_demo_users_work_in_the_admin_within_their_role(client, username, url, status):
    load_demo()
    # Through the sign-in form, as a person would (and as sign-in throttling requires).
    signed_in = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302
    assert client.get(url).status_code == status
