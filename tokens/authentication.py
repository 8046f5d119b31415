"""`Authorization: Token <secret>` (or `Bearer <secret>`) with a personal API token."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from tokens.services import user_for_key

KEYWORDS = ("token", "bearer")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() not in KEYWORDS:
            return None  # not ours: let session authentication try
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as “Authorization: Token <secret>”.", code="bad_token_header"
            )
        try:
            key = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                "The token is not valid.", code="invalid_token"
            ) from None
        found = user_for_key(key)
        if found is None:
            raise exceptions.AuthenticationFailed(
                "The token is unknown, revoked or expired.", code="invalid_token"
            )
        return found

    def authenticate_header(self, request) -> str:
        return self.keyword
