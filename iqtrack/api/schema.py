"""The OpenAPI schema: every operation lists the error responses it can give, in the one error
shape, and ETag / If-Match where the view uses them."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema

from iqtrack.api.errors import ErrorSerializer

ERRORS = {
    "400": "Invalid request: `fields` names each field at fault and why.",
    "401": "Not signed in, or the token is unknown, revoked or expired.",
    "403": "Refused for this user (`code` says why, e.g. `not_team_lead`); with session "
    "authentication also a missing CSRF token.",
    "404": "Nothing with this id among what you may see (or a page past the last one).",
    "409": "Refused for the object's current state (`code` says why, e.g. `wrong_state`), "
    "or other records still refer to it.",
    "412": "`If-Match` names a version that is no longer current: read it again, then retry.",
    "415": "The body must be JSON (or form data).",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
WITH_BODY = {"POST", "PUT", "PATCH"}


class AutoSchema(openapi.AutoSchema):
    def _action(self) -> str | None:
        return getattr(self.view, "action", None)  # None for a plain APIView

    def _uses_if_match(self) -> bool:
        return self._action() in getattr(self.view, "if_match_actions", ())

    def _returns_etag(self) -> bool:
        return self._action() in getattr(self.view, "etag_actions", ())

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._uses_if_match():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description="The ETag you read; if the object changed since, nothing is "
                    "written and the answer is 412.",
                )
            )
        if self._returns_etag():
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=["200", "201"],
                    description="Version of the object: send it back as If-Match.",
                )
            )
        return parameters

    def _error_statuses(self) -> list[str]:
        statuses = ["401"]
        is_list = self.method == "GET" and self._is_list_view()
        if self.method in WITH_BODY or is_list:
            statuses.append("400")
        if self.method in WRITES:
            statuses += ["403", "409"]
        if "{" in self.path or is_list:
            statuses.append("404")
        if self._uses_if_match():
            statuses.append("412")
        if self.method in WITH_BODY:
            statuses.append("415")
        return sorted(statuses)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            if status not in responses:
                response = self._get_response_for_code(ErrorSerializer, status, direction=direction)
                response["description"] = ERRORS[status]
                responses[status] = response
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tokens.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (POST /api/tokens/), sent as "
            "`Authorization: Bearer <secret>` (or `Token <secret>`).",
        }


CRUD = ("list", "retrieve", "create", "update", "partial_update", "destroy")


def crud_summaries(name: str, *, plural: str | None = None, actions=CRUD) -> dict:
    """Operation summaries for a viewset's standard actions (for `extend_schema_view`)."""
    plural = plural or f"{name}s"
    summaries = {
        "list": f"List {plural}",
        "retrieve": f"Read one {name}",
        "create": f"Create a {name}",
        "update": f"Replace a {name}",
        "partial_update": f"Change some fields of a {name}",
        "destroy": f"Delete a {name}",
    }
    return {action: extend_schema(summary=summaries[action]) for action in actions}
