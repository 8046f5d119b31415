"""CSRF on every form: each POST form of every page carries the token, and each form's URL
refuses a POST without it (403, logged to the security log)."""

from __future__ import annotations

import logging
from html.parser import HTMLParser

import pytest
from django.test import Client

from notifications.models import Notification
from questions.choices import Status
from tests import factories
from tests.security_log import security_records
from tests.stories import Cast, link_evidence, question_in

pytestmark = pytest.mark.django_db
TOKEN = "csrfmiddlewaretoken"


class Forms(HTMLParser):
    """The POST forms of a page: their action and the names of their inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._open = {"action": attrs.get("action") or "", "inputs": set()}
            self.forms.append(self._open)
        elif tag == "form":
            self._open = None
        elif tag in ("input", "textarea", "select", "button") and self._open is not None:
            self._open["inputs"].add(attrs.get("name"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def events(caplog) -> list[str]:
    return [r.event for r in security_records(caplog)]


def post_forms(client: Client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, path
    parser = Forms()
    parser.feed(response.content.decode())
    return [{**form, "action": form["action"] or path, "page": path} for form in parser.forms]


@pytest.fixture
def pages(team, lead, analyst, reviewer, django_capture_on_commit_callbacks):
    """Every page with a form, with the user who sees that form."""
    cast = Cast(lead, analyst, reviewer)
    draft = question_in(Status.DRAFT, cast)
    published = question_in(Status.OPEN, cast)
    with django_capture_on_commit_callbacks(execute=True):  # the assignment notifies the analyst
        analysing = question_in(Status.IN_ANALYSIS, cast)
    assert Notification.objects.filter(recipient=analyst, read_at=None).exists()
    factories.HypothesisFactory(question=analysing)
    evidence = link_evidence(analysing, analyst, count=1)[0]
    evidence.owner_team = team
    evidence.save()
    in_review = question_in(Status.IN_REVIEW, cast)
    return [
        (None, "/accounts/login/"),
        (lead, "/"),
        (lead, "/questions/new/"),
        (lead, f"/questions/{draft.pk}/"),
        (lead, f"/questions/{published.pk}/"),
        (analyst, f"/questions/{analysing.pk}/"),
        (analyst, f"/questions/{analysing.pk}/assessment/"),
        (analyst, "/evidence/new/"),
        (analyst, "/evidence/sources/new/"),
        (analyst, f"/evidence/{evidence.pk}/edit/"),
        (analyst, "/notifications/"),
        (analyst, "/notifications/preferences/"),
        (reviewer, f"/questions/{in_review.pk}/review/"),
    ]


def test_every_post_form_carries_the_token_and_its_url_refuses_a_post_without_it(pages, caplog):
    checked: set[str] = set()
    for user, path in pages:
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            client.force_login(user)
        forms = post_forms(client, path)
        assert forms, f"{path} has no POST form"
        for form in forms:
            assert TOKEN in form["inputs"], f"a form on {path} posting to {form['action']}"
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="iqtrack.security"):
                refused = client.post(form["action"], {})
            assert refused.status_code == 403, form["action"]
            assert events(caplog) == ["csrf_failed"], form["action"]
            checked.add(form["action"])
    # Sign in and out, question and step forms, comments, hypotheses, links, ratings, the
    # assessment, evidence and sources, the inbox and preferences, approve and return.
    assert len(checked) >= 20, sorted(checked)


def test_a_csrf_failure_is_logged_with_user_address_and_reason(analyst, caplog):
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.7")
    client.force_login(analyst)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        response = client.post("/notifications/preferences/", {})
    assert response.status_code == 403
    (record,) = security_records(caplog)
    assert (record.event, record.outcome, record.user, record.ip) == (
        "csrf_failed",
        "refused",
        "analyst",
        "198.51.100.7",
    )
    assert "CSRF" in record.details["reason"]


def test_the_api_refuses_a_session_write_without_the_token_in_the_error_shape(analyst, caplog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="iqtrack.security"):
        response = client.post("/api/sources/", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert set(response.json()) == {"code", "message", "fields"}
    (record,) = security_records(caplog)
    assert (record.event, record.user) == ("csrf_failed", "analyst")
