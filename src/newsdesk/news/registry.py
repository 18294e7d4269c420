"""The shipped registry of outlets, copied into Source rows so the admin can edit them."""

from __future__ import annotations

from typing import Any


def seed_sources(**_: Any) -> int:
    """Create a Source for every registry outlet not yet in the database; edits are never overwritten."""
    from newsdesk.news.models import Source
    from newsdesk.news.store import new_source
    from newsdesk.pipeline.outlets import load_outlets

    known = set(Source.objects.values_list("domain", flat=True))
    fresh = [new_source(fact) for fact in load_outlets() if fact.domain not in known]
    Source.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)
