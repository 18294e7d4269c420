"""``{% feed_links %}``: the page's ``<link rel="alternate">`` feeds, in every page's head (base.html)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def feed_links(context: template.Context) -> SafeString:
    """The alternate links of the page being rendered (none until feeds out exist)."""
    del context
    return SafeString("")
