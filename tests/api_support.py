"""Helpers for the API tests: clients signed in with a real token, and error-shape checks."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tokens.services import issue_token


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Hash the factories' passwords cheaply: the API tests sign in with tokens, not passwords.

    Import it into a test module (`from tests.api_support import fast_passwords`) to apply it.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user) -> APIClient:
    """An API client that authenticates the way scripts do: a personal token."""
    client = APIClient()
    if user is not None:
        _, key = issue_token(user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error shape: code, message and per-field messages."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["fields"], dict), body
    if code is not None:
        assert body["code"] == code, body
    return body
