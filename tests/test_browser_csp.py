"""The pages work under the Content Security Policy: Chromium walks them and reports no violation.

Every `securitypolicyviolation` event (collected by a script the browser runs before the page's
own) and every console message about the policy fails the walk. The walk also uses the pages'
htmx parts (board filter, comment, inbox), whose swaps must not need inline styles or scripts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from questions.choices import Status
from questions.models import HypothesisRating
from tests import factories
from tests.stories import Cast, link_evidence, question_in
from tests.test_browser import Person, browser  # noqa: F401 (the browser fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
                    `in ${e.sourceFile || location.pathname}:${e.lineNumber} ${e.sample || ""}`);
});
"""


class Watched(Person):
    """A signed-in person whose page reports every CSP violation it meets."""

    def __init__(self, chromium, live_server, user) -> None:
        super().__init__(chromium, live_server, user)
        self.violations: list[str] = []
        self.context.add_init_script(COLLECT)
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def collect(self, where: str) -> None:
        self.page.wait_for_load_state("load")
        found = self.page.evaluate("window.__csp || []")
        self.violations.extend(f"{where}: {v}" for v in found)
        self.page.evaluate("window.__csp = []")

    def visit(self, path: str, expect: str) -> None:
        self.go(path)
        self.page.get_by_text(expect).first.wait_for()
        self.collect(path)


@pytest.fixture
def watch(browser, live_server, lead, analyst, reviewer) -> Iterator:  # noqa: F811
    opened: list[Watched] = []

    def open_as(user) -> Watched:
        person = Watched(browser, live_server, user).sign_in()
        person.collect("sign-in")
        opened.append(person)
        return person

    yield open_as
    for person in opened:
        person.close()


def test_the_main_pages_work_under_the_content_security_policy(
    watch, team, lead, analyst, reviewer
):
    cast = Cast(lead, analyst, reviewer)
    analysing = question_in(Status.IN_ANALYSIS, cast, title="Did Russia arm Hamas?")
    hypothesis = factories.HypothesisFactory(question=analysing, title="Through Iran")
    factories.HypothesisFactory(question=analysing, title="Directly")
    evidence = link_evidence(analysing, analyst, count=2)
    for item in evidence:
        item.owner_team = team
        item.summary = "A delegation met officials in Moscow"
        item.save()
    HypothesisRating.objects.create(
        hypothesis=hypothesis, evidence=evidence[0], rating="consistent"
    )
    in_review = question_in(Status.IN_REVIEW, cast, title="Did PMCs train fighters?")
    actor = factories.ActorFactory()

    analyst_ = watch(analyst)
    for path, expect in [
        ("/", "Dashboard"),
        ("/questions/", "Did Russia arm Hamas?"),
        (f"/questions/{analysing.pk}/", "Did Russia arm Hamas?"),
        (f"/questions/{analysing.pk}/ach/", "Through Iran"),
        (f"/questions/{analysing.pk}/timeline/", "Did Russia arm Hamas?"),
        (f"/questions/{analysing.pk}/assessment/", "Key judgments"),
        ("/evidence/", "A delegation met officials"),
        (f"/evidence/{evidence[0].pk}/", "A delegation met officials"),
        ("/evidence/new/", "Summary"),
        ("/evidence/sources/new/", "Name"),
        ("/search/?q=Moscow", "A delegation met officials"),
        ("/timeline/", "Timeline"),
        ("/actors/", "Actors"),
        (f"/actors/{actor.pk}/", actor.name),
        ("/notifications/", "unread"),
        ("/notifications/preferences/", "Preferences"),
    ]:
        analyst_.visit(path, expect)

    # htmx: the board's filter swaps the board in; a comment and the inbox swap fragments.
    page = analyst_.page
    analyst_.visit("/questions/", "Did Russia arm Hamas?")
    page.locator("form.filters select").first.select_option(index=1)
    page.wait_for_load_state("networkidle")
    analyst_.collect("board filter (htmx)")
    analyst_.visit(f"/questions/{analysing.pk}/", "Did Russia arm Hamas?")
    page.locator("#comments textarea").fill("Checked the Moscow meeting.")
    page.get_by_role("button", name="Add comment").click()
    page.get_by_text("Checked the Moscow meeting.").first.wait_for()
    analyst_.collect("comment (htmx)")
    analyst_.visit("/notifications/", "unread")
    if page.get_by_role("button", name="Mark all as read").count():
        page.get_by_role("button", name="Mark all as read").click()
        page.get_by_text("0 unread", exact=True).wait_for()
    analyst_.collect("inbox (htmx)")

    reviewer_ = watch(reviewer)
    reviewer_.visit(f"/questions/{in_review.pk}/review/", "Did PMCs train fighters?")
    reviewer_.visit("/", "Dashboard")

    lead.is_staff = True  # to see the admin too
    lead.save()
    lead_ = watch(lead)
    lead_.visit("/questions/new/", "Competing hypotheses")
    lead_.visit("/admin/", "Site administration")
    lead_.visit("/api/docs/", "iqtrack API")

    violations = analyst_.violations + reviewer_.violations + lead_.violations
    assert violations == []


def test_a_violation_would_be_caught(watch, analyst):
    """The walk above can fail: an inline script injected into a page is reported."""
    analyst_ = watch(analyst)
    analyst_.visit("/", "Dashboard")
    analyst_.page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"void 0\">')"
    )
    analyst_.page.wait_for_timeout(500)
    analyst_.collect("injected")
    assert any("script-src" in v for v in analyst_.violations), analyst_.violations
