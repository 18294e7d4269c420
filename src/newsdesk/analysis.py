"""Research commands without a database: analyze article files, cluster a JSON-lines stream.

They use the same enrichers and the same online clusterer as the running desk.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsdesk.desk import config
from newsdesk.pipeline.developing import is_developing
from newsdesk.pipeline.enrich.base import Document, Enricher, resolve_order, run_enrichers
from newsdesk.pipeline.errors import PipelineError
from newsdesk.pipeline.extract import extract
from newsdesk.pipeline.feeds import looks_like_html

# A first line this short, followed by a blank line, is the headline of a plain-text article.
TITLE_MAX_CHARS = 200


def enrichers_from_settings() -> list[Enricher]:
    """The configured enrichers; raises ConfigError or UnknownEnricher naming the problem."""
    names = config.current().enrichers
    return [cls() for cls in resolve_order(names)]


def read_document(raw: str) -> Document:
    """A Document from a file path (or "-" for stdin), HTML or plain text; raises OSError or PipelineError."""
    content = sys.stdin.buffer.read() if raw == "-" else Path(raw).read_bytes()
    if looks_like_html(content[:4096]):
        page = extract(content, None)
        return Document(title=page.title or "", text=page.text, id=raw, language=page.language)
    text = content.decode("utf-8", errors="replace").replace("\r\n", "\n").strip()
    head, _, rest = text.partition("\n\n")
    if rest and "\n" not in head and len(head) <= TITLE_MAX_CHARS:
        return Document(title=head.strip(), text=rest.strip(), id=raw)
    return Document(title="", text=text, id=raw)


def analysis_record(raw: str, doc: Document) -> dict[str, Any]:
    """The JSON record `newsdesk analyze` prints for one input."""
    results = doc.results
    return {
        "input": raw,
        "hashtags": list(results.get("hashtags") or []),
        "keyphrases": list(results.get("keyphrases") or []),
        "entities": [{"name": e["name"], "kind": e["kind"]} for e in results.get("entities") or []],
        "places": [
            {"name": p["name"], "lat": p.get("lat"), "lon": p.get("lon"), "country": p.get("country")}
            for p in results.get("places") or []
        ],
        # Direct quotes (in quote marks) apart from reported speech (no quote marks).
        "quotes": [_quote(q) for q in results.get("quotes") or [] if q.get("direct", True)],
        "reported": [_quote(q) for q in results.get("quotes") or [] if not q.get("direct", True)],
        "attributions": [{"outlet": a["outlet"]} for a in results.get("attributions") or []],
        "summary": results.get("summary") or "",
        "developing": is_developing(doc.title, doc.text),
        "language": doc.language,
        "analyses": {"ran": list(doc.ran), "skipped": dict(doc.skipped)},
    }


def _quote(q: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": q["text"],
        "speaker": q.get("speaker"),
        "speaker_kind": q.get("speaker_kind"),
        "speaker_country": q.get("speaker_country"),
        "anonymous": bool(q.get("anonymous")),
        "speaker_description": q.get("speaker_description"),
    }


def analyze_inputs(
    inputs: Sequence[str], *, batch_size: int = 32, progress: bool = False
) -> Iterator[dict[str, Any]]:
    """Analyze every input in one process, in batches; a bad input yields {"input", "error"}."""
    enrichers = enrichers_from_settings()
    for start in range(0, len(inputs), batch_size):
        batch: list[tuple[str, Document]] = []
        failures: dict[str, str] = {}
        for raw in inputs[start : start + batch_size]:
            try:
                batch.append((raw, read_document(raw)))
            except OSError as error:
                failures[raw] = f"cannot read: {error.strerror or error}"
            except PipelineError as error:
                failures[raw] = str(error)
        run_enrichers([doc for _, doc in batch], enrichers)
        done = dict(batch)
        for raw in inputs[start : start + batch_size]:
            if raw in failures:
                yield {"input": raw, "error": failures[raw]}
            else:
                yield analysis_record(raw, done[raw])


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time or epoch seconds/milliseconds from a JSON line; None when absent."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_stream(path: Path | None) -> list[dict[str, Any]]:
    """JSON lines of articles; raises ValueError naming the line of a bad one."""
    handle = sys.stdin if path is None else path.open(encoding="utf-8")
    rows = []
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"line {number} is not JSON: {error.msg}") from None
            if not isinstance(row, dict) or "id" not in row or not (row.get("title") or row.get("text")):
                raise ValueError(f"line {number} needs an id and a title or text")
            rows.append(row)
    return rows


def cluster_jsonl(path: Path | None) -> dict[str, int]:
    """Story labels for a JSON-lines stream, placed one by one in time order (file order for ties or undated items)."""
    from newsdesk.pipeline.embed import get_embedder
    from newsdesk.pipeline.stories import StoryClusterer, StoryItem

    rows = read_stream(path)
    try:
        timed = [(parse_time(row.get("published_at")), index, row) for index, row in enumerate(rows)]
    except ValueError as error:
        raise ValueError(f"a published_at is not an ISO 8601 time: {error}") from None
    # A stream where every item is dated is placed in time order; otherwise in file order.
    if all(moment for moment, _, _ in timed):
        timed.sort(key=lambda entry: (entry[0].timestamp() if entry[0] else 0.0, entry[1]))
    order = timed
    clusterer = StoryClusterer(get_embedder(config.current().embedder))
    items = [
        StoryItem(
            id=str(row["id"]),
            title=str(row.get("title") or ""),
            text=str(row.get("text") or ""),
            published_at=moment,
            source=str(row.get("source") or "") or None,
            language=str(row.get("language") or ""),
            url=str(row.get("url") or ""),
        )
        for moment, _, row in order
    ]
    clusterer.add_many(items)
    labels = clusterer.labels()
    return {str(row["id"]): labels[str(row["id"])] for row in rows}
