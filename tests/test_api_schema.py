"""The OpenAPI schema: valid without a warning, and it describes every endpoint and error."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load(APIClient().get("/api/schema/").content)


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_it_generates_a_schema_that_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_it_serves_the_schema_without_signing_in(schema):
    assert schema["info"]["title"] == "iqtrack API"
    assert {"/api/questions/{id}/approve/", "/api/questions/{id}/history/"} <= set(schema["paths"])


def test_it_describes_every_endpoint_and_its_errors_in_the_one_shape(schema):
    for path, method, operation in _operations(schema):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        responses = operation["responses"]
        assert "401" in responses, where
        if method != "get":
            assert {"403", "409"} <= set(responses), where
        if "{id}" in path:
            assert "404" in responses, where
        for status, response in responses.items():
            if status.startswith("4"):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", where
                assert response["description"], where


def test_it_documents_if_match_and_etag_where_edits_are_guarded(schema):
    patch = schema["paths"]["/api/questions/{id}/"]["patch"]
    read = schema["paths"]["/api/assessments/{id}/"]["get"]

    assert "If-Match" in {p["name"] for p in patch["parameters"]}
    assert "412" in patch["responses"]
    assert "ETag" in read["responses"]["200"]["headers"]


def test_it_names_every_workflow_step_as_its_own_operation(schema):
    steps = ["publish", "assign", "start", "submit", "approve", "return", "reopen", "close"]
    for step in steps:
        assert "post" in schema["paths"][f"/api/questions/{{id}}/{step}/"], step
