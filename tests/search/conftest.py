"""Articles to search, made through the ORM so that the database's own triggers index them.

The outlets and the article factory are the readers' tests' own (shared on purpose).
"""

from __future__ import annotations

from newsdesk.news.models import Tag
from tests.readers.conftest import MakeArticle, courier, herald, make_article  # noqa: F401

__all__ = ["MakeArticle", "hashtag"]


def hashtag(slug: str) -> Tag:
    tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": slug})
    return tag
