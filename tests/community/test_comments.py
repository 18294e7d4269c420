"""Comments on articles and stories: threads, Markdown, edit and delete, approval, flags, moderation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from newsdesk.community import actions
from newsdesk.community.models import Comment, CommentStatus, Flag
from newsdesk.news.models import Article, Story
from tests.community.conftest import post_url

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
MakeComment = Callable[..., Comment]


def page(client: Client, article: Article) -> str:
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_empty_state_and_invites_to_log_in(client: Client, article: Article) -> None:
    body = page(client, article)
    assert "No comments yet" in body
    assert "0 comments" in body
    assert "Log in</a> or" in body and "<textarea" not in body


def test_it_posts_a_comment_and_shows_it_with_the_count(
    client_for: ClientFor, alice: User, bob: User, article: Article
) -> None:
    response = client_for(alice).post(post_url(article), {"body": "Good to see the *harbour* open."})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/articles/{article.pk}/#comment-{comment.pk}"
    body = page(client_for(bob), article)
    assert "Good to see the <em>harbour</em> open." in body
    assert "Alice A." in body and "1 comment<" in body
    assert "No comments yet" not in body


def test_it_renders_links_nofollow_ugc_and_no_images(
    client_for: ClientFor, alice: User, article: Article
) -> None:
    client_for(alice).post(
        post_url(article), {"body": "See [the port](https://port.example/) ![x](https://e.example/i.png)"}
    )
    html = Comment.objects.get().body_html
    assert '<a href="https://port.example/" rel="nofollow ugc noopener">the port</a>' in html
    assert "<img" not in html


def test_it_threads_replies_three_deep_and_flattens_deeper_ones(
    client_for: ClientFor, alice: User, bob: User, article: Article
) -> None:
    top = actions.post_comment(alice, article, "Top")
    second = actions.post_comment(bob, article, "Second", parent=top)
    third = actions.post_comment(alice, article, "Third", parent=second)
    fourth = actions.post_comment(bob, article, "Fourth", parent=third)
    assert [c.depth for c in (top, second, third, fourth)] == [0, 1, 2, 2]
    assert fourth.parent == second and fourth.reply_to == third
    body = page(client_for(alice), article)
    assert body.count('class="thread replies"') == 2
    assert "in reply to Alice A." in body  # the flattened reply says whom it answers


def test_it_posts_a_reply_through_the_form(
    client_for: ClientFor, alice: User, bob: User, article: Article, make_comment: MakeComment
) -> None:
    top = make_comment(alice)
    client_for(bob).post(post_url(article), {"body": "Agreed", "parent": top.pk})
    reply = Comment.objects.get(body="Agreed")
    assert reply.parent == top and reply.depth == 1


def test_it_refuses_a_reply_to_a_comment_of_another_page(
    client_for: ClientFor, alice: User, bob: User, article: Article, make_comment: MakeComment
) -> None:
    other = Article.objects.create(source=article.source, url="https://courier.example/b", title="Other")
    elsewhere = make_comment(alice, target=other)
    response = client_for(bob).post(post_url(article), {"body": "Hi", "parent": elsewhere.pk})
    assert response.status_code == 403
    assert not Comment.objects.filter(body="Hi").exists()


def test_it_lets_authors_edit_for_15_minutes(
    client_for: ClientFor, alice: User, make_comment: MakeComment
) -> None:
    comment = make_comment(alice, "Frist")
    client = client_for(alice)
    assert "Frist" in client.get(f"/comments/{comment.pk}/edit/").content.decode()
    response = client.post(f"/comments/{comment.pk}/edit/", {"body": "First"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body_html == "<p>First</p>" and comment.edited_at is not None
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    assert client.post(f"/comments/{comment.pk}/edit/", {"body": "Late"}).status_code == 403
    comment.refresh_from_db()
    assert comment.body == "First"


def test_it_soft_deletes_and_keeps_the_thread_readable(
    client_for: ClientFor, alice: User, bob: User, article: Article, make_comment: MakeComment
) -> None:
    top = make_comment(alice, "Something regrettable")
    make_comment(bob, "A reply that stays", parent=top, depth=1)
    client_for(alice).post(f"/comments/{top.pk}/delete/")
    body = page(client_for(bob), article)
    assert "[deleted]" in body and "Something regrettable" not in body
    assert "A reply that stays" in body
    assert "1 comment<" in body  # the deleted one no longer counts


def test_it_holds_a_new_accounts_first_comment_for_approval(
    client_for: ClientFor, dan: User, bob: User, charlie: User, article: Article
) -> None:
    dan_client = client_for(dan)
    response = dan_client.post(post_url(article), {"body": "Hello from a newcomer"}, follow=True)
    assert "awaiting approval by a moderator" in response.content.decode()
    comment = Comment.objects.get()
    assert comment.status == CommentStatus.PENDING
    assert "awaiting approval" in page(dan_client, article)
    assert "Hello from a newcomer" not in page(client_for(bob), article)
    assert "Hello from a newcomer" not in page(Client(), article)
    queue = client_for(charlie).get("/moderation/").content.decode()
    assert "Hello from a newcomer" in queue
    client_for(charlie).post(f"/comments/{comment.pk}/moderate/", {"action": "approve"})
    assert "Hello from a newcomer" in page(client_for(bob), article)
    dan_client.post(post_url(article), {"body": "Second one"})
    assert Comment.objects.get(body="Second one").status == CommentStatus.PUBLISHED  # now trusted


def test_it_takes_one_flag_per_reader_into_the_queue(
    client_for: ClientFor, alice: User, bob: User, charlie: User, make_comment: MakeComment
) -> None:
    comment = make_comment(alice, "Buy cheap watches")
    bob_client = client_for(bob)
    bob_client.post(f"/comments/{comment.pk}/flag/", {"reason": "spam"})
    response = bob_client.post(f"/comments/{comment.pk}/flag/", {"reason": "spam"}, follow=True)
    assert "You already flagged this comment." in response.content.decode()
    assert Flag.objects.count() == 1
    assert "Flagged" in response.content.decode()
    assert client_for(alice).post(f"/comments/{comment.pk}/flag/").status_code == 403  # not one's own
    queue = client_for(charlie).get("/moderation/").content.decode()
    assert "Buy cheap watches" in queue and "1 flag" in queue


def test_it_lets_moderators_hide_and_restore(
    client_for: ClientFor, alice: User, bob: User, charlie: User, article: Article, make_comment: MakeComment
) -> None:
    comment = make_comment(alice, "Rude words")
    Flag.objects.create(comment=comment, user=bob)
    moderator = client_for(charlie)
    response = moderator.post(f"/comments/{comment.pk}/moderate/", {"action": "hide", "next": "/moderation/"})
    assert response["Location"] == "/moderation/"
    body = page(client_for(bob), article)
    assert "[removed by a moderator]" in body and "Rude words" not in body
    assert "Rude words" in page(moderator, article)  # moderators still read it, marked hidden
    assert Flag.objects.get().resolved_at is not None
    assert "Rude words" not in moderator.get("/moderation/").content.decode()  # handled
    moderator.post(f"/comments/{comment.pk}/moderate/", {"action": "restore"})
    assert "Rude words" in page(client_for(bob), article)


def test_it_keeps_the_queue_and_actions_for_moderators(
    client_for: ClientFor, alice: User, bob: User, make_comment: MakeComment
) -> None:
    comment = make_comment(alice)
    reader = client_for(bob)
    assert reader.get("/moderation/").status_code == 403
    assert reader.post(f"/comments/{comment.pk}/moderate/", {"action": "hide"}).status_code == 403
    assert reader.post("/people/alice/suspend/", {"action": "suspend"}).status_code == 403
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED


def test_it_stops_suspended_readers_posting_but_keeps_their_text(
    client_for: ClientFor, alice: User, charlie: User, article: Article
) -> None:
    client_for(charlie).post("/people/alice/suspend/", {"action": "suspend"})
    client = client_for(alice)
    response = client.post(post_url(article), {"body": "Let me speak"})
    assert response.status_code == 403
    assert "Let me speak</textarea>" in response.content.decode()
    assert "suspended" in page(client, article)
    assert not Comment.objects.exists()
    client_for(charlie).post("/people/alice/suspend/", {"action": "reinstate"})
    assert client.post(post_url(article), {"body": "Thanks"}).status_code == 302


def test_it_refuses_to_suspend_admins(client_for: ClientFor, charlie: User) -> None:
    User.objects.create_superuser("root", "root@example.org", "x")
    assert client_for(charlie).post("/people/root/suspend/", {"action": "suspend"}).status_code == 403


def test_it_answers_404_for_targets_that_take_no_comments(client_for: ClientFor, alice: User) -> None:
    client = client_for(alice)
    assert client.post("/comments/on/auth.user/1/", {"body": "x"}).status_code == 404
    assert client.post("/comments/on/news.article/99999/", {"body": "x"}).status_code == 404


def test_it_comments_on_stories_too(client_for: ClientFor, alice: User, bob: User) -> None:
    from django.template import Context, Template
    from django.test import RequestFactory

    story = Story.objects.create(headline="Harbour storm")
    actions.post_comment(alice, story, "On the whole story")
    request = RequestFactory().get("/")
    request.user = bob
    html = Template("{% load community_tags %}{% comments_for story %}").render(
        Context({"story": story, "request": request})
    )
    assert "On the whole story" in html and f"/comments/on/news.story/{story.pk}/" in html
    try:
        reverse("news:story", args=[story.pk])
    except NoReverseMatch:
        return  # the story page is not routed yet; the thread itself works
    response = client_for(bob).post(f"/comments/on/news.story/{story.pk}/", {"body": "Reply"})
    assert response.status_code == 302


def test_it_shows_a_readers_comments_on_their_profile(
    client: Client, alice: User, article: Article, make_comment: MakeComment
) -> None:
    make_comment(alice, "Published words")
    make_comment(alice, "Pending words", status=CommentStatus.PENDING)
    body = client.get("/people/alice/").content.decode()
    assert "Alice A." in body and "Published words" in body and "Harbour reopens" in body
    assert "Pending words" not in body


@pytest.mark.parametrize("viewer", ["anonymous", "reader", "moderator"])
def test_it_renders_the_thread_in_constant_queries(
    viewer: str,
    client_for: ClientFor,
    alice: User,
    bob: User,
    charlie: User,
    article: Article,
    make_comment: MakeComment,
) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template
    from django.test import RequestFactory

    user = {"anonymous": None, "reader": bob, "moderator": charlie}[viewer]
    client = client_for(user) if user else Client()
    make_comment(alice, "One")

    def thread_queries() -> int:
        request = RequestFactory().get("/")
        request.user = User.objects.get(pk=user.pk) if user else AnonymousUser()  # no cached perms
        with CaptureQueriesContext(connection) as queries:
            Template("{% load community_tags %}{% comments_for article %}").render(
                Context({"article": article, "request": request})
            )
        return len(queries)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            page(client, article)
        return len(queries)

    small_thread, small_page = thread_queries(), page_queries()
    for n in range(20):
        top = make_comment(alice if n % 2 else bob, f"Comment {n}")
        reply = make_comment(charlie, f"Reply {n}", parent=top, depth=1)
        make_comment(alice, f"Deep {n}", parent=reply, depth=2, status=CommentStatus.PENDING)
        Flag.objects.create(comment=top, user=charlie if n % 2 else alice)
    assert thread_queries() == small_thread
    assert page_queries() == small_page
    # One query for comments + authors + profiles + my flags; a signed-in reader adds their
    # profile (may they post?) and Django's two permission queries (are they a moderator?).
    assert small_thread == {"anonymous": 1, "reader": 4, "moderator": 4}[viewer]


def test_it_keeps_comment_authors_emails_off_every_page(
    client_for: ClientFor, alice: User, bob: User, charlie: User, article: Article, make_comment: MakeComment
) -> None:
    make_comment(alice)
    Flag.objects.create(comment=make_comment(alice, "Flagged one"), user=bob)
    for client in (Client(), client_for(bob), client_for(charlie)):
        for url in (article.get_absolute_url(), "/people/alice/", "/moderation/"):
            response = client.get(url)
            assert "alice@example.org" not in response.content.decode(), url


def test_it_keeps_the_text_of_a_reply_to_a_comment_hidden_meanwhile(
    client_for: ClientFor, alice: User, bob: User, article: Article, make_comment: MakeComment
) -> None:
    hidden = make_comment(alice, status=CommentStatus.HIDDEN)
    response = client_for(bob).post(post_url(article), {"body": "My long answer", "parent": hidden.pk})
    assert response.status_code == 403
    assert "My long answer</textarea>" in response.content.decode()
    assert 'name="parent" value="' in response.content.decode()


def test_it_keeps_the_text_of_an_empty_or_overlong_comment(
    client_for: ClientFor, alice: User, article: Article
) -> None:
    response = client_for(alice).post(post_url(article), {"body": "x" * 5001})
    assert response.status_code == 200
    assert "at most 5000 characters" in response.content.decode()
    assert not Comment.objects.exists()


def test_it_lists_comments_profiles_and_flags_in_the_admin(
    alice: User, bob: User, make_comment: MakeComment
) -> None:
    comment = make_comment(alice, status=CommentStatus.PENDING)
    Flag.objects.create(comment=comment, user=bob)
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    for url in ("/admin/community/comment/", "/admin/community/profile/", "/admin/community/flag/"):
        assert admin.get(url).status_code == 200, url
    assert admin.get(f"/admin/community/comment/{comment.pk}/change/").status_code == 200
    admin.post("/admin/community/comment/", {"action": "approve", "_selected_action": [comment.pk]})
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED
    assert Flag.objects.get().resolved_at is not None
