"""Tests of online story clustering: joining, merging, splitting, labels and saved state."""

from __future__ import annotations

from dataclasses import replace
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


def test_a_story_cools_from_its_latest_article_a_headline_faster_than_a_text() -> None:
    config = ClusterConfig(
        join_threshold=0.7,
        text_join_threshold=0.7,
        size_penalty=0.0,
        merge_threshold=2.0,
        text_merge_threshold=2.0,
    )
    # Four articles of a day ago and one of now: the story is alive, however old most of it is.
    now = START + timedelta(hours=24)
    rows = [(f"old{n}", axis(0), 1, START) for n in range(4)] + [("recent", axis(0), 1, now)]
    clusterer = StoryClusterer.rebuild(rows, config=config)
    assert clusterer.add(item("new", "x", minutes=24 * 60 + 30), axis(0)) == 1

    # A burst of headlines six hours ago: a headline no longer meets it (0.5 ** (6 / 1.5) < 0.7);
    # an article with a body still does (0.5 ** (6 / 24) > 0.7).
    def burst() -> StoryClusterer:
        return StoryClusterer.rebuild([(f"b{n}", axis(1), 2, START) for n in range(3)], config=config)

    assert burst().add(item("headline", "x", minutes=6 * 60), axis(1)) != 2
    body = "Rescuers searched the rubble through the night. Officials said more aid would arrive."
    assert burst().add(item("text", "x", minutes=6 * 60, text=body), axis(1)) == 2


def test_a_story_covered_for_long_remembers_longer() -> None:
    config = ClusterConfig(join_threshold=0.6, size_penalty=0.0, merge_threshold=2.0)
    # Covered for twelve hours, its half-life is twelve hours: six hours later 0.5 ** 0.5 > 0.6.
    rows = [(f"c{n}", axis(0), 1, START + timedelta(hours=3 * n)) for n in range(5)]
    covered = StoryClusterer.rebuild(rows, config=config)
    assert covered.add(item("late", "x", minutes=18 * 60), axis(0)) == 1
    # The same words after a burst of the same size cool at 1.5 h: 0.5 ** 4 < 0.6.
    burst = StoryClusterer.rebuild([(f"b{n}", axis(0), 1, START) for n in range(5)], config=config)
    assert burst.add(item("late", "x", minutes=6 * 60), axis(0)) != 1
    # A text half-life caps the memory: a month of coverage does not keep a headline story open.
    capped = replace(config, text_half_life_hours=6.0)
    month = [(f"m{n}", axis(0), 1, START + timedelta(days=n)) for n in range(30)]
    long_story = StoryClusterer.rebuild(month, config=capped)
    assert long_story.add(item("after", "x", minutes=(29 * 24 + 12) * 60), axis(0)) != 1  # 0.5 ** 2


# --- time, language and kind --------------------------------------------------------------------


def test_a_story_stays_alive_while_its_articles_keep_coming_and_closes_after_a_gap() -> None:
    clusterer = StoryClusterer(config=ClusterConfig(window_hours=72, half_life_hours=0))
    first = clusterer.add(item("q1", HEADLINES[0][1]))
    # Every two days another report: the window runs from the latest one, so the story lives on.
    for day in (2, 4, 6):
        assert clusterer.add(item(f"q{day}", HEADLINES[2][1], minutes=day * 24 * 60)) == first
    # Four days after its latest article the story is closed: the same words start a new one.
    assert clusterer.add(item("late", HEADLINES[5][1], minutes=10 * 24 * 60)) != first


def test_an_archive_import_clusters_among_its_own_period() -> None:
    clusterer = StoryClusterer()
    now = clusterer.add(item("now", HEADLINES[0][1]))
    old = START - timedelta(days=3 * 365)
    quake = [HEADLINES[0][1], HEADLINES[2][1], HEADLINES[5][1]]
    archive = [
        StoryItem(f"a{n}", title, published_at=old + timedelta(hours=n)) for n, title in enumerate(quake)
    ]
    labels = [clusterer.add(entry) for entry in archive]
    assert len(set(labels)) == 1 and labels[0] != now  # together, and not with today's story
    assert clusterer.add(item("now2", HEADLINES[5][1], minutes=30)) == now


def test_stories_never_mix_languages_and_unknown_ones_stay_apart() -> None:
    clusterer = StoryClusterer()
    english = clusterer.add(StoryItem("en", HEADLINES[0][1], published_at=START, language="en-GB"))
    assert clusterer.add(StoryItem("pt", HEADLINES[2][1], published_at=START, language="pt")) != english
    unknown = clusterer.add(StoryItem("x", HEADLINES[5][1], published_at=START))
    assert unknown != english  # "apart": an unknown language is not taken for English
    assert clusterer.add(StoryItem("en2", HEADLINES[5][1], published_at=START, language="en")) == english
    # With the "join" policy an item of unknown language may join a story of any language.
    joining = StoryClusterer(config=ClusterConfig(language_policy="join"))
    english = joining.add(StoryItem("en", HEADLINES[0][1], published_at=START, language="en"))
    assert joining.add(StoryItem("x", HEADLINES[2][1], published_at=START)) == english


def test_a_multilingual_embedder_lets_languages_meet() -> None:
    class Multilingual(HashingEmbedder):
        multilingual = True

    clusterer = StoryClusterer(Multilingual())
    first = clusterer.add(StoryItem("en", HEADLINES[0][1], published_at=START, language="en"))
    assert clusterer.add(StoryItem("pt", HEADLINES[2][1], published_at=START, language="pt")) == first


def test_an_unknown_language_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="language_policy"):
        ClusterConfig(language_policy="sometimes")


def test_function_words_of_the_items_language_do_not_make_headlines_meet() -> None:
    clusterer = StoryClusterer()
    budget = "Governo de Portugal aprova o orçamento para a saúde em 2018"
    derby = "Benfica vence o Sporting na Luz com dois golos de Jonas em 2018"
    bare = clusterer.vectors([StoryItem(1, budget), StoryItem(2, derby)])
    known = clusterer.vectors([StoryItem(1, budget, language="pt"), StoryItem(2, derby, language="pt")])
    assert float(bare[0] @ bare[1]) >= clusterer.config.join_threshold  # "de", "o", "em" in common
    assert float(known[0] @ known[1]) < clusterer.config.join_threshold
    first = clusterer.add(StoryItem(1, budget, published_at=START, language="pt"))
    assert clusterer.add(StoryItem(2, derby, published_at=START, language="pt")) != first


def test_galleries_and_live_blogs_clear_a_higher_bar() -> None:
    config = ClusterConfig(join_threshold=0.5, merge_threshold=2.0, form_margin=0.2, split_min_size=1000)
    close = axis(0, 1, 1.2)  # cosine 0.64 with axis(0): over the join bar, under join + margin
    clusterer = StoryClusterer(config=config)
    story = clusterer.add(item("a", "x"), axis(0))
    assert clusterer.add(StoryItem("g", "x", published_at=START, kind="gallery"), close) != story
    assert clusterer.add(StoryItem("r", "x", published_at=START), axis(0, 2, 1.2)) == story
    # A report meets a story made only of galleries at the higher bar too.
    gallery = clusterer.add(StoryItem("g2", "y", published_at=START, kind="gallery"), axis(5))
    assert clusterer.add(StoryItem("r2", "y", published_at=START), axis(5, 6, 1.2)) != gallery


def test_two_galleries_do_not_meet_on_the_words_of_their_form() -> None:
    clusterer = StoryClusterer()
    yogis = clusterer.add(item("y", "Earth's ultimate yogis – in pictures"))
    moon = clusterer.add(item("m", "Super blue blood moon - in pictures", 5))
    assert yogis != moon


def test_restored_and_loaded_stories_keep_their_language(tmp_path: Path) -> None:
    rows = [("en1", axis(0), 1, START, "en", "article"), ("pt1", axis(3), 2, START, "pt", "article")]
    clusterer = StoryClusterer.rebuild(rows, config=ClusterConfig(join_threshold=0.5))
    assert clusterer.add(StoryItem("pt2", "x", published_at=START, language="pt"), axis(0)) != 1
    path = tmp_path / "stories.npz"
    clusterer.save(path)
    again = StoryClusterer.load(path)
    assert again.add(StoryItem("en2", "x", published_at=START, language="en"), axis(0)) == 1
    assert again.add(StoryItem("de1", "x", published_at=START, language="de"), axis(0)) not in (1, 2)
