"""`{% reader_actions article %}` and `{% follow_button thing %}`: the reader's buttons on others' pages.

Both cost nothing for anonymous visitors, and a fixed few queries for a signed-in reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.db import models

from newsdesk.news.models import Article
from newsdesk.readers import reading
from newsdesk.readers.models import FollowKind, SavedArticle

register = template.Library()


@dataclass(frozen=True)
class Followable:
    """One follow button: what it follows, how it is labelled, and whether it is followed already."""

    kind: str
    pk: int
    label: str
    following: bool


def _followables(user: Any, targets: list[tuple[models.Model, str]]) -> list[Followable]:
    followed = reading.followed_keys(user, [target for target, _ in targets])
    buttons = []
    for target, label in targets:
        kind = reading.follow_kind_of(target)
        buttons.append(Followable(kind, int(target.pk), label, (kind, target.pk) in followed))
    return buttons


def _article_targets(article: Article, context: template.Context) -> list[tuple[models.Model, str]]:
    """The outlet, the story, and the hashtags, people and places the article page already loaded."""
    targets: list[tuple[models.Model, str]] = [(article.source, article.source.name)]
    if article.story_id and article.story is not None:
        targets.append((article.story, "this story"))
    targets += [(tag, f"#{tag.name}") for tag in context.get("tags") or []]
    targets += [(person, person.name) for person in context.get("people") or []]
    targets += [(place, place.name) for place in context.get("places") or []]
    return targets


@register.inclusion_tag("readers/_actions.html", takes_context=True)
def reader_actions(context: template.Context, article: Article) -> dict[str, Any]:
    """Save, mark unread, follow: opening the page as a signed-in reader marks the article read."""
    request = context["request"]
    user = request.user
    base = {"article": article, "request": request, "user": user, "csrf_token": context.get("csrf_token")}
    if not user.is_authenticated:
        return base
    # Rendering the page is the moment the reader opens it; the news view need not know readers exist.
    # The service worker's copy of a saved article for offline reading (news/pwa.py) is no opening.
    if request.headers.get("X-Newsdesk-Purpose") != "offline":
        reading.mark_opened(user, article)
    buttons = _followables(user, _article_targets(article, context))
    main = [b for b in buttons if b.kind in (FollowKind.SOURCE, FollowKind.STORY)]
    return {
        **base,
        "saved": SavedArticle.objects.filter(user=user, article=article).exists(),
        "main_follows": main,
        "more_follows": [b for b in buttons if b not in main],
    }


@register.inclusion_tag("readers/_follow_buttons.html", takes_context=True)
def follow_button(context: template.Context, target: models.Model, feeds: Any = None) -> dict[str, Any]:
    """A follow button for an outlet (and its feeds), a feed, a hashtag, a person or place, or a story."""
    request = context["request"]
    user = request.user
    base = {"request": request, "user": user, "csrf_token": context.get("csrf_token"), "target": target}
    if not user.is_authenticated:
        return base
    targets: list[tuple[models.Model, str]] = [(target, str(target))]
    # Iterating the page's own feeds queryset fills its cache, so the feed table costs nothing more.
    targets += [(feed, f"feed {feed}") for feed in (feeds if feeds is not None and len(feeds) > 1 else [])]
    buttons = _followables(user, targets)
    return {**base, "buttons": buttons, "alert": _alert_link(target)}


def _alert_link(target: models.Model) -> str:
    """Query string of the new-alert form for this thing (None for things alerts do not cover)."""
    from urllib.parse import urlencode

    from newsdesk.news.models import Entity, Source, Tag

    if isinstance(target, Tag):
        return urlencode({"kind": "tag", "tag_name": target.slug})
    if isinstance(target, Entity):
        return urlencode({"kind": "entity", "entity_name": target.name})
    if isinstance(target, Source):
        return urlencode({"kind": "source", "source_name": target.domain})
    return ""
