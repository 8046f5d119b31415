"""Personal API tokens: made and revoked by their owner, the secret shown once, and checked on
every request."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api_support import assert_error, client_for
from tokens.models import ApiToken

pytestmark = pytest.mark.django_db


def _signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)  # the session, as in the browsable API
    return client


def _bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_it_makes_a_token_and_shows_its_secret_once(analyst):
    session = _signed_in(analyst)

    made = session.post("/api/tokens/", {"name": "MISP sync"}, format="json")

    assert made.status_code == 201, made.json()
    key = made.json()["key"]
    assert key.startswith("iqt_") and made.json()["prefix"] == key[:12]
    assert "key" not in session.get(f"/api/tokens/{made.json()['id']}/").json()
    assert not ApiToken.objects.filter(key_hash__contains=key).exists()  # stored hashed
    me = _bearer(key).get("/api/users/me/")
    assert me.status_code == 200 and me.json()["username"] == "analyst"


def test_it_accepts_the_token_keyword_as_well_as_bearer(analyst):
    key = _signed_in(analyst).post("/api/tokens/", {"name": "notebook"}).json()["key"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.get("/api/users/me/").status_code == 200


def test_it_revokes_a_token_at_once_and_leaves_the_others_working(analyst):
    session = _signed_in(analyst)
    misp = session.post("/api/tokens/", {"name": "MISP"}).json()
    opencti = session.post("/api/tokens/", {"name": "OpenCTI"}).json()

    revoked = session.delete(f"/api/tokens/{misp['id']}/")

    assert revoked.status_code == 204
    assert_error(_bearer(misp["key"]).get("/api/questions/"), 401, "invalid_token")
    assert _bearer(opencti["key"]).get("/api/questions/").status_code == 200


def test_it_shows_and_revokes_only_your_own_tokens(analyst, reviewer):
    theirs = _signed_in(reviewer).post("/api/tokens/", {"name": "theirs"}).json()
    mine = _signed_in(analyst)

    listed = mine.get("/api/tokens/").json()["results"]
    revoke = mine.delete(f"/api/tokens/{theirs['id']}/")

    assert theirs["id"] not in [t["id"] for t in listed]
    assert_error(revoke, 404)
    assert _bearer(theirs["key"]).get("/api/users/me/").status_code == 200


def test_it_refuses_an_expired_token(analyst):
    soon = timezone.now() + dt.timedelta(hours=1)
    key = _signed_in(analyst).post(
        "/api/tokens/", {"name": "short", "expires_at": soon.isoformat()}, format="json"
    )
    key = key.json()["key"]

    with time_machine.travel(soon + dt.timedelta(seconds=1)):
        answer = _bearer(key).get("/api/users/me/")

    assert_error(answer, 401, "invalid_token")


def test_it_refuses_an_expiry_in_the_past(analyst):
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()

    answer = _signed_in(analyst).post(
        "/api/tokens/", {"name": "x", "expires_at": past}, format="json"
    )

    assert "expires_at" in assert_error(answer, 400, "invalid")["fields"]


def test_it_refuses_the_token_of_a_deactivated_user(analyst):
    client = client_for(analyst)
    analyst.is_active = False
    analyst.save()

    assert_error(client.get("/api/questions/"), 401, "invalid_token")


def test_it_records_when_a_token_was_last_used(analyst):
    made = _signed_in(analyst).post("/api/tokens/", {"name": "cron"}).json()

    _bearer(made["key"]).get("/api/users/me/")

    assert ApiToken.objects.get(pk=made["id"]).last_used_at is not None


def test_it_answers_401_with_a_challenge_when_not_signed_in():
    answer = APIClient().get("/api/questions/")

    assert_error(answer, 401, "not_authenticated")
    assert answer["WWW-Authenticate"] == "Token"
