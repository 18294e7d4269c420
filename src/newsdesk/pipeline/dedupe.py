"""Fingerprints that tell when two articles carry the same text."""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["content_hash", "normalise_text"]

# Two extractions of one article differ in typography more than in words: curly against straight
# quotes, en dashes, invisible soft hyphens. These are folded so they do not change the hash.
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\u200c": None,  # zero-width non-joiner
        "\u200d": None,  # zero-width joiner
        "\u2060": None,  # word joiner
        "\ufeff": None,  # byte order mark
    }
)
_WHITESPACE = re.compile(r"\s+")


def normalise_text(s: str) -> str:
    """Return ``s`` with Unicode compatibility forms, case, typography and whitespace folded."""
    s = unicodedata.normalize("NFKC", s).translate(_TYPOGRAPHY).casefold()
    return _WHITESPACE.sub(" ", s).strip()


def content_hash(title: str, text: str) -> str:
    """Return the SHA-256 hex digest of the normalised text, or of the title when there is no text.

    The title is left out when there is text because outlets retitle a story (and A/B test
    headlines) without changing its body. With neither, the digest of the empty string comes back.
    """
    body = normalise_text(text) or normalise_text(title)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
