"""``{% feed_links %}``: the page's ``<link rel="alternate">`` feeds, in every page's head (base.html).

Which feeds a page has comes from the URL it answers (``request.resolver_match``): the home page
has the latest articles, a hashtag, entity, outlet or story page its own feed, an article page
its story's; every page also offers the latest articles. Each feed is offered as RSS and Atom.
The title names the page's object when the page's context holds it (no query of its own).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

MIME = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
LABEL = {"rss": "RSS", "atom": "Atom"}

#: A page's URL name -> (feed kind, the path keyword the feed takes, the context object naming it).
PAGE_FEEDS: dict[str, tuple[str, str, str]] = {
    "news:tag": ("tag", "slug", "tag"),
    "news:entity": ("entity", "entity_id", "entity"),
    "news:source": ("source", "source_id", "source"),
    "news:story": ("story", "story_id", "story"),
}


def _title(obj: Any, kind: str) -> str:
    if obj is None:
        return f"this {kind}"
    return str(getattr(obj, "headline", None) or obj)


def page_feeds(match: Any, context: template.Context) -> list[tuple[str, dict[str, Any], str]]:
    """(feed kind, its URL keywords, its title) for the page ``match`` resolved, latest last."""
    feeds: list[tuple[str, dict[str, Any], str]] = []
    name = match.view_name if match else ""
    if name in PAGE_FEEDS:
        kind, keyword, context_name = PAGE_FEEDS[name]
        if keyword in match.kwargs:
            feeds.append((kind, {keyword: match.kwargs[keyword]}, _title(context.get(context_name), kind)))
    elif name == "news:article":
        article = context.get("article")
        story_id = getattr(article, "story_id", None)
        if story_id:
            feeds.append(("story", {"story_id": story_id}, _title(getattr(article, "story", None), "story")))
    feeds.append(("latest", {}, "Newsdesk: latest articles"))
    return feeds


@register.simple_tag(takes_context=True)
def feed_links(context: template.Context) -> SafeString:
    """The alternate links of the page being rendered, RSS then Atom for each of its feeds."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    links = []
    for kind, kwargs, title in page_feeds(match, context):
        for fmt in ("rss", "atom"):
            try:
                href = reverse(f"syndication:{kind}_{fmt}", kwargs=kwargs)
            except NoReverseMatch:  # a path value this feed's route does not take
                continue
            links.append((MIME[fmt], f"{title} ({LABEL[fmt]})", href))
    return format_html_join(
        "\n  ", '<link rel="alternate" type="{}" title="{}" href="{}">', links
    ) or format_html("")
