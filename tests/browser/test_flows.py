"""The flows a new reader tries, in a real browser against a running Newsdesk: sign up, log in,
comment, reply, edit, flag, moderate, follow a hashtag and read it on My desk, save an article,
and the article page on a 375 px phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from tests.browser.conftest import skip_reason

if skip_reason():
    pytest.skip(str(skip_reason()), allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

from newsdesk.community.models import Comment, CommentStatus, Flag, Profile
from newsdesk.community.roles import MODERATORS_GROUP
from newsdesk.news.models import Article, ArticleTag, Source, Tag
from newsdesk.readers.models import Follow, SavedArticle

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
NewPage = Callable[..., Page]
Shot = Callable[[Page, str], Path]


@pytest.fixture(autouse=True)
def _fast_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


def make_user(username: str, *, trusted: bool = True, moderator: bool = False) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD)
    Profile.objects.filter(user=user).update(trusted=trusted, display_name=username.title())
    if moderator:
        user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return user


@pytest.fixture
def articles() -> list[Article]:
    """A few articles of one outlet, two of them tagged #harbour; the first has a very long word."""
    source = Source.objects.create(
        name="Eastport Courier", domain="courier.example", homepage="https://courier.example/"
    )
    tag = Tag.objects.create(name="harbour", slug="harbour")
    made = []
    for n, title in enumerate(
        ["Harbour reopens after the storm", "Ferry timetable changes", "Council budget vote"]
    ):
        article = Article.objects.create(
            source=source,
            url=f"https://courier.example/news/{n}",
            title=title,
            text=("The harbour reopened on Monday after repairs. " * 12)
            + "Supercalifragilisticexpialidocious" * 4,
            published_at=timezone.now() - timedelta(hours=n + 1),
        )
        made.append(article)
    ArticleTag.objects.bulk_create(
        [ArticleTag(article=made[0], tag=tag), ArticleTag(article=made[1], tag=tag)]
    )
    # Enriched, so the page shows its hashtag and the reader bar offers to follow it.
    Article.objects.filter(pk=made[0].pk).update(enriched_at=timezone.now())
    return made


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.account-form button[type=submit]")
    expect(page.locator("nav.account")).to_contain_text("My desk")


def test_it_signs_up_comments_and_waits_for_approval_then_logs_in_again(
    new_page: NewPage, shot: Shot, articles: list[Article]
) -> None:
    page = new_page()
    page.goto("/accounts/signup/")
    shot(page, "1-signup-form")
    page.fill("input[name=username]", "erin")
    page.fill("input[name=email]", "erin@example.org")
    page.fill("input[name=display_name]", "Erin E.")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("form.account-form button[type=submit]")
    expect(page.locator("nav.account")).to_contain_text("My desk")  # signed up and signed in
    shot(page, "2-signed-up")
    page.goto(f"/articles/{articles[0].pk}/")
    expect(page.locator("#comments")).to_contain_text("No comments yet")
    page.fill(".comment-form textarea[name=body]", "First! **Glad** the harbour is open.")
    page.click(".comment-form button[type=submit]")
    expect(page.locator("#comments")).to_contain_text("awaiting approval")
    shot(page, "3-first-comment-pending")
    page.click("nav.account button:has-text('Log out')")
    expect(page.locator("nav.account")).to_contain_text("Log in")
    log_in(page, "erin")
    shot(page, "4-logged-in-again")
    assert Comment.objects.get().status == CommentStatus.PENDING


def test_it_replies_edits_and_flags_comments(new_page: NewPage, shot: Shot, articles: list[Article]) -> None:
    make_user("alice")
    make_user("bob")
    article = articles[0]
    bob = new_page()
    log_in(bob, "bob")
    bob.goto(f"/articles/{article.pk}/")
    bob.fill(".comment-form textarea[name=body]", "The ferry is still late.")
    bob.click(".comment-form button[type=submit]")
    expect(bob.locator("#comments .comment-count")).to_have_text("1 comment")

    alice = new_page()
    log_in(alice, "alice")
    alice.goto(f"/articles/{article.pk}/#comments")
    alice.click("details.reply summary")
    alice.fill("details.reply textarea", "Not on Sundays.")
    alice.click("details.reply button[type=submit]")
    expect(alice.locator("ol.thread.replies")).to_contain_text("Not on Sundays.")
    shot(alice, "1-replied")
    alice.click("ol.thread.replies a:has-text('Edit')")
    alice.fill("textarea[name=body]", "Not on Sundays, says the timetable.")
    alice.click("form.comment-form button[type=submit]")
    expect(alice.locator("ol.thread.replies")).to_contain_text("says the timetable")
    expect(alice.locator("ol.thread.replies .edited")).to_be_visible()
    shot(alice, "2-edited")
    top = alice.locator("ol.thread > li").first
    top.locator("details.flag summary").first.click()
    top.locator("details.flag select").first.select_option("off-topic")
    top.locator("details.flag button[type=submit]").first.click()
    expect(alice.locator("ol.thread > li").first.locator(".flagged").first).to_have_text("Flagged")
    shot(alice, "3-flagged")
    assert Flag.objects.get().reason == "off-topic"


def test_it_lets_a_moderator_approve_hide_and_restore(
    new_page: NewPage, shot: Shot, articles: list[Article]
) -> None:
    from newsdesk.community.markdown import render_comment

    newcomer, reader = make_user("dan", trusted=False), make_user("bob")
    make_user("charlie", moderator=True)
    article = articles[0]

    def comment(author: User, body: str, status: str) -> Comment:
        return Comment.objects.create(
            target=article, author=author, body=body, body_html=render_comment(body), status=status
        )

    pending = comment(newcomer, "Hello from a new reader.", CommentStatus.PENDING)
    flagged = comment(reader, "Buy cheap watches!", CommentStatus.PUBLISHED)
    Flag.objects.create(comment=flagged, user=newcomer, reason="spam")

    page = new_page()
    log_in(page, "charlie")
    page.goto("/moderation/")
    expect(page.locator("main")).to_contain_text("Hello from a new reader.")
    expect(page.locator("main")).to_contain_text("Buy cheap watches!")
    shot(page, "1-queue")
    page.locator(f"#comment-{pending.pk} button[value=approve]").click()
    page.goto("/moderation/")
    page.locator(f"#comment-{flagged.pk} button[value=hide]").click()
    page.goto(f"/articles/{article.pk}/#comments")
    expect(page.locator(f"#comment-{flagged.pk} .badge.hidden")).to_be_visible()
    shot(page, "2-hidden")
    page.locator(f"#comment-{flagged.pk} button[value=restore]").click()
    expect(page.locator(f"#comment-{flagged.pk} .badge.hidden")).to_have_count(0)
    shot(page, "3-restored")
    pending.refresh_from_db()
    flagged.refresh_from_db()
    assert pending.status == flagged.status == CommentStatus.PUBLISHED


def test_it_follows_a_hashtag_and_reads_it_on_my_desk_then_saves_an_article(
    new_page: NewPage, shot: Shot, articles: list[Article]
) -> None:
    alice = make_user("alice")
    page = new_page()
    log_in(page, "alice")
    page.goto("/desk/")
    expect(page.locator("main")).to_contain_text("You follow nothing yet")
    page.goto("/tags/harbour/")
    page.click("button.follow:has-text('Follow #harbour')")
    expect(page.locator("button.follow.following")).to_contain_text("Following #harbour")
    shot(page, "1-followed-tag")
    page.goto("/desk/")
    main = page.locator("main")
    expect(main).to_contain_text("Harbour reopens after the storm")
    expect(main).to_contain_text("Ferry timetable changes")
    expect(main).not_to_contain_text("Council budget vote")
    expect(page.locator("h1 .count-badge")).to_have_text("2 unread")
    shot(page, "2-my-desk")
    page.click("text=Harbour reopens after the storm")
    page.click("#reader-actions button.save")
    expect(page.locator("#reader-actions button.save")).to_have_text("Saved")
    shot(page, "3-saved-article")
    page.goto("/desk/")
    expect(page.locator("h1 .count-badge")).to_have_text("1 unread")  # opening it read it
    page.goto("/saved/")
    expect(page.locator("main")).to_contain_text("Harbour reopens after the storm")
    shot(page, "4-saved-list")
    assert Follow.objects.filter(user=alice, tag__slug="harbour").exists()
    assert SavedArticle.objects.filter(user=alice, article=articles[0]).exists()


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "reader"])
def test_it_fits_the_article_page_in_375_px(
    new_page: NewPage, shot: Shot, articles: list[Article], signed_in: bool
) -> None:
    make_user("alice")
    page = new_page(width=375, height=740)
    if signed_in:
        log_in(page, "alice")
    page.goto(f"/articles/{articles[0].pk}/")
    expect(page.locator("h1")).to_contain_text("Harbour reopens")
    for section in ("Hashtags", "AI features", "Comments", "Related articles"):
        expect(page.locator("main")).to_contain_text(section)
    if signed_in:
        page.click("details.more-follows summary")  # the hashtag's follow button, opened
        expect(page.locator("details.more-follows button.follow")).to_contain_text("Follow #harbour")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    shot(page, "article-375")
    assert width <= 375, f"the page is {width} px wide at 375 px"
    if signed_in:
        page.goto("/desk/")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
        shot(page, "desk-375")
