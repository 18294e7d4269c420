"""Signals other apps listen to (alerts, follows) without the news app knowing them."""

from django.dispatch import Signal

# Sent after an article's enrichment is stored: sender=Article, article=<Article>, created=<bool first time>.
article_enriched = Signal()

# Sent when a story gains an article or an article of it gets a new version:
# sender=Story, story=<Story>, article=<Article>, reason="new_article" | "new_version".
story_updated = Signal()
