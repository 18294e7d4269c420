"""Stories, near-copies and the vector index, kept up to date one placement batch at a time.

Placement is single work: ``news.enrichment.place_pending`` holds the database lease ``stories``
while it calls ``StoryDesk.place``, so one placer at a time works anywhere, whatever the number
of processes. Story labels are Story rows' ids, handed out by the database, never by a process.

The clusterer's working state is the stories near the articles being placed (within
NEWSDESK_STORY_WINDOW_DAYS of them), loaded from stored vectors as the placer moves through time
and forgotten behind it: memory follows the window, not the archive, and nothing is saved to a
file, so a crash loses nothing and a kill leaves nothing torn. When the lease changes hands
(another process placed in between), the state is dropped and loaded again from the database.
Each batch is one transaction: vectors, near-copies, stories and ``enriched_at`` together.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from newsdesk.news.models import Article, ArticleEntity, ArticleVector, Story
from newsdesk.news.nearcopies import NearCopyFinder
from newsdesk.news.signals import article_enriched, story_updated
from newsdesk.news.vectors import SharedIndex, reset_vector_indexes, vector_index
from newsdesk.pipeline import kinds
from newsdesk.pipeline.embed import Embedder, get_embedder
from newsdesk.pipeline.stories import StoryClusterer, StoryItem

log = logging.getLogger(__name__)

# The vector index file holds the whole index: while articles keep coming it is rewritten at most
# this often (bench/placement.py scale: a write per batch made placement grow with the archive).
INDEX_SAVE_SECONDS = 60.0


class StoryDesk:
    """The placer's state: embedder, a windowed clusterer, near-copies and the vector index."""

    def __init__(self, embedder: Embedder, window: timedelta) -> None:
        self.embedder = embedder
        self.window = window
        self.index = vector_index()
        self._saved_at = time.monotonic()
        self.generation: int | None = None
        self._reset()

    def _reset(self) -> None:
        self.clusterer = StoryClusterer(self.embedder, new_label=_new_story_label)
        self.near = NearCopyFinder()
        self.stored: dict[int, int] = {}  # loaded article -> its story id as stored
        self.start: datetime | None = None  # the window of stories loaded
        self.end: datetime | None = None

    def adopt(self, generation: int) -> None:
        """Take the story lease's generation: when another holder worked since, reload from the database."""
        if generation != self.generation:
            self._reset()
            self.generation = generation

    def forget(self) -> None:
        """Drop the working state (the lease was lost, or a batch failed): it is loaded again next time."""
        self.generation = None
        if isinstance(self.index, SharedIndex):  # vectors of a rolled-back batch are never saved
            self.index.discard()
        self._reset()

    # --- the working window -----------------------------------------------------------------------

    def _cover(self, start: datetime, end: datetime) -> None:
        """Hold every story with an article within the window around [start, end]; forget the rest."""
        span = self.clusterer.config.window_hours * 3600.0
        if (
            self.start is not None
            and self.end is not None
            and self.start.timestamp() <= start.timestamp() - span
            and end.timestamp() + span <= self.end.timestamp()
        ):
            return
        low, high = start - self.window, end + self.window
        self.clusterer.evict(low.timestamp(), high.timestamp())
        self.stored = {pk: sid for pk, sid in self.stored.items() if self.clusterer.has_story(sid)}
        story_ids = set(
            Article.objects.filter(sort_at__gte=low, sort_at__lte=high, story__isnull=False)
            .values_list("story_id", flat=True)
            .distinct()
        )
        missing = sorted(sid for sid in story_ids if not self.clusterer.has_story(sid))
        for chunk in range(0, len(missing), 500):
            self._load(missing[chunk : chunk + 500])
        self.start, self.end = low, high

    def _load(self, story_ids: list[int]) -> None:
        rows = list(
            ArticleVector.objects.filter(embedder=self.embedder.name, article__story_id__in=story_ids)
            .order_by("article__sort_at", "article_id")
            .values_list(
                "article_id",
                "vector",
                "article__story_id",
                "article__sort_at",
                "article__language",
                "article__source__language",
                "article__title",
                "article__url",
            )
        )
        names = article_entity_names([row[0] for row in rows])
        # An article's kind is read again from its title and URL (its text is not loaded: a gallery
        # known only by its captions counts as a report once it is loaded back).
        self.clusterer.restore(
            (
                pk,
                np.frombuffer(vector, dtype=np.float32),
                sid,
                moment,
                names.get(pk, ()),
                language or source_language,
                kinds.classify(title, "", url),
            )
            for pk, vector, sid, moment, language, source_language, title, url in rows
        )
        self.stored.update({row[0]: row[2] for row in rows})

    # --- placing a batch ----------------------------------------------------------------------------

    def place(self, articles: Sequence[Article]) -> None:
        """Embed, dedupe and cluster these analysed articles, store it all and mark them enriched.

        One transaction; on any error the working state is dropped (it is reloaded next time).
        """
        ordered = sorted(articles, key=_time_order)
        try:
            with transaction.atomic():
                for run in _runs(ordered, self.window):
                    self._place_run(run)
                Article.objects.filter(pk__in=[a.pk for a in ordered]).update(enriched_at=timezone.now())
        except BaseException:
            self.forget()
            raise
        self.save_index(every=INDEX_SAVE_SECONDS)

    def save_index(self, every: float = 0.0) -> None:
        """Write the vector index file when it was last written ``every`` seconds ago or more.

        While a stream flows the file (the whole index) is rewritten at most every
        INDEX_SAVE_SECONDS, not per batch; the vectors are in the database meanwhile, and a placer
        that opens the file after a crash adds what it lacks from there.
        """
        if time.monotonic() - self._saved_at >= every:
            self.index.save()
            self._saved_at = time.monotonic()

    def _place_run(self, run: Sequence[Article]) -> None:
        self._cover(run[0].sort_at, run[-1].sort_at)
        known = {a.pk for a in run if a.pk in self.stored}
        fresh = [a for a in run if a.pk not in known]
        created = set(a.pk for a in fresh) - set(
            ArticleVector.objects.filter(article_id__in=[a.pk for a in fresh]).values_list(
                "article_id", flat=True
            )
        )
        if fresh:
            entities = article_entity_names([a.pk for a in fresh])
            items = [_item(a, entities.get(a.pk, [])) for a in fresh]
            vectors = self.clusterer.vectors(items)
            self._store_vectors(fresh, vectors)
            self.near.mark(fresh)
            for item, vector in zip(items, vectors, strict=True):
                self.clusterer.add(item, vector)
        touched, merged = self.clusterer.drain()
        touched |= {self.stored[pk] for pk in known if self.clusterer.has_story(self.stored[pk])}
        self._write(touched, merged)
        transaction.on_commit(lambda: self._announce(run, created, known))

    def _store_vectors(self, articles: Sequence[Article], vectors: np.ndarray) -> None:
        ids = [a.pk for a in articles]
        self.index.remove(ids)
        self.index.add(ids, vectors)
        ArticleVector.objects.filter(article_id__in=ids, embedder=self.embedder.name).delete()
        ArticleVector.objects.bulk_create(
            [
                ArticleVector(
                    article_id=pk, embedder=self.embedder.name, vector=vector.astype(np.float32).tobytes()
                )
                for pk, vector in zip(ids, vectors, strict=True)
            ]
        )

    def _write(self, touched: set[int], merged: dict[int, int]) -> None:
        """Store what changed: the articles that moved, the stories merged away, the touched stories' stats."""
        refresh: set[int] = set(touched)
        for story_id in touched:
            members = [int(pk) for pk in self.clusterer.members(story_id)]  # type: ignore[call-overload]
            moved = [pk for pk in members if self.stored.get(pk) != story_id]
            if not moved:
                continue
            refresh |= {self.stored[pk] for pk in moved if pk in self.stored}
            Article.objects.filter(pk__in=moved).update(story_id=story_id)
            self.stored.update({pk: story_id for pk in moved})
        for gone, survivor in merged.items():
            Story.objects.filter(pk=gone).update(
                merged_into_id=survivor if survivor != gone else None, article_count=0, source_count=0
            )
        refresh_stories(refresh - set(merged))

    def _announce(self, run: Sequence[Article], created: set[int], known: set[int]) -> None:
        rows = Article.objects.filter(pk__in=[a.pk for a in run]).select_related("story", "source")
        for article in rows:
            article_enriched.send(sender=Article, article=article, created=article.pk in created)
            if article.story is not None and (article.pk in created or article.pk in known):
                reason = "new_article" if article.pk in created else "new_version"
                story_updated.send(sender=Story, story=article.story, article=article, reason=reason)


def _new_story_label() -> int:
    """A new story's label: its own row's id, so labels are unique in every process."""
    story = Story.objects.create(headline="")
    Story.objects.filter(pk=story.pk).update(cluster_label=story.pk)
    return story.pk


def _runs(articles: Sequence[Article], window: timedelta) -> list[list[Article]]:
    """Time-ordered articles cut into runs that each span at most ``window`` (an archive spans years)."""
    runs: list[list[Article]] = []
    for article in articles:
        if runs and article.sort_at - runs[-1][0].sort_at <= window:
            runs[-1].append(article)
        else:
            runs.append([article])
    return runs


def refresh_stories(story_ids: set[int]) -> None:
    """Recompute headline, counts, time span and developing status of these stories."""
    if not story_ids:
        return
    stats = (
        Article.objects.filter(story_id__in=story_ids)
        .values("story_id")
        .annotate(
            n=Count("id"),
            outlets=Count("source", distinct=True),
            first=Min("sort_at"),
            last=Max("sort_at"),
            live=Count("id", filter=Q(developing=True)),
        )
    )
    by_story = {row["story_id"]: row for row in stats}
    # The story is headed by its first report.
    first_titles: dict[int, str] = {}
    for story_id, title in (
        Article.objects.filter(story_id__in=story_ids)
        .order_by("sort_at", "id")
        .values_list("story_id", "title")
    ):
        first_titles.setdefault(story_id, title)
    for story in Story.objects.filter(pk__in=story_ids):
        row = by_story.get(story.pk)
        if row is None:
            story.article_count = story.source_count = 0
        else:
            story.article_count, story.source_count = row["n"], row["outlets"]
            story.first_published_at, story.last_published_at = row["first"], row["last"]
            story.developing = row["live"] > 0
        story.headline = first_titles.get(story.pk, story.headline)[:1000]
        story.save()


def _item(article: Article, entities: list[str]) -> StoryItem:
    """The article as the clusterer sees it: its language is its own, else its outlet's."""
    return StoryItem(
        id=article.pk,
        title=article.title,
        text=article.text or article.summary,
        published_at=article.published_at or article.fetched_at,
        source=str(article.source_id),
        entities=tuple(entities),
        language=article.language or article.source.language,
        url=article.url,
    )


def _time_order(article: Article) -> tuple[float, int]:
    return (article.sort_at.timestamp(), article.pk)


def article_entity_names(article_ids: Sequence[int]) -> dict[int, list[str]]:
    """Canonical keys of the people, organisations and places of each article (one query)."""
    out: dict[int, list[str]] = {}
    rows = ArticleEntity.objects.filter(
        article_id__in=article_ids, entity__kind__in=["person", "organisation", "place"]
    )
    for article_id, key in rows.values_list("article_id", "entity__key"):
        out.setdefault(article_id, []).append(key)
    return out


_desk: StoryDesk | None = None
_desk_lock = threading.Lock()


def story_desk() -> StoryDesk:
    """The process's StoryDesk, created on first use from the settings (cheap: nothing is loaded yet)."""
    global _desk
    with _desk_lock:
        if _desk is None:
            cfg = settings.NEWSDESK
            _desk = StoryDesk(get_embedder(cfg.embedder), timedelta(days=cfg.story_window_days))
        return _desk


def reset_story_desk() -> None:
    """Forget the process's StoryDesk (tests, a change of embedder)."""
    global _desk
    with _desk_lock:
        _desk = None
    reset_vector_indexes()
