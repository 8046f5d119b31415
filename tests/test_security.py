"""Hardening: response headers and cookies, request-size limits, and the security log for
refusals and marking changes (sign-in and CSRF have their own files)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import Client

from evidence.choices import Tlp
from questions.choices import Status
from questions.models import EvidenceLink
from tests import factories
from tests.api_support import assert_error, client_for
from tests.envvars import REPO
from tests.security_log import security_records
from tests.stories import Cast, question_in, write_draft
from tests.test_settings import PRODUCTION, start

pytestmark = pytest.mark.django_db
ADDRESS = "203.0.113.20"


def policy(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response["Content-Security-Policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


# ---------------------------------------------------------------------------------------------
# Headers and cookies
# ---------------------------------------------------------------------------------------------
def test_every_page_carries_the_security_headers(client, analyst):
    client.force_login(analyst)
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert policy(response) == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


def test_the_api_docs_relax_styles_for_their_viewers_only(client):
    for path in ("/api/docs/", "/api/redoc/"):
        relaxed = policy(client.get(path))
        assert relaxed["style-src"] == ["'self'", "'unsafe-inline'"], path
        assert relaxed["script-src"] == ["'self'"], path
    # Swagger UI's start-up script is a file, not inline.
    assert "<script>" not in client.get("/api/docs/").content.decode()


def test_no_template_has_inline_script_style_or_event_handler():
    for template in (REPO / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), template
        assert "<style" not in text, template
        assert not re.search(r"\s(style|on[a-z]+)\s*=", text), template


def test_the_session_and_csrf_cookies_are_not_readable_by_scripts(client, analyst):
    response = client.post(
        "/accounts/login/", {"username": "analyst", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    csrf = Client().get("/accounts/login/").cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


SHOW_SECURITY = """
import json, django
from django.conf import settings
django.setup()
names = ["SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE",
         "CSRF_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
         "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT", "X_FRAME_OPTIONS",
         "SECURE_PROXY_SSL_HEADER"]
print(json.dumps({name: getattr(settings, name, None) for name in names}))
"""


def test_production_turns_on_secure_cookies_hsts_and_the_https_redirect(tmp_path):
    result = start(tmp_path, SHOW_SECURITY, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_the_proxy_header_and_preload_are_configurable(tmp_path):
    result = start(
        tmp_path,
        SHOW_SECURITY,
        **PRODUCTION,
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Ssl: on",
        SECURE_HSTS_PRELOAD="false",
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SSL", "on"]
    assert shown["SECURE_HSTS_PRELOAD"] is False
    off = start(tmp_path, SHOW_SECURITY, **PRODUCTION, SECURE_PROXY_SSL_HEADER="off")
    assert json.loads(off.stdout)["SECURE_PROXY_SSL_HEADER"] is None
    bad = start(tmp_path, **PRODUCTION, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert bad.returncode != 0 and "SECURE_PROXY_SSL_HEADER" in bad.stderr.splitlines()[-1]


# ---------------------------------------------------------------------------------------------
# Request limits
# ---------------------------------------------------------------------------------------------
def test_an_oversize_api_body_is_refused_with_413_in_the_error_shape(analyst, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"name": "x" * 20_000, "kind": "other"})
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        response = client_for(analyst).post("/api/sources/", body, content_type="application/json")
    error = assert_error(response, 413, "request_too_large")
    assert "10000" in error["message"]
    (record,) = security_records(caplog)
    assert (record.event, record.outcome) == ("request_too_large", "refused")


def test_a_body_within_the_limit_is_read_as_usual(analyst, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client_for(analyst).post(
        "/api/sources/", {"name": "x" * 5_000, "kind": "other"}, format="json"
    )
    assert response.status_code != 413


def test_an_oversize_form_post_is_refused_with_413(client, analyst, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client.force_login(analyst)
    response = client.post("/notifications/preferences/", {"x": "y" * 20_000})
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_a_form_with_too_many_fields_is_refused(client, analyst, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    client.force_login(analyst)
    response = client.post("/notifications/preferences/", {f"f{i}": "1" for i in range(60)})
    assert response.status_code == 400


def test_the_default_limits_are_deliberate(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 0  # nothing is uploaded as a file


# ---------------------------------------------------------------------------------------------
# Permission refusals in the security log
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def cast(lead, analyst, reviewer) -> Cast:
    return Cast(lead, analyst, reviewer)


def test_a_page_that_refuses_logs_user_address_and_path(cast, reviewer, caplog):
    question = question_in(Status.IN_ANALYSIS, cast)
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(reviewer)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        response = client.get(f"/questions/{question.pk}/assessment/")
    assert response.status_code == 403
    (record,) = security_records(caplog)
    assert (record.event, record.outcome, record.user, record.ip) == (
        "permission_refused",
        "refused",
        "reviewer",
        ADDRESS,
    )
    assert record.details["path"] == f"/questions/{question.pk}/assessment/"


def test_a_step_refused_on_the_page_is_logged_with_the_question(cast, analyst, caplog):
    question = question_in(Status.OPEN, cast)
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(analyst)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        client.post(f"/questions/{question.pk}/do/close/", {"close-reason": "Not mine to close."})
    (record,) = security_records(caplog)
    assert (record.event, record.user, record.object) == (
        "permission_refused",
        "analyst",
        f"questions.question:{question.pk}",
    )


def test_an_api_refusal_is_logged_with_the_object_and_code(cast, reviewer, caplog):
    question = question_in(Status.OPEN, cast)
    api = client_for(reviewer)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        response = api.post(f"/api/questions/{question.pk}/close/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    (record,) = security_records(caplog)
    assert (record.event, record.user, record.object) == (
        "permission_refused",
        "reviewer",
        f"question:{question.pk}",
    )
    assert record.details["code"] == response.json()["code"]


def test_an_unknown_token_is_logged_but_never_the_token(db, caplog):
    secret = "iqt_this-is-not-a-real-token-but-must-not-be-logged"
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        response = Client(REMOTE_ADDR=ADDRESS).get(
            "/api/questions/", HTTP_AUTHORIZATION=f"Token {secret}"
        )
    assert response.status_code == 401
    (record,) = security_records(caplog)
    assert (record.event, record.ip) == ("authentication_failed", ADDRESS)
    assert secret not in caplog.text


def test_a_request_without_credentials_is_not_noise_in_the_log(db, caplog):
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        assert Client().get("/api/questions/").status_code == 401
    assert security_records(caplog) == []


# ---------------------------------------------------------------------------------------------
# Marking (TLP) changes in the security log
# ---------------------------------------------------------------------------------------------
def test_a_question_marking_changed_through_the_api_is_logged(cast, lead, caplog):
    question = question_in(Status.DRAFT, cast, tlp=Tlp.AMBER)
    api = client_for(lead)
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        response = api.patch(
            f"/api/questions/{question.pk}/",
            {"tlp": "red", "recipient_ids": [lead.pk]},
            format="json",
        )
        assert response.status_code == 200, response.content
        api.patch(f"/api/questions/{question.pk}/", {"title": "Same marking"}, format="json")
    (record,) = [r for r in security_records(caplog) if r.event == "marking_changed"]
    (named,) = [r for r in security_records(caplog) if r.event == "distribution_changed"]
    assert (named.user, named.outcome, named.details["ids"]) == ("lead", "add", str(lead.pk))
    assert (record.user, record.object, record.outcome) == (
        "lead",
        f"questions.question:{question.pk}",
        "changed",
    )
    assert (record.details["old"], record.details["new"]) == ("amber", "red")
    assert record.levelno == logging.WARNING


def test_an_evidence_marking_changed_on_its_page_is_logged(team, analyst, caplog):
    evidence = factories.EvidenceFactory(owner_team=team, tlp=Tlp.GREEN)
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(analyst)
    form = client.get(f"/evidence/{evidence.pk}/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(tlp="amber", source=evidence.source_id, owner_team=team.pk)
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        response = client.post(f"/evidence/{evidence.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    (record,) = [r for r in security_records(caplog) if r.event == "marking_changed"]
    assert (record.user, record.ip, record.object) == (
        "analyst",
        ADDRESS,
        f"evidence.evidence:{evidence.pk}",
    )
    assert (record.details["old"], record.details["new"]) == ("green", "amber")


def test_an_assessment_raised_to_the_marking_of_what_it_cites_is_logged(cast, analyst, caplog):
    question = question_in(Status.IN_ANALYSIS, cast, tlp=Tlp.GREEN)
    write_draft(question, analyst)
    red = factories.EvidenceFactory(owner_team=question.team, tlp=Tlp.RED)
    EvidenceLink.objects.create(question=question, evidence=red, linked_by=analyst)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        draft = write_draft(question, analyst, cited_evidence=[red])
    (record,) = [r for r in security_records(caplog) if r.event == "marking_changed"]
    assert record.object == f"questions.assessment:{draft.pk}"
    assert record.details["new"] == "red"
    assert record.user == ""  # no request: the domain function ran outside one


def test_log_marking_change_is_callable_by_other_code(cast, lead, caplog):
    from iqtrack.security.events import log_marking_change

    question = question_in(Status.DRAFT, cast)
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        log_marking_change(question, "amber", "red", lead)
    (record,) = security_records(caplog)
    assert (record.event, record.user, record.details["old"], record.details["new"]) == (
        "marking_changed",
        "lead",
        "amber",
        "red",
    )
