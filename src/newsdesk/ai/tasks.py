"""The AI app's tasks and tick: briefings and translations are written by the runner, never a request.

* ``brief_story(story_id)``: the story's briefing for its current version (nothing when current).
* ``brief_stories()``: the stories with recent reports whose briefing is missing or stale.
* ``translate_article(article_id, language)``.

The tick submits ``brief_stories`` at most once a ``BRIEF_EVERY_SECONDS`` (a lease throttles it
across schedulers) and only when a model is configured; a page that finds a story's briefing
missing asks for it (``request``, at most once per story in ``REQUEST_SECONDS``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from newsdesk.runtime.registry import register_task, register_tick
from newsdesk.runtime.runners import TaskRunner

BRIEF_EVERY_SECONDS = 120
RECENT_HOURS = 48  # stories with a report this recent (against the desk's newest) are kept briefed
STORIES_PER_RUN = 10
REQUEST_SECONDS = 600  # one page-made request per story and task in this time


def brief_story(story_id: int, force: bool = False) -> dict[str, Any]:
    from newsdesk.ai.briefing import brief_and_store
    from newsdesk.ai.language import configured_model

    model = configured_model()
    if not model.can_generate:
        return {"story_id": story_id, "briefed": False, "reason": "no language model"}
    return brief_and_store(story_id, model, force=force)


def stale_stories(limit: int = STORIES_PER_RUN) -> list[int]:
    """Stories with recent reports whose briefing is missing or of an older version, most covered first."""
    from django.db.models import Max

    from newsdesk.ai.briefing import story_version
    from newsdesk.ai.models import StoryBriefing
    from newsdesk.news.models import Article, Story

    newest = Article.objects.aggregate(newest=Max("sort_at"))["newest"]
    if newest is None:
        return []
    stories = (
        Story.objects.filter(
            merged_into__isnull=True, last_published_at__gte=newest - timedelta(hours=RECENT_HOURS)
        )
        .filter(source_count__gte=2)
        .order_by("-source_count", "-last_published_at")
        .values_list("id", flat=True)[: limit * 5]
    )
    ids = list(stories)
    versions = dict(StoryBriefing.objects.filter(story_id__in=ids).values_list("story_id", "version"))
    stale = [story_id for story_id in ids if versions.get(story_id) != story_version(story_id)]
    return stale[:limit]


def brief_stories(limit: int = STORIES_PER_RUN) -> dict[str, Any]:
    from newsdesk.ai.language import configured_model

    if not configured_model().can_generate:
        return {"briefed": 0}
    done = [brief_story(story_id)["briefed"] for story_id in stale_stories(limit)]
    return {"briefed": sum(1 for d in done if d)}


def translate_article(article_id: int, language: str) -> dict[str, Any]:
    from newsdesk.ai.language import configured_model
    from newsdesk.ai.translation import translate_and_store

    return translate_and_store(article_id, language, configured_model())


def request(task: str, key: str, **kwargs: Any) -> bool:
    """Submit ``task`` for a page, at most once per ``key`` in REQUEST_SECONDS; True when submitted.

    The mark is in Django's cache (Redis where the desk has one), not the database, so a page that
    finds a briefing missing costs no query; without a shared cache each process asks once, and the
    task itself does nothing when the work is current.
    """
    from django.core.cache import cache

    from newsdesk.runtime import dispatch

    if not cache.add(f"ai-request:{task}:{key}", 1, REQUEST_SECONDS):
        return False
    dispatch.submit(task, **kwargs)
    return True


def tick(runner: TaskRunner) -> dict[str, int]:
    from newsdesk.ai.language import configured_model
    from newsdesk.runtime import leases

    if not configured_model().can_generate:
        return {"brief": 0}
    if leases.acquire("tick:briefings", BRIEF_EVERY_SECONDS, holder=uuid4().hex) is None:
        return {"brief": 0}
    runner.submit("brief_stories")
    return {"brief": 1}


def register() -> None:
    register_task("brief_story", brief_story, queue="default", max_retries=2)
    register_task("brief_stories", brief_stories, queue="default", max_retries=1)
    register_task("translate_article", translate_article, queue="default", max_retries=2)
    register_tick("ai", tick)
