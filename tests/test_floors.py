"""The quality floors CI enforces must exist and may only go up.

The minima below are a second record of each floor: lowering one takes editing both files,
in a commit that says why (never silently).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FLOORS = Path(__file__).resolve().parents[1] / "bench" / "floors.json"

MINIMA: dict[str, dict[str, float]] = {
    "extraction": {"f1": 0.926},
    "keyphrases": {"f10_validation": 0.20},
    "quotes": {"direct_speaker_f1": 0.79, "all_speaker_f1": 0.62},
    "entities": {
        "with_people_or_orgs": 0.95,
        "with_places": 0.85,
        "places_in_range": 1.0,
        "with_summary": 0.95,
    },
    "stories": {
        "uci_f1": 0.895,
        "uci_spread_f1": 0.77,
        "wikinews_f1": 0.735,
        "mixed_f1": 0.895,
        "mixed_feeds_f1": 0.945,
        "collide_feeds_f1": 0.945,
    },
    # Lowered from 0.7 in the commit that says why: a throughput ratio whose run-to-run spread is wider.
    "enrich": {"min_ratio_to_ner": 0.6},
    "search": {"known-item:hybrid:mrr": 0.95, "story:hybrid:mrr": 0.85},
    # Statement grouping (issue 11's targets: P >= 0.95, R >= 0.85).
    "statements": {"precision": 0.95, "recall": 0.85},
    "lineage": {"original_found": 0.97, "chain_parent": 0.98},
    # Every sentence the AI features show cites text that holds it (issue 13).
    "ai": {"citation_validity": 1.0},
}


@pytest.mark.parametrize("bench", sorted(MINIMA))
def test_it_keeps_every_floor_at_or_above_its_minimum(bench: str) -> None:
    floors = json.loads(FLOORS.read_text())
    assert bench in floors, f"bench/floors.json lost the {bench!r} floors"
    for key, minimum in MINIMA[bench].items():
        assert floors[bench][key] >= minimum, f"{bench}.{key} was lowered below {minimum}"


# Ceilings: counts that must stay at most this (a story mixing languages, a stale story).
MAXIMA: dict[str, dict[str, float]] = {
    # No answer to a question on an event the desk does not hold; no injected payload shown.
    "ai": {"max_absent_answered": 0, "max_payload_shown": 0},
    "stories": {"max_mixed_language_stories": 0, "max_stale_stories": 0},
    # The feed step's CPU beside lemon24/reader's in the same run (issue 9's targets).
    "feeds": {"max_first_ratio": 1.5, "max_unchanged_ratio": 1.0},
    # Cleaned bodies that still open or end with page furniture, and annotated text trimmed away.
    "boilerplate": {
        "feeds.opens_after": 0,
        "feeds.ends_after": 24,
        "pages_a.opens_after": 5,
        "pages_b.opens_after": 3,
        "pages_a.lost": 5,
        "pages_b.lost": 2,
    },
}


@pytest.mark.parametrize("bench", sorted(MAXIMA))
def test_it_keeps_every_ceiling_at_or_below_its_maximum(bench: str) -> None:
    floors = json.loads(FLOORS.read_text())
    for key, maximum in MAXIMA[bench].items():
        assert floors[bench][key] <= maximum, f"{bench}.{key} was raised above {maximum}"
