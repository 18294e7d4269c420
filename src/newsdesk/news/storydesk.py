"""Stories, near-copies and the vector index, kept up to date one enrichment batch at a time.

One ``StoryDesk`` per process holds the embedder, the online story clusterer, the near-duplicate
index and the vector index. Only the enrichment lane calls ``place`` (see news/tasks.py), so
articles reach the clusterer one at a time and in time order. The clusterer's state is saved under
NEWSDESK_HOME after each batch and rebuilt from the stored vectors when that file is missing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from newsdesk.news.models import Article, ArticleEntity, ArticleVector, Story
from newsdesk.news.signals import story_updated
from newsdesk.news.vectors import reset_vector_indexes, vector_index
from newsdesk.pipeline.embed import Embedder, get_embedder
from newsdesk.pipeline.neardup import NearDuplicateIndex
from newsdesk.pipeline.stories import StoryClusterer, StoryItem

log = logging.getLogger(__name__)

# Near-copies are looked for among recent articles: syndicated copies appear within days.
NEAR_COPY_WINDOW = timedelta(days=7)


class StoryDesk:
    """The per-process state behind stories, near-copies and related articles."""

    def __init__(self, home: Path, embedder: Embedder) -> None:
        self.home = home
        self.embedder = embedder
        self.state_path = home / f"stories-{embedder.name}.npz"
        self.index = vector_index()
        self.clusterer = self._load_clusterer()
        self.near = self._load_near_copies()
        # article id -> clusterer label as last written to the database
        self.synced: dict[int, int] = {
            pk: int(label or 0)
            for pk, label in Article.objects.filter(story__isnull=False).values_list(
                "id", "story__cluster_label"
            )
        }

    # --- loading ---------------------------------------------------------------------------------

    def _load_clusterer(self) -> StoryClusterer:
        if self.state_path.exists():
            try:
                return StoryClusterer.load(self.state_path, self.embedder)
            except (OSError, ValueError, KeyError) as error:
                log.warning(
                    "story state %s unreadable (%s); rebuilding from the database", self.state_path, error
                )
        rows = [
            (article_id, np.frombuffer(vector, dtype=np.float32), int(label or 0), published)
            for article_id, vector, label, published in ArticleVector.objects.filter(
                embedder=self.embedder.name, article__story__isnull=False
            )
            .order_by("article__sort_at", "article_id")
            .values_list("article_id", "vector", "article__story__cluster_label", "article__sort_at")
        ]
        return StoryClusterer.rebuild(rows, self.embedder)

    def _load_near_copies(self) -> NearDuplicateIndex:
        index = NearDuplicateIndex()
        since = timezone.now() - NEAR_COPY_WINDOW
        for article_id, text in Article.objects.filter(
            sort_at__gte=since, duplicate_of__isnull=True
        ).values_list("id", "text"):
            index.add(article_id, text)
        return index

    # --- placing a batch -------------------------------------------------------------------------

    def place(self, articles: Sequence[Article], entities: dict[int, list[str]]) -> None:
        """Embed, dedupe and cluster newly enriched articles, then bring stories up to date."""
        known = self.clusterer.labels()
        fresh = sorted((a for a in articles if a.pk not in known), key=_time_order)
        again = [a for a in articles if a.pk in known]
        if fresh:
            items = [_item(a, entities.get(a.pk, [])) for a in fresh]
            vectors = self.clusterer.vectors(items)
            self._store_vectors(fresh, vectors)
            self._mark_near_copies(fresh)
            for item, vector in zip(items, vectors, strict=True):
                self.clusterer.add(item, vector)
        self._sync(new_ids={a.pk for a in fresh}, changed_ids={a.pk for a in again})
        self.clusterer.save(self.state_path)
        self.index.save()

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

    def _mark_near_copies(self, articles: Sequence[Article]) -> None:
        """An article whose text nearly copies an earlier one becomes a copy of that one."""
        for article in articles:
            if not article.text:
                continue
            originals = [int(pk) for pk in self.near.query(article.text) if pk != article.pk]  # type: ignore[call-overload]
            if originals:
                original = min(originals)  # the earliest stored is the original
                Article.objects.filter(pk=article.pk).update(duplicate_of_id=original)
                article.duplicate_of_id = original
            else:
                self.near.add(article.pk, article.text)

    def _sync(self, *, new_ids: set[int], changed_ids: set[int]) -> None:
        """Write the clusterer's labels to the database: new stories, moved articles, merges."""
        labels = {int(pk): label for pk, label in self.clusterer.labels().items()}  # type: ignore[call-overload]
        moved = {pk: label for pk, label in labels.items() if self.synced.get(pk) != label}
        if not moved and not changed_ids:
            return
        with transaction.atomic():
            stories = self._stories_for(set(moved.values()))
            touched: set[int] = set()
            for label, pks in _group(moved).items():
                Article.objects.filter(pk__in=pks).update(story=stories[label])
                touched.add(stories[label].pk)
            old_labels = {self.synced[pk] for pk in moved if pk in self.synced}
            self._retire(old_labels - set(labels.values()))
            touched |= set(
                Story.objects.filter(cluster_label__in=old_labels & set(labels.values())).values_list(
                    "pk", flat=True
                )
            )
            touched |= set(
                Article.objects.filter(pk__in=changed_ids, story__isnull=False).values_list(
                    "story", flat=True
                )
            )
            refresh_stories(touched)
        self.synced.update(moved)
        self._announce(moved, new_ids, changed_ids)

    def _stories_for(self, labels: set[int]) -> dict[int, Story]:
        existing = {int(s.cluster_label or 0): s for s in Story.objects.filter(cluster_label__in=labels)}
        for label in labels - set(existing):
            existing[label] = Story.objects.create(cluster_label=label, headline="")
        return existing

    def _retire(self, gone: set[int]) -> None:
        """Stories whose label the clusterer merged away point to the story they merged into."""
        for story in Story.objects.filter(cluster_label__in=gone):
            survivor = Story.objects.filter(
                cluster_label=self.clusterer.resolve(int(story.cluster_label or 0))
            ).first()
            story.merged_into = survivor if survivor and survivor.pk != story.pk else None
            story.article_count = story.source_count = 0
            story.save(update_fields=["merged_into", "article_count", "source_count"])

    def _announce(self, moved: dict[int, int], new_ids: set[int], changed_ids: set[int]) -> None:
        rows = Article.objects.filter(pk__in=(set(moved) & new_ids) | changed_ids, story__isnull=False)
        for article in rows.select_related("story"):
            reason = "new_article" if article.pk in new_ids else "new_version"
            assert article.story is not None
            story_updated.send(sender=Story, story=article.story, article=article, reason=reason)


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
    return StoryItem(
        id=article.pk,
        title=article.title,
        text=article.text or article.summary,
        published_at=article.published_at or article.fetched_at,
        source=str(article.source_id),
        entities=tuple(entities),
    )


def _time_order(article: Article) -> tuple[float, int]:
    return (article.sort_at.timestamp(), article.pk)


def _group(labels: dict[int, int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for pk, label in labels.items():
        out.setdefault(label, []).append(pk)
    return out


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
    """The process's StoryDesk, created on first use from the settings."""
    global _desk
    with _desk_lock:
        if _desk is None:
            cfg = settings.NEWSDESK
            _desk = StoryDesk(Path(settings.HOME), get_embedder(cfg["NEWSDESK_EMBEDDER"]))
        return _desk


def reset_story_desk() -> None:
    """Forget the process's StoryDesk (tests, a change of embedder)."""
    global _desk
    with _desk_lock:
        _desk = None
    reset_vector_indexes()
