"""Near-duplicate articles: syndicated and lightly edited copies of one text (MinHash LSH).

Each text becomes the set of its word 5-shingles (normalised as ``dedupe.normalise_text`` does),
sketched with a 128-permutation MinHash; ``MinHashLSH`` finds candidates whose estimated Jaccard
similarity passes ``threshold``, and each candidate is checked against the estimate.

The threshold was measured (see the MEASUREMENT block, reproduced by ``python -m
newsdesk.pipeline.neardup``): on the 581 full-text articles of the wikinews event set, edited copies
of an article (a new intro line, another byline, typo fixes, the last paragraph trimmed, and all of
these at once) against every other article of the same event (same facts, other words).

MEASUREMENT (articles of >= 50 words; estimated Jaccard of 5-shingle sets, 128 permutations)
    edited copies (3,275: five kinds of edit each)   min 0.24  5th pct 0.66  median 0.95
    same-event pairs (1,470)                         median 0.00  99th pct 0.11  max 0.93
    threshold  copies found  same-event pairs taken
      0.3        99.9%         0.14% (2)
      0.4        99.6%         0.14% (2)
      0.5        98.6%         0.14% (2)
      0.6        96.8%         0.07% (1)
    The two same-event pairs above 0.3 are true copies, not different reports: a Human Rights Watch
    release republished by the Huffington Post (0.93) and two Reuters updates of one story (0.52).
    Different reports of one event top out at 0.28. The copies under 0.4 are short texts (about 50
    words) where six typo fixes touch most shingles. Hence 0.4.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable

from datasketch import MinHash, MinHashLSH

from newsdesk.pipeline.dedupe import normalise_text

DEFAULT_THRESHOLD = 0.4
NUM_PERM = 128
#: MinHashLSH's (false positive, false negative) weights when it picks its bands: recall first, since
#: every candidate's estimate is checked against the threshold anyway. The default, (0.5, 0.5), bands
#: 32 x 4 and misses about a quarter of the pairs estimated at 0.45; (0.1, 0.9) bands 42 x 3 and
#: misses 2%. On the 655 wikinews texts (>= 50 words) the edited copies found went 3,253 -> 3,262 of
#: 3,275 (none left to the banding) and the pairs kept among the texts stayed the same four; the
#: candidates to check went 8 -> 22.
LSH_WEIGHTS = (0.1, 0.9)
SHINGLE_WORDS = 5
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The set of ``size``-word shingles of ``text`` (the whole text when it is shorter)."""
    words = _WORD.findall(normalise_text(text))
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def minhash(text: str, num_perm: int = NUM_PERM) -> MinHash:
    """The MinHash sketch of ``text``'s shingles."""
    sketch = MinHash(num_perm=num_perm, seed=1)
    sketch.update_batch([s.encode("utf-8") for s in shingles(text)])
    return sketch


class NearDuplicateIndex:
    """Texts by id; ``query`` finds the ids whose text is a near-copy of a new one."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, num_perm: int = NUM_PERM) -> None:
        """Raises ValueError when ``threshold`` is not within (0, 1]."""
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be within (0, 1]")
        self.threshold = threshold
        self.num_perm = num_perm
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
        self._sketches: dict[Hashable, MinHash] = {}

    def add(self, item_id: Hashable, text: str) -> None:
        """Index ``text`` under ``item_id`` (replacing an earlier text of that id); empty texts are skipped."""
        self.remove(item_id)
        if not shingles(text):
            return
        sketch = minhash(text, self.num_perm)
        self._lsh.insert(item_id, sketch)
        self._sketches[item_id] = sketch

    def remove(self, item_id: Hashable) -> None:
        """Forget ``item_id``; unknown ids are ignored."""
        if self._sketches.pop(item_id, None) is not None:
            self._lsh.remove(item_id)

    def query(self, text: str) -> list[Hashable]:
        """Ids of indexed texts that are near-copies of ``text``, most similar first."""
        if not shingles(text):
            return []
        return [item for item, _ in self.similar(minhash(text, self.num_perm))]

    def similar(self, sketch: MinHash) -> list[tuple[Hashable, float]]:
        """(id, estimated Jaccard) of indexed texts at or above the threshold, most similar first."""
        found = [(item, self._sketches[item].jaccard(sketch)) for item in self._lsh.query(sketch)]
        # LSH finds candidates by banding; the estimate itself decides.
        kept = [(item, score) for item, score in found if score >= self.threshold]
        return sorted(kept, key=lambda pair: -pair[1])

    def __len__(self) -> int:
        return len(self._sketches)

    def __contains__(self, item_id: Hashable) -> bool:
        return item_id in self._sketches


def jaccard(first: str, second: str) -> float:
    """Exact Jaccard similarity of two texts' shingle sets (0 when both are empty)."""
    a, b = shingles(first), shingles(second)
    return len(a & b) / len(a | b) if a or b else 0.0


def _edited_copies(text: str) -> dict[str, str]:
    """Lightly edited versions of ``text`` the way syndication and copy desks change wire copy."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    intro = "This article was originally published by a partner news agency and is republished here."
    byline = "By Staff Reporter, Our Correspondent"
    typos = {"the": "teh", "and": "adn", "with": "wiht"}
    fixed = re.sub(r"\b(the|and|with)\b", lambda m: typos[m.group()], text, count=6)
    # A trimmed copy drops a closing paragraph, as long as that paragraph is not most of the text.
    last = paragraphs[-1] if len(paragraphs) > 1 else ""
    trimmed = "\n".join(paragraphs[:-1]) if last and len(last) < len(text) / 4 else text
    return {
        "intro": f"{intro}\n{text}",
        "byline": f"{byline}\n{text}",
        "typos": fixed,
        "trimmed": trimmed,
        "all": "\n".join(
            [intro, byline, re.sub(r"\b(the|and|with)\b", lambda m: typos[m.group()], trimmed, count=6)]
        ),
    }


def measure(rows: Iterable[tuple[str, str]], num_perm: int = NUM_PERM) -> dict[str, list[float]]:
    """Estimated Jaccard of edited copies and of same-event pairs, from (event id, text) rows."""
    events: dict[str, list[MinHash]] = {}
    copies: list[float] = []
    for event, text in rows:
        if len(text.split()) < 50:  # stubs and captions say nothing about copy editing
            continue
        sketch = minhash(text, num_perm)
        copies.extend(sketch.jaccard(minhash(edit, num_perm)) for edit in _edited_copies(text).values())
        events.setdefault(event, []).append(sketch)
    same_event = [
        members[i].jaccard(members[j])
        for members in events.values()
        for i in range(len(members))
        for j in range(i + 1, len(members))
    ]
    return {"edited_copy": copies, "same_event": same_event}


if __name__ == "__main__":  # python -m newsdesk.pipeline.neardup [articles.jsonl]
    import json
    import sys
    from pathlib import Path

    import numpy as np

    from newsdesk import shared_data

    source = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else shared_data.require("clustering-wikinews-events", "articles.jsonl")
    )
    with open(source, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    scores = measure((r["event_id"], r["text"]) for r in records)
    edited, same = np.array(scores["edited_copy"]), np.array(scores["same_event"])
    print(
        f"edited copies  n={len(edited)} min={edited.min():.2f} p5={np.quantile(edited, 0.05):.2f} median={np.median(edited):.2f}"
    )
    print(
        f"same event     n={len(same)} max={same.max():.2f} p99={np.quantile(same, 0.99):.2f} median={np.median(same):.2f}"
    )
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        print(
            f"threshold {threshold}: copies found {np.mean(edited >= threshold):.3f}, same-event taken {np.mean(same >= threshold):.4f}"
        )
