"""Template tags for cached pictures: ``{% load images %}``.

``{% image_src url 320 as src %}`` gives the local address of ``url``'s picture 320 pixels wide,
or "" when there is no URL, the picture is not cached (yet) or it failed: a page never shows a
broken picture nor one from a third party. The value also carries the variant's ``width`` and
``height`` (``{{ src.width }}``, ``{{ src.height }}``; "" when there is no picture), for the
``<img>`` attributes that keep the layout from jumping while it loads::

    {% load images %}{% image_src story_image_url 320 as src %}
    {% if src %}<img src="{{ src }}" width="{{ src.width }}" height="{{ src.height }}" alt="">{% endif %}

``{% image_srcset url %}`` gives a ``srcset`` of every allowed width up to the picture's own
(``/img/k/160/ 160w, /img/k/320/ 320w, ...``), "" likewise; ``{% image_sizes %}`` a default
``sizes``. Each tag reads one small file per picture and fetches nothing.
"""

from __future__ import annotations

from django import template

from newsdesk.news.images import ALLOWED_WIDTHS, fit_width, lookup

register = template.Library()

DEFAULT_SIZES = "(max-width: 600px) 100vw, 320px"


class ImageSrc(str):
    """A picture's address (a str, so ``{{ src }}`` and ``{% if src %}`` work) with its variant's size."""

    width: int | str
    height: int | str

    def __new__(cls, address: str = "", width: int | str = "", height: int | str = "") -> ImageSrc:
        value = super().__new__(cls, address)
        value.width = width
        value.height = height
        return value


NO_IMAGE = ImageSrc()


@register.simple_tag
def image_src(url: str | None, width: int | str = 320) -> ImageSrc:
    """The local address of ``url``'s cached picture ``width`` pixels wide (fitted to an allowed
    width), with ``.width`` and ``.height``; "" when there is none."""
    cached = lookup(url)
    if cached is None:
        return NO_IMAGE
    try:
        wanted = fit_width(int(width))
    except (TypeError, ValueError):
        return NO_IMAGE
    if not cached.file(wanted).is_file():  # removed by eviction since
        return NO_IMAGE
    shown_width, shown_height = cached.size(wanted)
    return ImageSrc(cached.path(wanted), shown_width, shown_height)


@register.simple_tag
def image_srcset(url: str | None) -> str:
    """A ``srcset`` of ``url``'s cached picture at each allowed width it has; "" when there is none."""
    cached = lookup(url)
    if cached is None:
        return ""
    parts: list[str] = []
    for allowed in ALLOWED_WIDTHS:
        shown_width, _ = cached.size(allowed)
        parts.append(f"{cached.path(allowed)} {shown_width}w")
        if allowed >= cached.width:
            break  # wider variants are this same picture
    return ", ".join(parts)


@register.simple_tag
def image_sizes(sizes: str = DEFAULT_SIZES) -> str:
    """The ``sizes`` attribute to go with ``image_srcset``: full width on phones, else 320 px."""
    return sizes
