"""``{% load story_changes %}{% story_changes story %}``: the story page's "Since you last read" section.

For a signed-in reader who read one of the story's articles or follows it (news.changes.last_read),
what changed since (news.changes.story_changes), in news/_story_changes.html; nothing for anyone
else, or when nothing changed. A fixed number of queries: two for the last-read moment, five at most
for the changes.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from newsdesk.news.changes import last_read, story_changes
from newsdesk.news.models import Story

register = template.Library()

_MARK = "999999999"


@register.inclusion_tag("news/_story_changes.html", takes_context=True, name="story_changes")
def story_changes_section(context: template.Context, story: Story) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    since = last_read(user, story)
    if since is None:
        return {"changes": None}
    changes = story_changes(story, since)
    head, tail = reverse("news:article", args=[int(_MARK)]).split(_MARK)
    return {
        "changes": changes if changes else None,
        "since": since,
        "article_head": head,
        "article_tail": tail,
    }
