"""Issuing, checking and revoking API tokens: the rules every entry point uses."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from tokens.models import ApiToken

KEY_PREFIX = "iqt_"
# Record use at most this often: a script's every request must not write a row.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user, *, name: str, expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns it with its secret, which is not stored anywhere."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:12],
        key_hash=hash_key(key),
        expires_at=expires_at,
    )
    return token, key


def user_for_key(key: str) -> tuple[object, ApiToken] | None:
    """The active user a secret belongs to, or None if unknown, expired or the user is inactive."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key.strip())).first()
    now = timezone.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token


def revoke_token(token: ApiToken) -> None:
    """Revoked at once: the next request with its secret is refused."""
    token.delete()
