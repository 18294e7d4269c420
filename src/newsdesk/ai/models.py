"""What the language model wrote, kept apart from the enrichment tables.

Nothing here is a fact about an article: a briefing or a translation is the model's text, shown
labelled as machine-made, each briefing sentence with the stored sentences it rests on. Rows are
regenerated, never edited; deleting them loses nothing an outlet published or a reader wrote.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class StoryBriefing(models.Model):
    """A story's briefing for one version of its coverage (``version``: see briefing.story_version)."""

    story = models.OneToOneField("news.Story", on_delete=models.CASCADE, related_name="briefing")
    version = models.CharField(max_length=64)
    model_id = models.CharField(max_length=200)
    # [{"title": ..., "sentences": [{"text", "quoted", "citations": [{"article_id", "text"}]}]}]
    sections = models.JSONField(default=list)
    seconds = models.FloatField(default=0.0, help_text="time the model took")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"briefing of story {self.story_id}"


class ArticleTranslation(models.Model):
    """A machine translation of one version of an article (``content_hash``) into one language."""

    article = models.ForeignKey("news.Article", on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8)
    content_hash = models.CharField(max_length=64)
    model_id = models.CharField(max_length=200)
    title = models.TextField(blank=True)
    paragraphs = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="article_translation_unique")
        ]

    def __str__(self) -> str:
        return f"article {self.article_id} in {self.language}"


class ReaderLanguage(models.Model):
    """The language a reader reads articles in (translation's target); absent: the browser's."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=8)
    translate = models.BooleanField(default=True, help_text="offer translation of other languages")
