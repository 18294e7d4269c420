"""Articles to search, made through the ORM so that the database's own triggers index them.

The outlets, readers, runner and article factory are the readers' tests' own (shared on purpose).
"""

from __future__ import annotations

from newsdesk.news.models import Tag
from tests.readers.conftest import (  # noqa: F401  (fixtures, shared on purpose)
    InlineRunner,
    MakeArticle,
    _fast_hashing,
    alice,
    bob,
    client_for,
    courier,
    herald,
    make_article,
    make_user,
    runner,
)

__all__ = ["InlineRunner", "MakeArticle", "hashtag"]


def hashtag(slug: str) -> Tag:
    tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": slug})
    return tag
