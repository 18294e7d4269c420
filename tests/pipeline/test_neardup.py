"""Tests of near-duplicate detection with MinHash LSH."""

from __future__ import annotations

import random

import pytest

from newsdesk.pipeline.neardup import DEFAULT_THRESHOLD, NearDuplicateIndex, jaccard, minhash, shingles

WIRE = """The Valdoria government declared a state of emergency on Tuesday after a magnitude 7.1 earthquake
struck off its southern coast, collapsing dozens of buildings in the port city of Emsley.
Rescue teams worked through the night to reach people trapped under the rubble of a market hall,
and the health ministry said at least 43 people had died and more than 200 were injured.
The quake was felt as far away as the capital, where office workers poured into the streets.
Officials warned of aftershocks and asked residents to stay away from damaged buildings.
The national weather service lifted a tsunami warning two hours after the main shock.
Neighbouring countries have offered search dogs, field hospitals and engineers to help."""

OTHER_REPORT = """Survivors in Emsley described the moment the ground began to shake as shoppers filled the old
market hall, which folded in on itself within seconds according to witnesses who escaped.
By Wednesday morning volunteers had joined soldiers digging by hand, and hospitals in the region
appealed for blood donors as the count of the dead rose past forty. Engineers flown in from
abroad began inspecting schools, while the prime minister promised money to rebuild the port."""


@pytest.fixture
def index() -> NearDuplicateIndex:
    built = NearDuplicateIndex()
    built.add("wire", WIRE)
    built.add("other", OTHER_REPORT)
    return built


def test_it_finds_a_lightly_edited_copy(index: NearDuplicateIndex) -> None:
    lines = WIRE.split("\n")
    edited = "\n".join(["By Staff Reporter", "EMSLEY (Agencies) - Here is what we know.", *lines[:-1]])
    edited = edited.replace("the night", "teh night")
    assert index.query(edited) == ["wire"]


def test_it_does_not_take_another_report_of_the_same_event(index: NearDuplicateIndex) -> None:
    assert jaccard(WIRE, OTHER_REPORT) < 0.05
    fresh = OTHER_REPORT.replace("Survivors", "People") + " Aid agencies said more help was on the way."
    assert "wire" not in index.query(fresh)


def test_it_forgets_and_replaces_texts(index: NearDuplicateIndex) -> None:
    index.remove("wire")
    assert index.query(WIRE) == [] and "wire" not in index
    index.add("other", WIRE)
    assert index.query(WIRE) == ["other"] and len(index) == 1


def test_it_skips_empty_texts() -> None:
    index = NearDuplicateIndex()
    index.add(1, "")
    assert len(index) == 0 and index.query("") == [] and shingles("   ") == set()


def test_it_rejects_a_threshold_out_of_range() -> None:
    assert 0 < DEFAULT_THRESHOLD < 1
    with pytest.raises(ValueError, match="threshold"):
        NearDuplicateIndex(threshold=0)


def test_it_finds_halved_copies_that_default_banding_misses() -> None:
    """Copies estimated at 0.45-0.55 (the first half of a text) are all found: the bands favour recall."""
    rng = random.Random(7)
    near_threshold = 0
    for _ in range(60):
        words = [f"w{rng.randrange(100_000)}" for _ in range(300)]
        text, copy = " ".join(words), " ".join(words[: round(300 * rng.uniform(0.45, 0.55))])
        if not 0.45 <= minhash(text).jaccard(minhash(copy)) <= 0.55:
            continue
        near_threshold += 1
        index = NearDuplicateIndex()
        index.add("original", text)
        assert index.query(copy) == ["original"]
    assert near_threshold >= 20
