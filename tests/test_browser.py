"""The whole journey in a real browser: Debian's Chromium driven by Playwright for Python.

Lead, analyst and reviewer each sign in in their own browser context against pytest-django's
live server. Screenshots of the main pages go to test-artifacts/screenshots/ (not committed).
Chromium comes from Debian (`make browser`); `playwright install` is never run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from playwright import sync_api

from questions import workflow
from questions.choices import Action, Status
from questions.models import Question
from tests import factories

CHROMIUM = os.environ.get("IQTRACK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery staple"
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 1; alert(1)">'
ARABIC = "التقى وفد من حماس بمسؤولين روس في موسكو قبل أسبوعين من الهجوم"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
    # plain synchronous code, so Django's async-safety guard stands aside — for these tests only.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield from _chromium()
    finally:
        if before is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def _chromium() -> Iterator:
    # A missing browser fails the suite rather than skipping the journey: `make test` installs it.
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: run `make browser`"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


class Person:
    """One signed-in user in their own browser context, with the page they are looking at."""

    def __init__(self, browser, live_server, user) -> None:
        self.user = user
        self.base = live_server.url
        self.context = browser.new_context(viewport={"width": 1366, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: pytest.fail(f"JavaScript error: {error}"))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def sign_in(self) -> Person:
        self.go("/accounts/login/")
        self.page.get_by_label("Username").fill(self.user.username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(f"{self.base}/")
        return self

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def step_buttons(self) -> set[str]:
        """The workflow steps this page offers, by their submit buttons."""
        values = self.page.locator('button[name="do"]').evaluate_all(
            "buttons => buttons.map(b => b.value)"
        )
        return set(values)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser, live_server, lead, analyst, reviewer) -> Iterator:
    opened: list[Person] = []

    def open_as(user) -> Person:
        person = Person(browser, live_server, user).sign_in()
        opened.append(person)
        return person

    yield open_as
    for person in opened:
        person.close()


def assert_buttons_match_the_workflow(person: Person, question: Question) -> None:
    """A user sees exactly the steps the workflow allows them now, and nothing else.

    Approve and return live on the review page, beside the diff; the rest on the question page.
    """
    question.refresh_from_db()
    allowed = {a.value for a in workflow.available_actions(question, person.user)}
    on_review = {Action.APPROVE.value, Action.RETURN.value}
    person.go(f"/questions/{question.pk}/")
    assert person.step_buttons() == allowed - on_review, person.user.username
    person.go(f"/questions/{question.pk}/review/")
    assert person.step_buttons() == allowed & on_review, person.user.username


def test_the_whole_journey_from_question_to_signed_off_assessment(
    people, team, lead, analyst, reviewer
):
    lead_ = people(lead)
    page = lead_.page
    lead_.shot("01-dashboard-lead-empty")

    # 1. The lead writes a key question with two competing hypotheses, and a sub-question.
    page.get_by_role("link", name="New question").first.click()
    page.get_by_label("Question", exact=False).first.fill(
        "Did Russia support Hamas ahead of the 7 October 2023 attack?"
    )
    page.get_by_label("Background and scope").fill("Directly, or through Iran or PMCs.")
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_label("Competing hypotheses").fill(
        "Russia supported Hamas directly\nRussia supported Hamas only through Iran"
    )
    lead_.shot("02-question-create")
    page.get_by_role("button", name="Create question").click()
    page.wait_for_url("**/questions/*/")
    key = Question.objects.get(title__startswith="Did Russia support")
    assert key.hypotheses.count() == 2

    page.get_by_role("link", name="Add sub-question").click()
    page.get_by_label("Question", exact=False).first.fill(
        "Did private military companies train Hamas fighters?"
    )
    page.get_by_role("button", name="Create question").click()
    page.wait_for_url("**/questions/*/")
    assert key.sub_questions.count() == 1

    # 2. It is published and assigned to the analyst and the reviewer.
    lead_.go(f"/questions/{key.pk}/")
    assert_buttons_match_the_workflow(lead_, key)
    lead_.go(f"/questions/{key.pk}/")
    page.get_by_role("button", name="Publish").click()
    page.get_by_label("Analyst").select_option(label="analyst")
    page.get_by_label("Reviewer").select_option(label="reviewer")
    due = timezone.localtime() + timezone.timedelta(days=10)
    page.get_by_label("Due").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text("The question is now assigned").wait_for()
    lead_.shot("03-question-assigned")
    key.refresh_from_db()
    assert (key.status, key.assignee, key.reviewer) == (Status.ASSIGNED, analyst, reviewer)

    # 3. The analyst starts, records a source and an Arabic item with its translation, links it.
    analyst_ = people(analyst)
    page = analyst_.page
    analyst_.shot("04-dashboard-analyst")

    # The assignment reached the analyst's inbox; reading it there clears the count (htmx).
    assert page.locator("#nav-notifications .count-badge").inner_text().strip().startswith(",")
    page.locator("#nav-notifications").click()
    page.get_by_text("1 unread", exact=True).wait_for()
    analyst_.shot("04a-notifications-inbox")
    page.get_by_role("button", name="Mark all as read").click()
    page.get_by_text("0 unread", exact=True).wait_for()
    assert page.locator("#nav-notifications .count-badge").count() == 0
    page.get_by_role("link", name="Preferences").click()
    page.get_by_label("Due soon").select_option(value="digest")
    page.get_by_role("button", name="Save preferences").click()
    page.get_by_text("Preferences saved.").wait_for()
    assert page.get_by_label("Due soon").input_value() == "digest"
    analyst_.shot("04b-notification-preferences")
    analyst_.go("/")
    page.get_by_role("link", name=key.title).first.click()
    assert_buttons_match_the_workflow(analyst_, key)
    analyst_.go(f"/questions/{key.pk}/")
    page.get_by_role("button", name="Start analysis").click()
    page.get_by_role("link", name="Record new evidence").click()
    page.get_by_role("link", name="The source is not listed: add it").click()
    page.get_by_label("Name").fill("Al Mayadeen")
    page.get_by_label("Kind").select_option(label="News outlet")
    page.get_by_label("Reliability (Admiralty A–F)").select_option(value="C")
    page.get_by_label("Language").select_option(value="ar")
    page.get_by_role("button", name="Add source").click()

    page.wait_for_url("**/evidence/new/**")
    assert page.get_by_label("Source").evaluate("s => s.selectedOptions[0].text") == (
        "Al Mayadeen — C fairly reliable"
    )
    page.get_by_label("Summary (English)").fill(
        "A Hamas delegation met Russian officials in Moscow two weeks before the attack"
    )
    page.get_by_label("Language of the original").select_option(value="ar")
    original = page.get_by_label("Original text")
    assert original.get_attribute("dir") == "rtl" and original.get_attribute("lang") == "ar"
    original.fill(ARABIC)
    page.get_by_label("Translation (English)").fill(
        "A Hamas delegation met Russian officials in Moscow two weeks before the attack"
    )
    page.get_by_label("Happened on").fill("2023-09-23")
    page.get_by_label("Precision").first.select_option(value="approximate")
    page.get_by_label("As written").first.fill("two weeks before the attack")
    page.get_by_label("Credibility of the information (Admiralty 1–6)").select_option(value="3")
    analyst_.shot("05-evidence-create-arabic")
    page.get_by_role("button", name="Save evidence").click()
    page.wait_for_url(f"**/questions/{key.pk}/#evidence")
    assert key.evidence_links.count() == 1

    # 4. … rates it against both hypotheses (ACH).
    h1, h2 = key.hypotheses.all()
    page.get_by_label(f"Rating against “{h1.title}”").select_option(value="neutral")
    page.get_by_label(f"Rating against “{h2.title}”").select_option(value="inconsistent")
    page.get_by_role("button", name="Save ratings").click()
    page.get_by_text("Ratings saved.").wait_for()
    assert sorted(r.rating for h in (h1, h2) for r in h.ratings.all()) == [
        "inconsistent",
        "neutral",
    ]
    analyst_.shot("06-question-detail-analyst")

    # The evidence page shows the original right to left, with its grading and marking.
    page.get_by_role("link", name="A Hamas delegation met").first.click()
    shown = page.locator(".original-text")
    assert shown.get_attribute("dir") == "rtl" and shown.inner_text() == ARABIC
    assert page.locator(".grading").first.inner_text() == "C3"
    analyst_.shot("07-evidence-detail")

    # 5. … drafts the assessment and submits it.
    analyst_.go(f"/questions/{key.pk}/assessment/")
    page.get_by_label("Key judgments").fill(
        "Russia likely hosted Hamas officials shortly before the attack."
    )
    page.get_by_label("likely or probable").check()
    page.get_by_label("Moderate").check()
    page.get_by_label("[C3] A Hamas delegation").check()
    analyst_.shot("08-assessment-editor")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for()
    page.get_by_role("button", name="Save and submit for review").click()
    page.get_by_text("Submitted for review.").wait_for()
    key.refresh_from_db()
    assert key.status == Status.IN_REVIEW
    assert_buttons_match_the_workflow(analyst_, key)

    # 6. The reviewer returns it with a comment.
    reviewer_ = people(reviewer)
    page = reviewer_.page
    page.get_by_role("link", name=key.title).first.click()
    page.wait_for_url(f"**/questions/{key.pk}/review/")
    assert_buttons_match_the_workflow(reviewer_, key)
    assert_buttons_match_the_workflow(lead_, key)
    reviewer_.go(f"/questions/{key.pk}/review/")
    page.get_by_label("What needs to change").fill(
        "The meeting is single-source: say so, and weigh the Iranian channel."
    )
    page.get_by_role("button", name="Return with comments").click()
    page.get_by_text("The question is now in analysis").wait_for()

    # 7. The analyst revises and resubmits.
    analyst_.go(f"/questions/{key.pk}/assessment/")
    page = analyst_.page
    page.get_by_text("The meeting is single-source").wait_for()
    page.get_by_label("Key judgments").fill(
        "Russia very likely hosted Hamas officials shortly before the attack.\n"
        "The meeting is reported by a single source."
    )
    page.get_by_label("very likely or highly probable").check()
    page.get_by_label("What changed since the previous version, and why").fill(
        "Marked the meeting as single-source; raised the likelihood after weighing Iran."
    )
    analyst_.shot("09-assessment-revision")
    page.get_by_role("button", name="Save and submit for review").click()
    page.get_by_text("Submitted for review.").wait_for()

    # 8. The reviewer sees the new version beside the returned one, and approves.
    reviewer_.go(f"/questions/{key.pk}/review/")
    page = reviewer_.page
    assert page.locator(".diff ins").count() > 0 and page.locator(".diff del").count() > 0
    reviewer_.shot("10-review-diff")
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("The question is now assessed").wait_for()

    # 9. The lead sees it assessed, in ICD 203 words, with the history telling the story.
    lead_.go(f"/questions/{key.pk}/")
    page = lead_.page
    assert page.locator(".status-assessed").first.is_visible()
    line = page.locator(".assessment-line").inner_text()
    assert "very likely (80–95 %)" in line and "moderate confidence" in line
    story = page.locator(".timeline").inner_text().lower()
    for step in ("publish", "assign", "start", "submit", "return", "approve"):
        assert step in story, step
    assert "weigh the iranian channel" in story
    lead_.shot("11-question-assessed-lead")
    assert_buttons_match_the_workflow(lead_, key)
    assert_buttons_match_the_workflow(analyst_, key)

    # The analysis pages read the same case: the judgment chart, the heatmap, the timeline, and
    # search from the box in the header.
    lead_.go(f"/questions/{key.pk}/")
    assert page.locator(".judgment-chart circle").count() == 2
    lead_.go(f"/questions/{key.pk}/ach/")
    cells = page.locator(".ach-heatmap td.heat").all_inner_texts()
    assert [c.split()[-1] for c in cells] == ["Neutral", "Inconsistent"]
    lead_.shot("11a-ach-matrix")
    lead_.go(f"/questions/{key.pk}/timeline/")
    assert "c. 2023-09-23" in page.locator(".chronology").inner_text()
    lead_.shot("11b-timeline")
    page.get_by_label("Search", exact=True).fill("delegation")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=delegation")
    assert page.locator(".hits mark").count() > 0
    lead_.shot("11c-search")

    lead_.go("/questions/")
    lead_.shot("12-board")
    # Filtering swaps just the board (htmx) and keeps the filter in the address.
    page.get_by_label("Priority").select_option(label="Low")
    page.wait_for_url("**/questions/?*priority=1*")
    assert page.locator("#board").get_by_text(key.title).count() == 0
    page.get_by_label("Priority").select_option(label="High")
    page.locator("#board").get_by_text(key.title).wait_for()
    lead_.go("/")
    lead_.shot("13-dashboard-lead")

    # Keyboard: the first Tab lands on the skip link, and focus is drawn.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    for person in (lead_, analyst_, reviewer_):
        assert person.dialogs == []


def test_hostile_text_typed_into_the_fields_stays_text(people, team, lead, analyst, reviewer):
    question = factories.QuestionFactory(team=team, title="Who paid for the rockets?")
    factories.HypothesisFactory(question=question, title="Iran")
    workflow.publish(question, lead)
    workflow.assign(question, lead, analyst=analyst, reviewer=reviewer)
    workflow.start(question, analyst)

    analyst_ = people(analyst)
    page = analyst_.page

    analyst_.go("/evidence/sources/new/")
    page.get_by_label("Name").fill(HOSTILE)
    page.get_by_label("Kind").select_option(label="Other")
    page.get_by_label("Description").fill(HOSTILE)
    page.get_by_role("button", name="Add source").click()

    analyst_.go(f"/evidence/new/?question={question.pk}")
    page.get_by_label("Source").select_option(index=1)
    page.get_by_label("Summary (English)").fill(HOSTILE)
    page.get_by_label("Language of the original").select_option(value="he")
    page.get_by_label("Original text").fill(HOSTILE)
    page.get_by_label("Translation (English)").fill(HOSTILE)
    page.get_by_label("As written").first.fill(HOSTILE)
    page.get_by_label("Why it bears on the question").fill(HOSTILE)
    page.get_by_label("Notes").fill(HOSTILE)
    page.get_by_role("button", name="Save evidence").click()
    page.wait_for_url(f"**/questions/{question.pk}/#evidence")

    page.get_by_text("Add a hypothesis").click()
    page.get_by_label("Hypothesis (required)").fill(HOSTILE)
    page.get_by_label("Description").fill(HOSTILE)
    page.get_by_role("button", name="Add hypothesis").click()

    page.get_by_role("textbox", name="Comment (required)").fill(HOSTILE)
    page.get_by_role("button", name="Add comment").click()  # an htmx swap
    page.locator(".comments .comment .text-block").first.wait_for()

    analyst_.go(f"/questions/{question.pk}/assessment/")
    page.get_by_label("Key judgments").fill(HOSTILE)
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for()

    evidence_id = question.evidence_links.get().evidence_id
    shown = (
        f"/questions/{question.pk}/",
        f"/questions/{question.pk}/review/",
        f"/evidence/{evidence_id}/",
        "/evidence/",
    )
    for path in shown:
        analyst_.go(path)
        assert page.get_by_text("<script>window.__pwned = 1</script>").first.is_visible(), path
        assert page.evaluate("window.__pwned") is None, path
    # In the forms it comes back as the exact value typed, not as markup.
    for path, label in (
        (f"/evidence/{evidence_id}/edit/", "Original text"),
        (f"/questions/{question.pk}/assessment/", "Key judgments"),
    ):
        analyst_.go(path)
        assert page.get_by_label(label).input_value() == HOSTILE, path
        assert page.evaluate("window.__pwned") is None, path
    analyst_.go(f"/questions/{question.pk}/")
    analyst_.shot("20-hostile-text-shown-as-text")
    assert analyst_.dialogs == []
