"""Reading state, saved articles, history, follows and My desk, with pinned query counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from newsdesk.news.models import Entity, Feed, Source, Story, Tag
from newsdesk.readers import reading
from newsdesk.readers.models import Follow, FollowKind, ReadState, SavedArticle, Subscription
from tests.readers.conftest import MakeArticle

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def queries_of(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries), response.content.decode()


def test_it_marks_an_article_read_when_a_reader_opens_it(
    client_for: ClientFor, alice: User, make_article: MakeArticle
) -> None:
    article = make_article()
    client = client_for(alice)
    client.get(f"/articles/{article.pk}/")
    client.get(f"/articles/{article.pk}/")  # the second visit updates the same row
    state = ReadState.objects.get(user=alice, article=article)
    assert state.read_at is not None and state.opened_at is not None


def test_it_marks_read_with_one_upsert_and_costs_anonymous_readers_nothing(
    client: Client, client_for: ClientFor, alice: User, make_article: MakeArticle
) -> None:
    article = make_article()
    anonymous, body = queries_of(client, f"/articles/{article.pk}/")
    assert anonymous == 5  # as pinned in tests/news/test_views.py: no reader state for anonymous visitors
    assert "Log in</a> to save this article" in body
    signed_in = client_for(alice)
    with CaptureQueriesContext(connection) as queries:
        signed_in.get(f"/articles/{article.pk}/")
    upserts = [q["sql"] for q in queries if "readers_readstate" in q["sql"]]
    assert len(upserts) == 1 and "ON CONFLICT" in upserts[0]


def test_it_keeps_the_signed_in_article_page_constant_with_many_follows(
    client_for: ClientFor, alice: User, make_article: MakeArticle, tag: Tag, person: Entity
) -> None:
    article = make_article(tags=[tag], entities=[person])
    client = client_for(alice)
    small, _ = queries_of(client, f"/articles/{article.pk}/")
    for n in range(30):
        reading.follow(alice, Tag.objects.create(name=f"t{n}", slug=f"t{n}"))
    reading.follow(alice, article.source)
    large, body = queries_of(client, f"/articles/{article.pk}/")
    assert small == large
    assert "Following Eastport Courier" in body


def test_it_offers_to_follow_an_enriched_articles_hashtags_people_and_places(
    client_for: ClientFor, alice: User, make_article: MakeArticle, tag: Tag, person: Entity, place: Entity
) -> None:
    from django.utils import timezone

    story = Story.objects.create(headline="Harbour")
    article = make_article(tags=[tag], entities=[person, place], story=story, enriched_at=timezone.now())
    reading.follow(alice, place)
    body = client_for(alice).get(f"/articles/{article.pk}/").content.decode()
    for label in ("Follow Eastport Courier", "Follow this story", "Follow #Harbour", "Follow Mara Lind"):
        assert label in body, label
    assert "Following Eastport</button>" in body  # the place, followed already


def test_it_marks_unread_and_goes_back_to_my_desk_not_to_the_article(
    client_for: ClientFor, alice: User, make_article: MakeArticle
) -> None:
    article = make_article()
    client = client_for(alice)
    client.get(f"/articles/{article.pk}/")
    response = client.post(f"/articles/{article.pk}/unread/", {"next": f"/articles/{article.pk}/"})
    assert response.status_code == 302 and response["Location"] == "/desk/"
    state = ReadState.objects.get(user=alice, article=article)
    assert state.read_at is None and state.opened_at is not None
    assert article.title in client.get("/history/").content.decode()  # still in the history


def test_it_saves_and_unsaves_articles(client_for: ClientFor, alice: User, make_article: MakeArticle) -> None:
    article = make_article("Bridge plans unveiled")
    client = client_for(alice)
    assert "Nothing saved yet" in client.get("/saved/").content.decode()
    client.post(f"/articles/{article.pk}/save/", {"next": f"/articles/{article.pk}/"})
    client.post(f"/articles/{article.pk}/save/")  # twice is once
    assert SavedArticle.objects.filter(user=alice).count() == 1
    assert "Bridge plans unveiled" in client.get("/saved/").content.decode()
    assert ">Saved</button>" in client.get(f"/articles/{article.pk}/").content.decode()
    client.post(f"/articles/{article.pk}/unsave/")
    assert not SavedArticle.objects.filter(user=alice).exists()


def test_it_lists_the_history_newest_first(
    client_for: ClientFor, alice: User, make_article: MakeArticle
) -> None:
    first, second = make_article("First opened"), make_article("Second opened")
    client = client_for(alice)
    client.get(f"/articles/{first.pk}/")
    client.get(f"/articles/{second.pk}/")
    reading.mark_read(alice, make_article("Read from a list"))  # read, never opened: not history
    body = client.get("/history/").content.decode()
    assert body.index("Second opened") < body.index("First opened")
    assert "Read from a list" not in body


def test_it_follows_every_kind_of_thing_by_post(
    client_for: ClientFor, alice: User, make_article: MakeArticle, tag: Tag, person: Entity, place: Entity
) -> None:
    article = make_article()
    feed = Feed.objects.create(url="https://courier.example/rss", source=article.source)
    story = Story.objects.create(headline="Harbour reopening")
    client = client_for(alice)
    targets = {
        FollowKind.SOURCE: article.source,
        FollowKind.FEED: feed,
        FollowKind.TAG: tag,
        FollowKind.ENTITY: person,
        FollowKind.STORY: story,
    }
    for kind, target in targets.items():
        response = client.post("/follow/", {"kind": kind, "target": target.pk, "next": "/desk/"})
        assert response.status_code == 302
    client.post("/follow/", {"kind": "entity", "target": place.pk})
    client.post("/follow/", {"kind": "tag", "target": tag.pk})  # following twice is following once
    assert Follow.objects.filter(user=alice).count() == 5
    assert Subscription.objects.filter(user=alice, feed=feed).exists()  # following a feed subscribes
    client.post("/unfollow/", {"kind": "entity", "target": place.pk})
    assert not Follow.objects.filter(user=alice, entity=place).exists()
    assert client.post("/follow/", {"kind": "tag", "target": 999999}).status_code == 404
    assert client.post("/follow/", {"kind": "comment", "target": tag.pk}).status_code == 404


def test_it_mixes_what_a_reader_follows_on_my_desk_newest_first(
    client_for: ClientFor,
    alice: User,
    bob: User,
    make_article: MakeArticle,
    herald: Source,
    tag: Tag,
    person: Entity,
) -> None:
    story = Story.objects.create(headline="Storm")
    by_tag = make_article("Tagged harbour news", tags=[tag], hours_ago=5)
    make_article("About Mara Lind", entities=[person], hours_ago=3)
    make_article("Herald report", source=herald, hours_ago=1)
    make_article("Storm coverage", story=story, hours_ago=2)
    make_article("Nothing followed here", hours_ago=4)
    for target in (tag, person, herald, story):
        reading.follow(alice, target)
    reading.follow(bob, by_tag.source)  # Bob's follows never show on Alice's desk
    body = client_for(alice).get("/desk/").content.decode()
    titles = ["Herald report", "Storm coverage", "About Mara Lind", "Tagged harbour news"]
    assert [body.index(t) for t in titles] == sorted(body.index(t) for t in titles)
    assert "Nothing followed here" not in body
    assert "4 unread" in body


def test_it_counts_unread_per_followed_thing_and_in_total(
    client_for: ClientFor, alice: User, make_article: MakeArticle, herald: Source, tag: Tag
) -> None:
    tagged = [make_article(f"Tagged {n}", tags=[tag]) for n in range(3)]
    make_article("Herald one", source=herald)
    both = make_article("Herald tagged", source=herald, tags=[tag])
    reading.follow(alice, tag)
    reading.follow(alice, herald)
    reading.mark_read(alice, tagged[0])
    counts = {f.kind: f.unread for f in reading.follows_with_unread(alice)}
    assert counts == {FollowKind.TAG: 3, FollowKind.SOURCE: 2}  # "Herald tagged" counts for both
    assert reading.unread_total(alice) == 4  # ... but once in the total
    body = client_for(alice).get("/desk/?show=unread").content.decode()
    assert "Tagged 0" not in body and both.title in body


def test_it_keeps_my_desk_queries_constant_with_many_follows_and_articles(
    client_for: ClientFor, alice: User, make_article: MakeArticle, courier: Source
) -> None:
    client = client_for(alice)
    tag = Tag.objects.create(name="t0", slug="t0")
    reading.follow(alice, tag)
    make_article("Only one", tags=[tag])
    small, _ = queries_of(client, "/desk/")
    for n in range(1, 40):
        tag = Tag.objects.create(name=f"t{n}", slug=f"t{n}")
        entity = Entity.objects.create(name=f"Person {n}", kind="person", key=f"person {n}")
        source = Source.objects.create(name=f"Outlet {n}", domain=f"outlet{n}.example")
        story = Story.objects.create(headline=f"Story {n}")
        for target in (tag, entity, source, story):
            reading.follow(alice, target)
        make_article(f"Article {n}", source=source, tags=[tag], entities=[entity], story=story, hours_ago=n)
    large, body = queries_of(client, "/desk/")
    assert small == large
    # session, user, follows with unread counts, the subscriptions' rules, unread total, page count,
    # page of articles, the badge, and Django's two permission queries of the page header (Moderation)
    assert large == 10
    assert "Article 1" in body and "160 things" not in body and "Following 157 things" in body


def test_it_asks_a_reader_with_no_follows_to_follow_something(client_for: ClientFor, alice: User) -> None:
    body = client_for(alice).get("/desk/").content.decode()
    assert "You follow nothing yet" in body


@pytest.mark.parametrize("url", ["/desk/", "/saved/", "/history/", "/notifications/", "/alerts/"])
def test_it_sends_anonymous_visitors_to_log_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_refuses_a_follow_without_a_csrf_token(alice: User, tag: Tag) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/follow/", {"kind": "tag", "target": tag.pk}).status_code == 403
    assert not Follow.objects.exists()


def test_it_shows_no_reader_another_readers_state(
    client_for: ClientFor, alice: User, bob: User, make_article: MakeArticle, tag: Tag
) -> None:
    article = make_article("Alice's secret interest", tags=[tag])
    reading.follow(alice, tag)
    reading.save_article(alice, article)
    client_for(alice).get(f"/articles/{article.pk}/")
    bob_client = client_for(bob)
    for url in ("/desk/", "/saved/", "/history/"):
        assert "Alice&#x27;s secret interest" not in bob_client.get(url).content.decode()
    page = bob_client.get(f"/articles/{article.pk}/").content.decode()
    assert ">Save</button>" in page and "Following #Harbour" not in page


def test_it_offers_follow_buttons_on_tag_entity_source_and_story_pages(
    client: Client, client_for: ClientFor, alice: User, make_article: MakeArticle, tag: Tag, person: Entity
) -> None:
    article = make_article(tags=[tag], entities=[person])
    Feed.objects.create(url="https://courier.example/rss", source=article.source)
    Feed.objects.create(url="https://courier.example/world.rss", source=article.source)
    story = Story.objects.create(headline="Harbour")
    reading.follow(alice, tag)
    signed_in = client_for(alice)
    assert "Following #Harbour" in signed_in.get("/tags/harbour/").content.decode()
    assert "Follow Mara Lind" in signed_in.get(f"/entities/{person.pk}/").content.decode()
    source_page = signed_in.get(f"/sources/{article.source_id}/").content.decode()
    assert (
        "Follow Eastport Courier" in source_page
        and "Follow feed https://courier.example/world.rss" in source_page
    )
    assert "Follow Harbour" in signed_in.get(f"/stories/{story.pk}/").content.decode()
    assert "to follow this on My desk" in client.get("/tags/harbour/").content.decode()


def test_it_costs_anonymous_visitors_no_query_for_follow_buttons(
    client: Client, make_article: MakeArticle, tag: Tag
) -> None:
    make_article(tags=[tag])
    count, _ = queries_of(client, "/tags/harbour/")
    assert count == 3  # tag, page count, articles: as before the buttons
