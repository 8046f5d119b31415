"""Signing in: throttling by username and address (django-axes), password rules, and the log.

LOGIN_FAILURE_LIMIT failed sign-ins for one username from one address lock that pair out for
LOGIN_COOLOFF_MINUTES; the right password is refused meanwhile; after the cool-off it works.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.security_log import security_records

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
LOGIN = "/accounts/login/"
ADDRESS = "203.0.113.9"


@pytest.fixture
def member(db):
    return factories.UserFactory(username="member")


def sign_in(client: Client, password: str, path: str = LOGIN, username: str = "member"):
    return client.post(path, {"username": username, "password": password})


def fail_until_locked(client: Client, path: str = LOGIN, *, already: int = 0) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1 - already):
        response = sign_in(client, "wrong password", path)
        assert response.status_code == 200, attempt  # the form again, with its error
    assert sign_in(client, "wrong password", path).status_code == 429


def test_the_limits_come_from_the_settings():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_after_the_limit_the_right_password_is_refused_until_the_cool_off_ends(member):
    client = Client(REMOTE_ADDR=ADDRESS)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail_until_locked(client)
        locked = sign_in(client, PASSWORD)
        assert locked.status_code == 429
        assert "_auth_user_id" not in client.session
        assert "Too many failed sign-ins" in locked.content.decode()
        assert "Try again in 15 minutes" in locked.content.decode()
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert sign_in(client, PASSWORD).status_code == 429
    # A try during the lockout started the cool-off again: 15 minutes from the last one.
    with time_machine.travel(start + dt.timedelta(minutes=14 + 16), tick=False):
        assert sign_in(client, PASSWORD).status_code == 302
        assert client.session["_auth_user_id"] == str(member.pk)


def test_the_lockout_is_for_that_username_from_that_address_only(member):
    factories.UserFactory(username="colleague")
    fail_until_locked(Client(REMOTE_ADDR=ADDRESS))
    assert sign_in(Client(REMOTE_ADDR=ADDRESS), PASSWORD, username="colleague").status_code == 302
    assert sign_in(Client(REMOTE_ADDR="192.0.2.44"), PASSWORD).status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(member):
    fail_until_locked(Client(REMOTE_ADDR=ADDRESS))
    forged = Client(REMOTE_ADDR=ADDRESS, HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert sign_in(forged, PASSWORD).status_code == 429


def test_behind_trusted_proxies_the_address_the_outer_proxy_saw_is_the_one_counted(
    member, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    through_proxy = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.1, {ADDRESS}")
    fail_until_locked(through_proxy)
    other_client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.77")
    assert sign_in(other_client, PASSWORD).status_code == 302


def test_a_success_before_the_limit_clears_the_count(member):
    client = Client(REMOTE_ADDR=ADDRESS)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "wrong password")
    assert sign_in(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong password").status_code == 200


def test_the_api_sign_in_and_the_admin_sign_in_are_throttled_too(member):
    fail_until_locked(Client(REMOTE_ADDR=ADDRESS), path="/api/auth/login/")
    locked = sign_in(Client(REMOTE_ADDR=ADDRESS), PASSWORD, path="/api/auth/login/")
    assert locked.status_code == 429
    assert locked.json() == {
        "code": "locked_out",
        "message": "Too many failed sign-ins for this account from your address. "
        "Try again in 15 minutes.",
        "fields": {},
    }
    # One count for the pair, whichever form is used.
    assert sign_in(Client(REMOTE_ADDR=ADDRESS), PASSWORD, path="/admin/login/").status_code == 429


def test_a_json_client_gets_the_lockout_in_the_error_shape(member):
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_ACCEPT="application/json")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, "wrong password")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_sign_in_failure_lockout_success_and_sign_out_are_logged_without_the_password(
    member, caplog
):
    client = Client(REMOTE_ADDR=ADDRESS)
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        sign_in(client, "hunter2-wrong")
        assert sign_in(Client(REMOTE_ADDR="192.0.2.5"), PASSWORD).status_code == 302
        fail_until_locked(client, already=1)
        sign_in(client, PASSWORD)
    records = security_records(caplog)
    seen = [(r.event, r.outcome, r.user, r.ip) for r in records]
    assert seen[:2] == [
        ("sign_in", "failure", "member", ADDRESS),
        ("sign_in", "success", "member", "192.0.2.5"),
    ]
    assert ("lockout", "locked", "member", ADDRESS) in seen
    assert all(r.levelno == logging.WARNING for r in records if r.outcome != "success")
    assert "hunter2" not in caplog.text and PASSWORD not in caplog.text

    signed_in = Client(REMOTE_ADDR="192.0.2.5")
    signed_in.force_login(member)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        signed_in.post("/accounts/logout/")
    (record,) = security_records(caplog)
    assert (record.event, record.outcome, record.user, record.ip) == (
        "sign_out",
        "success",
        "member",
        "192.0.2.5",
    )


def test_a_hostile_username_cannot_forge_a_log_line(caplog):
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        sign_in(Client(), "x", username="eve\nINFO iqtrack.security sign_in outcome=success")
    (record,) = security_records(caplog)
    assert "\n" not in record.getMessage()


# ---------------------------------------------------------------------------------------------
# Password rules (AUTH_PASSWORD_VALIDATORS)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "refused_for"),
    [
        ("Short-pw-11", "at least 12 characters"),
        ("password1234", "too common"),
        ("736194028375", "entirely numeric"),
        ("member.smith@example.org", "too similar"),
    ],
)
def test_weak_passwords_are_refused(password, refused_for):
    user = factories.UserFactory.build(username="member.smith", email="member.smith@example.org")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert refused_for in " ".join(refused.value.messages)


def test_a_long_unusual_password_is_accepted():
    user = factories.UserFactory.build(username="member.smith", email="member.smith@example.org")
    validate_password(PASSWORD, user)  # raises if refused
