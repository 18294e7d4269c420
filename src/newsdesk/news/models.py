"""Outlets, their feeds, and the articles they publish, with every earlier version kept."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone


class Ownership(models.TextChoices):
    STATE_CONTROLLED = "state-controlled", "State-controlled"
    PUBLIC_SERVICE = "public-service", "Public service"
    PRIVATE = "private", "Private"
    NON_PROFIT = "non-profit", "Non-profit"
    UNKNOWN = "unknown", "Unknown"


class Source(models.Model):
    """An outlet: who publishes, from where, owned by whom."""

    name = models.CharField(max_length=200)
    homepage = models.URLField(max_length=500, blank=True)
    domain = models.CharField(max_length=253, unique=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    language = models.CharField(max_length=8, blank=True, help_text="ISO 639-1")
    ownership = models.CharField(max_length=20, choices=Ownership.choices, default=Ownership.UNKNOWN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("news:source", args=[self.pk])


class Feed(models.Model):
    """A feed of one outlet, with what we need to fetch it politely and to show its health."""

    url = models.URLField(max_length=2000, unique=True)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="feeds")
    title = models.CharField(max_length=500, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    fetch_interval = models.PositiveIntegerField(
        default=3600, help_text="seconds, adapted to how often it publishes"
    )
    next_fetch_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    consecutive_errors = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    disabled_reason = models.TextField(blank=True, help_text="non-empty: the feed is not fetched any more")
    created_at = models.DateTimeField(default=timezone.now)
    body_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the body last read in full: the same body is not parsed again",
    )
    # Fetch options (Miniflux's per-feed settings): they change how the feed and its pages are fetched
    # for everyone, so only staff or the feed's only subscriber may change them.
    user_agent = models.CharField(max_length=300, blank=True, help_text="empty: Newsdesk's own")
    fetch_full_text = models.BooleanField(
        default=True, help_text="fetch each item's page for its full text; off: keep the feed's text"
    )
    body_selector = models.CharField(
        max_length=500, blank=True, help_text="a CSS selector for the article body on its pages"
    )

    class Meta:
        ordering = ["source__name", "url"]

    def __str__(self) -> str:
        return self.title or self.url

    @property
    def is_active(self) -> bool:
        return not self.disabled_reason

    @property
    def health(self) -> str:
        if self.disabled_reason:
            return "disabled"
        if self.consecutive_errors:
            return "failing"
        if self.last_success_at is None:
            return "new"
        return "ok"


# Columns a list of articles never shows: the text, kept out of every list query.
LIST_DEFERRED = ("text", "html", "summary", "ai_summary")


class ArticleQuerySet(models.QuerySet["Article"]):
    def listing(self) -> ArticleQuerySet:
        """What a list of articles shows, newest first: each with its outlet, without the text."""
        return self.select_related("source").defer(*LIST_DEFERRED).order_by("-sort_at", "-id")

    def linked_from(self, links: models.QuerySet[Any], *, common: bool) -> ArticleQuerySet:
        """The articles that rows of a link table (with an ``article_id``) point at.

        ``common``: the links cover a large share of the archive, so walking the newest-first index
        and probing each article's links finds a page soonest; else the matching articles are few
        enough to look up and sort. Either way the result is the same set.
        """
        if common:
            return self.filter(models.Exists(links.filter(article_id=models.OuterRef("pk"))))
        return self.filter(pk__in=links.values("article_id"))


class Article(models.Model):
    """One article, under its canonical URL, with its clean text."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="articles")
    feed = models.ForeignKey(Feed, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles")
    url = models.URLField(max_length=2000, unique=True, help_text="canonical URL")
    guid = models.CharField(max_length=2000, blank=True)
    title = models.CharField(max_length=1000)
    byline = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    # Newest-first order needs one indexed key even when an outlet gives no date.
    sort_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=8, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="sanitized")
    summary = models.TextField(blank=True, help_text="the feed's summary of the item")
    lead_image = models.URLField(max_length=2000, blank=True)
    content_hash = models.CharField(max_length=64, db_index=True, blank=True)
    developing = models.BooleanField(default=False)
    # Kept beside the text so that lists never load whole articles.
    excerpt = models.CharField(max_length=300, blank=True, editable=False)
    # Enrichment goes in two steps: the enrichers' results stored (analysed_at), then the story,
    # near-copy and vector placed (enriched_at). An article counts as enriched only after both;
    # None: not yet, or changed since. A worker claims articles to analyse (claimed_by, until).
    analysed_at = models.DateTimeField(null=True, blank=True)
    enriched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_by = models.CharField(max_length=100, blank=True, default="", editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    ai_summary = models.TextField(blank=True)
    story = models.ForeignKey(
        "Story", on_delete=models.SET_NULL, null=True, blank=True, related_name="articles"
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        help_text="a near-copy (syndicated or lightly edited) of that article",
    )

    class Meta:
        ordering = ["-sort_at", "-id"]
        indexes = [
            models.Index(fields=["-sort_at", "-id"], name="article_newest"),
            models.Index(fields=["source", "-sort_at", "-id"], name="article_source_newest"),
            models.Index(fields=["analysed_at", "sort_at", "id"], name="article_to_analyse"),
            # A story's timeline in index order, and its coverage by outlet from the index alone.
            models.Index(fields=["story", "sort_at", "id", "source"], name="article_story_timeline"),
            # Near-copies of an article. Partial: most articles are no copy, and with every row in
            # one (NULL) group SQLite's statistics made the plain foreign-key index look useless.
            models.Index(
                fields=["duplicate_of"],
                condition=models.Q(duplicate_of__isnull=False),
                name="article_copies",
            ),
            # The few developing articles, for the tick that lets the flag lapse (news/tasks.py).
            models.Index(
                fields=["updated_at", "sort_at"],
                condition=models.Q(developing=True),
                name="article_developing",
            ),
        ]

    objects = ArticleQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("news:article", args=[self.pk])

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sort_at = self.published_at or self.fetched_at
        self.excerpt = make_excerpt(self.text or self.summary)
        super().save(*args, **kwargs)


def make_excerpt(body: str, limit: int = 280) -> str:
    """The first words of an article, cut at a word, for lists."""
    body = " ".join(body.split())
    if len(body) <= limit:
        return body
    return body[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


class ArticleURL(models.Model):
    """Every URL an article was seen at (its canonical one too), so any of them finds it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="urls")
    url = models.URLField(max_length=2000, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.url


class FeedEntry(models.Model):
    """One item of one feed, as the feed lists it: its identity there and a hash of what it said last.

    The identity is the item's GUID, else its link, else its content (``FeedItem.key``), hashed: a
    changed link or title reaches the same article; an item equal to what was stored costs a hash
    comparison. ``listed`` goes false when the feed stops listing the item (the article is kept).
    """

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=64, help_text="SHA-256 of the item's GUID, else link, else content")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feed_entries")
    item_hash = models.CharField(max_length=64)
    listed = models.BooleanField(default=True, help_text="false: the feed no longer lists this item")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "key"], name="feed_entry_key")]
        verbose_name_plural = "feed entries"

    def __str__(self) -> str:
        return f"{self.feed_id}:{self.key[:12]}"


class ArticleVersion(models.Model):
    """An earlier title and text of an article, kept when an outlet changes it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    title = models.CharField(max_length=1000)
    text = models.TextField(blank=True)
    developing = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64, blank=True)
    valid_from = models.DateTimeField(help_text="when this version was first seen")
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-replaced_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} (until {self.replaced_at:%Y-%m-%d %H:%M})"


# ---------------------------------------------------------------------------------------------
# Enrichment: what the local enrichers found in each article, and the stories articles form.


class EntityKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    PLACE = "place", "Place"
    OTHER = "other", "Other"


class Entity(models.Model):
    """A person, organisation or place, merged across articles by canonical name and kind."""

    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=EntityKind.choices)
    key = models.CharField(max_length=300, help_text="casefolded, accent-folded name")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    article_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "kind"], name="entity_unique_key_kind")]
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("news:entity", args=[self.pk])


class ArticleEntity(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="article_entities")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="article_entities")
    mentions = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "entity"], name="article_entity_unique")]
        indexes = [models.Index(fields=["entity", "article"], name="entity_articles")]


class Tag(models.Model):
    """A hashtag; its slug is its address."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)

    def __str__(self) -> str:
        return f"#{self.name}"

    def get_absolute_url(self) -> str:
        return reverse("news:tag", args=[self.slug])


class ArticleTag(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="article_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="article_tags")
    rank = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rank"]
        constraints = [models.UniqueConstraint(fields=["article", "tag"], name="article_tag_unique")]
        indexes = [models.Index(fields=["tag", "article"], name="tag_articles")]


class Quote(models.Model):
    """A direct quote or reported statement, with its speaker when one is named."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="quotes")
    text = models.TextField()
    speaker = models.ForeignKey(
        Entity, on_delete=models.SET_NULL, null=True, blank=True, related_name="quotes"
    )
    speaker_name = models.CharField(max_length=300, blank=True)
    anonymous = models.BooleanField(default=False)
    speaker_description = models.CharField(max_length=300, blank=True)
    direct = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0, help_text="character offset in the article")

    class Meta:
        ordering = ["article", "position"]
        # A speaker's quotes by article, read from the index alone (the entity page's quote list).
        indexes = [models.Index(fields=["speaker", "article"], name="speaker_quotes")]

    def __str__(self) -> str:
        return f"{self.speaker_name or self.speaker_description or 'unknown'}: {self.text[:60]}"


class Attribution(models.Model):
    """An article relying on another outlet's report ("according to Politico")."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attributions")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="cited_by")
    cue = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "source"], name="attribution_unique")]


class Enrichment(models.Model):
    """One enricher's result for one article, with the enricher's version (for `reenrich`)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="enrichments")
    name = models.CharField(max_length=50)
    version = models.CharField(max_length=20)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "name"], name="enrichment_unique")]


class Story(models.Model):
    """The coverage of one event across outlets."""

    headline = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    first_published_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    article_count = models.PositiveIntegerField(default=0)
    source_count = models.PositiveIntegerField(default=0)
    developing = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # The online clusterer's label for this story: its own id for every story placed since labels
    # came from the database (see news/storydesk.py); older stories keep the label they had.
    cluster_label = models.BigIntegerField(null=True, blank=True, unique=True)

    class Meta:
        verbose_name_plural = "stories"
        indexes = [models.Index(fields=["-source_count", "-last_published_at"], name="story_top")]

    def __str__(self) -> str:
        return self.headline

    def get_absolute_url(self) -> str:
        return reverse("news:story", args=[self.pk])


class ArticleVector(models.Model):
    """An article's embedding, kept so the vector index and the clusterer can be rebuilt."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="vectors")
    embedder = models.CharField(max_length=100)
    vector = models.BinaryField(help_text="float32, little-endian")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "embedder"], name="article_vector_unique")]
