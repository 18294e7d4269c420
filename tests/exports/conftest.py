"""A desk with enriched articles and a reader who keeps one of everything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from newsdesk.community.actions import post_comment
from newsdesk.community.models import Profile
from newsdesk.news.models import (
    Article,
    ArticleEntity,
    ArticleTag,
    ArticleURL,
    Attribution,
    Entity,
    Feed,
    Quote,
    Source,
    Story,
    Tag,
)
from newsdesk.readers import reading
from newsdesk.readers.models import AlertRule, Folder, SavedSearch, Subscription

START = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class World:
    source: Source
    cited: Source
    feed: Feed
    story: Story
    tag: Tag
    person: Entity
    place: Entity
    articles: list[Article]
    reader: Any
    other: Any


def enriched_articles(
    source: Source, cited: Source, story: Story, count: int, feed: Feed | None = None
) -> list[Article]:
    """``count`` articles a day apart from START, each with hashtags, entities, quotes and a citation."""
    tag = Tag.objects.get_or_create(slug="harbour", defaults={"name": "Harbour"})[0]
    person = Entity.objects.get_or_create(
        key="person:mara lind", kind="person", defaults={"name": "Mara Lind"}
    )[0]
    place = Entity.objects.get_or_create(
        key="place:eastport",
        kind="place",
        defaults={"name": "Eastport", "latitude": 57.7, "longitude": 11.9, "country": "SE"},
    )[0]
    made = []
    for n in range(count):
        article = Article.objects.create(
            source=source,
            feed=feed,
            url=f"https://{source.domain}/news/{n}",
            title=f"Harbour day {n}",
            text=f"The harbour reopened on day {n}. \u201cWe are open,\u201d said Mara Lind.",
            summary=f"Feed summary {n}",
            ai_summary=f"Summary {n}",
            language="en",
            published_at=START + timedelta(days=n),
            enriched_at=timezone.now(),
            story=story,
        )
        ArticleTag.objects.create(article=article, tag=tag, rank=0)
        ArticleEntity.objects.create(article=article, entity=person, mentions=2)
        ArticleEntity.objects.create(article=article, entity=place, mentions=1)
        Quote.objects.create(
            article=article, text="We are open.", speaker=person, speaker_name="Mara Lind", position=10
        )
        Quote.objects.create(
            article=article,
            text="It was time.",
            anonymous=True,
            speaker_description="an official",
            position=50,
            direct=False,
        )
        Attribution.objects.create(article=article, source=cited, cue="according to")
        made.append(article)
    return made


@pytest.fixture
def world(db: None, settings: Any) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    source = Source.objects.create(
        name="Eastport Courier", domain="courier.example", homepage="https://courier.example/"
    )
    cited = Source.objects.create(name="Westport Times", domain="times.example")
    feed = Feed.objects.create(url="https://courier.example/rss", source=source, title="Courier news")
    story = Story.objects.create(headline="Harbour reopens")
    articles = enriched_articles(source, cited, story, 5, feed)
    ArticleURL.objects.create(article=articles[4], url="https://courier.example/old-address-4")
    tag = Tag.objects.get(slug="harbour")
    person = Entity.objects.get(kind="person")
    place = Entity.objects.get(kind="place")
    reader = User.objects.create_user("reader", "reader@example.org", "pw")
    other = User.objects.create_user("other", "other@example.org", "pw")
    Profile.objects.filter(user__in=[reader, other]).update(trusted=True)
    keep_reader_busy(reader, other, feed, source, tag, person, story, articles)
    return World(source, cited, feed, story, tag, person, place, articles, reader, other)


def keep_reader_busy(
    reader: Any,
    other: Any,
    feed: Feed,
    source: Source,
    tag: Tag,
    person: Entity,
    story: Story,
    articles: list[Article],
) -> None:
    folder = Folder.objects.create(user=reader, name="Ports")
    Folder.objects.create(user=reader, name="Empty folder")
    Subscription.objects.create(
        user=reader,
        feed=feed,
        folder=folder,
        title="My courier",
        block_rules="football",
        rewrite_rules="strip-images",
    )
    for target in (source, tag, person, story):
        reading.follow(reader, target)
    reading.save_article(reader, articles[1])
    reading.save_article(reader, articles[3])
    reading.mark_opened(reader, articles[0])
    reading.mark_read(reader, articles[2])
    theirs = post_comment(other, articles[0], "First!")
    mine = post_comment(reader, articles[0], "A *fair* point.")
    post_comment(reader, articles[0], "Replying to myself.", parent=mine)
    post_comment(reader, articles[0], "Replying to other.", parent=theirs)
    post_comment(reader, story, "On the story.")
    search = SavedSearch.objects.create(user=reader, name="Harbour news", query="q=harbour&language=en")
    AlertRule.objects.create(
        user=reader, name="Harbour word", kind="keyword", keyword="harbour", email="digest"
    )
    AlertRule.objects.create(user=reader, name="Harbour tag", kind="tag", tag=tag)
    AlertRule.objects.create(
        user=reader, name="Mara", kind="entity", entity=person, webhook_url="https://hooks.example/x"
    )
    AlertRule.objects.create(user=reader, name="Courier", kind="source", source=source, active=False)
    AlertRule.objects.create(user=reader, name="Saved search", kind="search", saved_search=search)
