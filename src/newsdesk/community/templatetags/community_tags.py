"""`{% comments_for target %}`: the whole comment section of an article or story, in one query."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models
from django.urls import reverse

from newsdesk.community.forms import CommentForm, FlagForm
from newsdesk.community.roles import can_post, display_name
from newsdesk.community.threads import load_thread, target_label

register = template.Library()


@register.inclusion_tag("community/_comments.html", takes_context=True)
def comments_for(context: template.Context, target: models.Model) -> dict[str, Any]:
    """The thread, the count, and the forms this viewer may use."""
    request = context["request"]
    user = request.user
    return {
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "messages": context.get("messages"),
        "target": target,
        "thread": load_thread(target, user),
        "can_post": can_post(user),
        "form": CommentForm(),
        "flag_form": FlagForm(),
        "post_url": reverse("community:post", args=[target_label(target), target.pk]),
    }


@register.filter
def shown_name(user: Any) -> str:
    """A reader's display name (never their email)."""
    return display_name(user)
