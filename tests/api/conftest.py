"""A small desk for the API tests: enriched articles in a story, two readers, a token for each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from newsdesk.news.models import (
    Article,
    ArticleEntity,
    ArticleTag,
    Attribution,
    Entity,
    Feed,
    Quote,
    Source,
    Story,
    Tag,
)
from newsdesk.readers import tokens
from newsdesk.readers.models import TokenKind


@dataclass
class Desk:
    source: Source
    other_source: Source
    feed: Feed
    story: Story
    articles: list[Article]
    tag: Tag
    person: Entity
    place: Entity
    reader: User
    other: User
    token: str
    other_token: str

    def client(self, secret: str | None = None) -> Client:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return Client(headers=headers)


def make_articles(source: Source, count: int, *, story: Story | None = None, start: int = 0) -> list[Article]:
    now = timezone.now()
    return [
        Article.objects.create(
            source=source,
            url=f"https://{source.domain}/a/{start + n}",
            title=f"Harbour report {start + n}",
            text=f"The harbour reopened on day {start + n}, the mayor said.",
            published_at=now - timedelta(hours=start + n),
            language="en",
            story=story,
        )
        for n in range(count)
    ]


@pytest.fixture
def desk(db: None, settings: Any) -> Desk:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    source = Source.objects.create(name="Eastport Courier", domain="courier.example", country="SE")
    other_source = Source.objects.create(name="Westport Post", domain="post.example", ownership="private")
    feed = Feed.objects.create(url="https://courier.example/rss", source=source, title="Courier")
    story = Story.objects.create(headline="Harbour reopens")
    articles = make_articles(source, 3, story=story)
    now = timezone.now()
    Story.objects.filter(pk=story.pk).update(
        article_count=3, source_count=1, first_published_at=now - timedelta(hours=2), last_published_at=now
    )
    tag = Tag.objects.create(name="Harbour", slug="harbour")
    person = Entity.objects.create(name="Mara Lind", kind="person", key="mara lind", article_count=1)
    place = Entity.objects.create(
        name="Eastport", kind="place", key="eastport", latitude=57.7, longitude=11.9, country="SE"
    )
    first = articles[0]
    ArticleTag.objects.create(article=first, tag=tag)
    ArticleEntity.objects.create(article=first, entity=person, mentions=2)
    ArticleEntity.objects.create(article=first, entity=place)
    Quote.objects.create(article=first, text="We are open.", speaker=person, speaker_name="Mara Lind")
    Attribution.objects.create(article=first, source=other_source, cue="according to the Westport Post")
    Article.objects.filter(pk=first.pk).update(ai_summary="The harbour reopened.")
    reader = User.objects.create_user("reader", "reader@example.org", "pw")
    other = User.objects.create_user("other", "other@example.org", "pw")
    _, secret = tokens.issue(reader, TokenKind.API, "tests")
    _, other_secret = tokens.issue(other, TokenKind.API, "other's")
    return Desk(
        source, other_source, feed, story, articles, tag, person, place, reader, other, secret, other_secret
    )
