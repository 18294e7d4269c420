"""The developing flag lapses once an article has gone unchanged for NEWSDESK_DEVELOPING_HOURS."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from newsdesk.news.models import Article, Story
from newsdesk.news.store import ArticleDraft, source_for_url, store_article
from newsdesk.news.tasks import expire_developing

pytestmark = pytest.mark.django_db


def _live(url: str, **fields: object) -> Article:
    draft = ArticleDraft(
        url=url, title="Live: the storm", text="The storm reached the coast.", developing=True
    )
    return store_article(replace(draft, **fields), source=source_for_url(url)).article  # type: ignore[arg-type]


def test_an_archived_live_page_is_not_developing_now() -> None:
    old = _live("https://example.org/live-2025", published_at=timezone.now() - timedelta(days=540))
    fresh = _live("https://example.org/live-now", published_at=timezone.now() - timedelta(hours=2))
    assert not old.developing and fresh.developing


def test_the_flag_lapses_after_the_set_hours_and_its_story_with_it(settings) -> None:  # type: ignore[no-untyped-def]
    article = _live("https://example.org/live", published_at=timezone.now() - timedelta(hours=1))
    story = Story.objects.create(headline="The storm", developing=True)
    Article.objects.filter(pk=article.pk).update(story=story)
    assert expire_developing() == 0 and Article.objects.get(pk=article.pk).developing

    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now() - timedelta(hours=49))
    settings.NEWSDESK = replace(settings.NEWSDESK, developing_hours=72)
    assert expire_developing() == 0  # 49 hours is within 72
    settings.NEWSDESK = replace(settings.NEWSDESK, developing_hours=48)
    assert expire_developing() == 1
    assert not Article.objects.get(pk=article.pk).developing and not Story.objects.get(pk=story.pk).developing
