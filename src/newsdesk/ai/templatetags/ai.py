"""``{% load ai %}``: the AI features on the reader pages.

* ``{% story_briefing story %}``: the story's stored briefing, each sentence with links to the
  articles it rests on; two queries at most when a briefing is stored (it, and the story's version),
  one when none is. A missing or stale briefing is asked of the runner (``tasks.request``, throttled
  per story) when a model is configured; it is never written here.
* ``{% ask_box %}``, ``{% ask_box story=story %}``, ``{% ask_box article=article %}``: the question
  form (a GET to /ask/ without JavaScript; static/ai/ask.js streams the answer in place). No query.
* ``{% article_translation article request %}``: "Read in <language>" when the article is in
  another language than the reader's (one query for a signed-in reader, none otherwise).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from newsdesk.ai import answers, language, tasks
from newsdesk.ai.briefing import story_version
from newsdesk.ai.models import StoryBriefing
from newsdesk.ai.views import Cited, primary_language, reader_language, safe_language_name

register = template.Library()


@register.inclusion_tag("ai/_briefing.html")
def story_briefing(story: Any) -> dict[str, Any]:
    stored = StoryBriefing.objects.filter(story_id=story.pk).first()
    model = language.configured_model()
    stale = stored is not None and stored.version != story_version(story.pk)
    pending = False
    if (stored is None or stale) and model.can_generate:
        tasks.request("brief_story", str(story.pk), story_id=story.pk)
        pending = True
    sections = []
    cited = Cited()
    if stored is not None:
        for section in stored.sections if isinstance(stored.sections, list) else []:
            if not isinstance(section, dict):
                continue
            start = len(cited.sentences)
            for sentence in section.get("sentences") or []:
                if isinstance(sentence, dict):
                    found = sentence.get("citations") or []
                    cited.add(str(sentence.get("text", "")), [c for c in found if isinstance(c, dict)])
            sections.append(
                {
                    "key": section.get("key", ""),
                    "title": section.get("title", ""),
                    "quoted": bool(section.get("quoted")),
                    "sentences": cited.sentences[start:],
                }
            )
    return {
        "briefing": stored,
        "sections": sections,
        "sources": cited.sources,
        "stale": stale,
        "pending": pending,
        "how_to_turn_on": language.HOW_TO_TURN_ON if stored is None and not model.can_generate else "",
    }


@register.inclusion_tag("ai/_ask_box.html", takes_context=True)
def ask_box(
    context: template.Context, story: Any = None, article: Any = None, q: str = "", result: Any = None
) -> dict[str, Any]:
    return {
        "story": story,
        "article": article,
        "q": q or "",
        "result": result,
        "csrf_token": context.get("csrf_token"),
        "no_report": answers.NO_REPORT,
    }


@register.inclusion_tag("ai/_translation_link.html")
def article_translation(article: Any, request: Any = None) -> dict[str, Any]:
    written_in = primary_language(getattr(article, "language", "") or "")
    if not written_in:
        return {"show": False}
    reads, offer = reader_language(request)
    if not offer or primary_language(reads) == written_in:
        return {"show": False}
    href = reverse("ai:translation", args=[article.pk]) + "?" + urlencode({"to": reads})
    return {"show": True, "href": href, "name": safe_language_name(reads), "code": reads}
