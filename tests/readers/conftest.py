"""The community's fixed readers (Alice, Bob, Charlie, Dan), plus outlets, articles and a runner
that runs readers' tasks at once, in the test's own transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from newsdesk.news.models import Article, ArticleEntity, ArticleTag, Entity, Source, Tag
from newsdesk.runtime import dispatch
from newsdesk.runtime.registry import get_task
from newsdesk.runtime.runners import TaskRunner
from tests.community.conftest import (  # noqa: F401  (fixtures, shared on purpose)
    PASSWORD,
    _fast_hashing,
    alice,
    bob,
    charlie,
    client_for,
    dan,
    make_user,
)
from tests.news.test_admin import recorder  # noqa: F401  (a runner that records what is queued, runs nothing)

MakeArticle = Callable[..., Article]


class InlineRunner(TaskRunner):
    """Runs a task when it is submitted, remembering its name (execute would close the test's connection)."""

    name = "inline"

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def submit(self, task: str, **kwargs: Any) -> None:
        self.submitted.append(task)
        get_task(task).func(**kwargs)


@pytest.fixture
def runner() -> Iterator[InlineRunner]:
    inline = InlineRunner()
    dispatch.use_runner(inline)
    yield inline
    dispatch.use_runner(None)


@pytest.fixture
def courier(db: None) -> Source:
    return Source.objects.create(name="Eastport Courier", domain="courier.example", country="SE")


@pytest.fixture
def herald(db: None) -> Source:
    return Source.objects.create(name="Westbay Herald", domain="herald.example", country="NO")


@pytest.fixture
def make_article(courier: Source) -> MakeArticle:
    """An article, newest first by `hours_ago`, with hashtags and entities linked as enrichment would."""
    counter = iter(range(1, 1_000_000))

    def make(
        title: str = "Harbour reopens",
        *,
        source: Source | None = None,
        text: str = "The harbour reopened on Monday.",
        hours_ago: float = 1,
        tags: list[Tag] = (),  # type: ignore[assignment]
        entities: list[Entity] = (),  # type: ignore[assignment]
        **extra: Any,
    ) -> Article:
        n = next(counter)
        source = source or courier
        article = Article.objects.create(
            source=source,
            url=f"https://{source.domain}/news/{n}",
            title=title,
            text=text,
            published_at=timezone.now() - timedelta(hours=hours_ago),
            **extra,
        )
        ArticleTag.objects.bulk_create([ArticleTag(article=article, tag=tag) for tag in tags])
        ArticleEntity.objects.bulk_create([ArticleEntity(article=article, entity=e) for e in entities])
        return article

    return make


@pytest.fixture
def tag(db: None) -> Tag:
    return Tag.objects.create(name="Harbour", slug="harbour")


@pytest.fixture
def person(db: None) -> Entity:
    return Entity.objects.create(name="Mara Lind", kind="person", key="mara lind")


@pytest.fixture
def place(db: None) -> Entity:
    return Entity.objects.create(name="Eastport", kind="place", key="eastport", latitude=59.3, longitude=18.1)
