"""Tests of online story clustering: joining, merging, splitting, labels and saved state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from newsdesk.pipeline.embed import HashingEmbedder
from newsdesk.pipeline.stories import ClusterConfig, StoryClusterer, StoryItem

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DIMENSIONS = HashingEmbedder.dimensions

HEADLINES = [
    ("q1", "Magnitude 7.1 earthquake hits Valdoria coast, buildings collapse in Emsley"),
    ("e1", "Maria Kestrel wins Norland election, set to become prime minister"),
    ("q2", "Valdoria earthquake: rescuers search collapsed buildings in Emsley"),
    ("e2", "Norland election: Kestrel claims victory as rival concedes"),
    ("x1", "Zoo celebrates birth of twin red pandas"),
    ("q3", "Death toll from Valdoria earthquake rises as Emsley digs out"),
    ("e3", "Kestrel to name Norland cabinet after election win"),
]


def item(item_id: str, title: str, minutes: int = 0, text: str = "") -> StoryItem:
    return StoryItem(item_id, title, text, START + timedelta(minutes=minutes), "outlet")


def axis(index: int, tilt: int | None = None, amount: float = 0.0) -> np.ndarray:
    """A unit vector along ``index``, optionally tilted towards ``tilt``."""
    vec = np.zeros(DIMENSIONS, dtype=np.float32)
    vec[index] = 1.0
    if tilt is not None:
        vec[tilt] = amount
    return vec / np.linalg.norm(vec)


@pytest.fixture
def clustered() -> StoryClusterer:
    clusterer = StoryClusterer()
    for minute, (item_id, title) in enumerate(HEADLINES):
        clusterer.add(item(item_id, title, minute * 10))
    return clusterer


def test_it_groups_two_events_and_keeps_the_unrelated_apart(clustered: StoryClusterer) -> None:
    labels = clustered.labels()
    assert labels["q1"] == labels["q2"] == labels["q3"]
    assert labels["e1"] == labels["e2"] == labels["e3"]
    assert len({labels["q1"], labels["e1"], labels["x1"]}) == 3
    assert len(clustered.stories()) == 3 and len(clustered) == 7


def test_it_works_on_full_texts_and_headline_only_items_together() -> None:
    clusterer = StoryClusterer()
    body = "Rescue teams in Emsley searched collapsed buildings after the Valdoria earthquake on Tuesday."
    first = clusterer.add(item("a", "Earthquake strikes Valdoria", 0, body))
    assert clusterer.add(item("b", "Valdoria earthquake: Emsley buildings collapse", 5)) == first
    assert clusterer.add(item("c", "", 9, body + " Aid is arriving.")) == first


def test_it_starts_a_new_story_outside_the_time_window() -> None:
    clusterer = StoryClusterer(config=ClusterConfig(window_hours=24))
    first = clusterer.add(item("a", HEADLINES[0][1]))
    later = clusterer.add(item("b", HEADLINES[2][1], minutes=3 * 24 * 60))
    assert later != first


def test_it_refuses_an_item_twice(clustered: StoryClusterer) -> None:
    with pytest.raises(ValueError, match="already added"):
        clustered.add(item("q1", "again"))


def test_it_merges_stories_whose_centroids_meet_and_old_labels_resolve() -> None:
    config = ClusterConfig(join_threshold=0.5, merge_threshold=0.6, split_min_size=1000)
    clusterer = StoryClusterer(config=config)
    story_a = clusterer.add(item("a", "a"), axis(0))
    story_b = clusterer.add(item("b", "b"), axis(1))
    assert story_a != story_b
    bridging = axis(0, 1, 1.0)  # halfway: joins a, and drags its centroid towards b
    for n in range(5):
        joined = clusterer.add(item(f"m{n}", "m"), bridging)
    assert joined == story_a
    assert clusterer.resolve(story_b) == story_a
    assert set(clusterer.labels().values()) == {story_a}


def test_it_splits_a_story_made_of_two_separate_groups() -> None:
    config = ClusterConfig(join_threshold=-1.0, merge_threshold=0.9, split_min_size=8)
    clusterer = StoryClusterer(config=config)
    for n in range(8):
        clusterer.add(item(f"i{n}", "x", n), axis(n % 2, 2 + n, 0.05))
    labels = clusterer.labels()
    evens = {labels[f"i{n}"] for n in range(0, 8, 2)}
    odds = {labels[f"i{n}"] for n in range(1, 8, 2)}
    assert len(evens) == len(odds) == 1 and evens != odds


def test_it_does_not_split_a_coherent_story() -> None:
    config = ClusterConfig(join_threshold=-1.0, split_min_size=8)
    clusterer = StoryClusterer(config=config)
    for n in range(16):
        clusterer.add(item(f"i{n}", "x", n), axis(0, 1 + n, 0.3))
    assert len(clusterer.stories()) == 1


def test_it_saves_and_loads_its_state(clustered: StoryClusterer, tmp_path: Path) -> None:
    path = tmp_path / "stories.npz"
    clustered.save(path)
    again = StoryClusterer.load(path)
    assert again.labels() == clustered.labels()
    label = again.add(item("q4", "Valdoria earthquake: aftershock rattles Emsley", 80))
    assert label == clustered.labels()["q1"]


def test_it_rebuilds_from_stored_rows(clustered: StoryClusterer) -> None:
    embedder = HashingEmbedder()
    labels = clustered.labels()
    titles = dict(HEADLINES)
    rows = [
        (key, clustered.vector(item(key, titles[key])), story, START.timestamp())
        for key, story in labels.items()
    ]
    again = StoryClusterer.rebuild(rows, embedder)
    assert again.labels() == labels
    assert again.add(item("e4", "Norland election result: Kestrel sworn in", 90)) == labels["e1"]


def test_it_prefers_the_smaller_of_two_equally_close_stories() -> None:
    config = ClusterConfig(join_threshold=0.5, merge_threshold=2.0, split_min_size=1000)
    rows = [(f"big{n}", axis(0), 1, START) for n in range(8)] + [("small", axis(0), 2, START)]
    clusterer = StoryClusterer.rebuild(rows, config=config)
    assert clusterer.add(item("new", "x"), axis(0)) == 2  # 8 members cost log2(8) * 0.02 more


def test_it_ages_a_story_by_the_mean_time_of_its_articles() -> None:
    # Four articles of a day ago and one bridging article of now: the story is still mostly old.
    config = ClusterConfig(join_threshold=0.7, size_penalty=0.0, merge_threshold=2.0)
    now = START + timedelta(hours=24)
    rows = [(f"old{n}", axis(0), 1, START) for n in range(4)] + [("bridge", axis(0), 1, now)]
    clusterer = StoryClusterer.rebuild(rows, config=config)
    assert clusterer.add(item("new", "x", minutes=24 * 60), axis(0)) != 1  # 0.5 ** (19.2 / 24) < 0.7
    fresh = StoryClusterer.rebuild([(f"n{n}", axis(0), 1, now) for n in range(5)], config=config)
    assert fresh.add(item("new", "x", minutes=24 * 60), axis(0)) == 1
