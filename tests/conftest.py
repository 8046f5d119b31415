"""Shared fixtures: one named user per role, a team, and the factories."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from accounts.choices import Role
from tests import factories
from tests.private_servers import PrivateRedis


@pytest.fixture
def team(db):
    return factories.TeamFactory()


@pytest.fixture
def lead(team):
    user = factories.UserFactory(username="lead", roles=[Role.LEAD])
    team.lead = user
    team.save()
    team.members.add(user)
    return user


@pytest.fixture
def analyst(team):
    user = factories.UserFactory(username="analyst", roles=[Role.ANALYST])
    team.members.add(user)
    return user


@pytest.fixture
def reviewer(team):
    user = factories.UserFactory(username="reviewer", roles=[Role.REVIEWER])
    team.members.add(user)
    return user


@pytest.fixture
def outsider(db):
    """Signed in, holds every role, but belongs to another team."""
    user = factories.UserFactory(
        username="outsider", roles=[Role.LEAD, Role.ANALYST, Role.REVIEWER]
    )
    factories.TeamFactory(name="Other team", slug="other-team").members.add(user)
    return user


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hashing with the production hasher costs ~0.3 s a user; tests don't test the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser(db):
    """Sees everything: for reading a whole record back (history, exports) in tests."""
    return factories.UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> Iterator[PrivateRedis]:
    """A redis-server of this test process's own (tests/private_servers.py), for the tests that
    stop it: Celery's broker in the worker tests, broker and cache in the fault tests."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: the broker-down tests start a private one")
    server = PrivateRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()
