"""Full enrichment throughput next to bare spaCy NER on the same texts in the same run; the cost of storing it.

Texts: <shared data>/clustering-wikinews-events/articles.jsonl (title + text of each article).

Throughput, three passes interleaved batch by batch so that the machine's load hits them alike:

* bare spaCy NER (the baseline): the installed English model loaded with every pipe excluded but
  ``ner``, as spaCy ships it. In en_core_web_sm the NER model embeds its own tokens (its
  ``tok2vec`` is a ``spacy.Tok2Vec.v2`` inside ``ner``, not a listener of the shared ``tok2vec``
  pipe, which only the tagger and parser listen to), so NER needs no other pipe; the script
  checks that in the loaded config and refuses a model where it does not hold.
* bare NER with Newsdesk's matrix products (numpy's BLAS instead of thinc's BLIS, as
  ``pipeline/enrich/nlp.py`` sets up its own pipeline): the like-for-like baseline, which shows
  what the rest of enrichment costs beyond NER itself;
* Newsdesk: every configured enricher (NEWSDESK_ENRICHERS: the shared spaCy pass, entities,
  places, keyphrases, hashtags, quotes, attributions, summary) plus the story step's embedding.

Reports articles/s of each (wall clock and CPU time, median over ``--repeat`` runs) and the
ratios of Newsdesk to both baselines.

Storing (``--store``, on by default): each article's results stored into a fresh desk (SQLite in a
temporary NEWSDESK_HOME, or ``--database-url``), twice side by side, article by article in
alternating order: by ``news.enrichstore.store_results`` and by the code it replaced (a
``get_or_create`` per entity, tag and source, then a recount of each entity's articles, kept below
as ``legacy_store_results``). Then once more each (re-enrichment). Reports the median milliseconds
per article of each, and checks that both stored the same links and that every entity's
``article_count`` equals its links.

Exits non-zero when a floor in bench/floors.json ("enrich") fails: ``min_ratio_to_ner`` (against
the stock baseline), ``max_peak_mb``, ``max_store_ms``.

    python bench/enrich.py [--limit N] [--repeat R] [--no-store] [--database-url URL] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from newsdesk import shared_data

ROOT = Path(__file__).resolve().parents[1]
FLOORS = ROOT / "bench" / "floors.json"
DATASET = ("clustering-wikinews-events", "articles.jsonl")
BATCH = 32


def load_texts(limit: int | None) -> list[tuple[str, str]]:
    rows = []
    with shared_data.require(*DATASET).open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            rows.append((row.get("title") or "", row.get("text") or ""))
    return rows[:limit] if limit else rows


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_ner(model: str) -> Any:
    """The model with nothing but its NER pipe; raises SystemExit when NER listens to another pipe."""
    import spacy

    nlp = spacy.load(model)
    listener = nlp.config["components"]["ner"]["model"]["tok2vec"].get("@architectures", "")
    if "Listener" in listener:
        raise SystemExit(
            f"{model}: ner listens to a shared tok2vec ({listener}); bare NER needs that pipe too"
        )
    return spacy.load(model, exclude=[name for name in nlp.component_names if name != "ner"])


# --------------------------------------------------------------------------------------------------
# Throughput


def run_throughput(texts: list[tuple[str, str]], repeat: int) -> tuple[dict[str, Any], list[Any]]:
    from thinc.api import NumpyOps

    from newsdesk.analysis import enrichers_from_settings
    from newsdesk.pipeline.embed import get_embedder
    from newsdesk.pipeline.enrich.base import Document, run_enrichers
    from newsdesk.pipeline.enrich.nlp import load_model
    from newsdesk.pipeline.stories import StoryClusterer, StoryItem

    enrichers = enrichers_from_settings()
    ours = load_model()  # sets numpy's BLAS to one thread, as in a worker
    model = str(ours.meta.get("lang", "en")) + "_" + str(ours.meta.get("name", "core_web_sm"))
    stock = bare_ner(model)
    same_ops = bare_ner(model)
    ops = NumpyOps(use_blis=False)
    for node in same_ops.get_pipe("ner").model.walk():
        node.ops = ops
    clusterer = StoryClusterer(get_embedder("hashing"))
    # Warm all three (model loading and the gazetteer are start-up costs, not throughput).
    for nlp in (stock, same_ops):
        list(nlp.pipe([t for t, _ in texts[:4]]))
    run_enrichers([Document(title=t, text=x) for t, x in texts[:4]], enrichers)

    passes = ("stock", "same_ops", "full")
    rates: dict[str, list[float]] = {name: [] for name in passes}
    cpu_rates: dict[str, list[float]] = {name: [] for name in passes}
    kept: list[Any] = []
    for round_ in range(repeat):
        wall = dict.fromkeys(passes, 0.0)
        cpu = dict.fromkeys(passes, 0.0)
        for start in range(0, len(texts), BATCH):
            batch = texts[start : start + BATCH]
            joined = [f"{t}\n\n{x}" if t else x for t, x in batch]
            order = passes if (start // BATCH + round_) % 2 == 0 else tuple(reversed(passes))
            for name in order:
                began, began_cpu = time.perf_counter(), time.process_time()
                if name == "full":
                    docs = [Document(title=t, text=x) for t, x in batch]
                    run_enrichers(docs, enrichers)
                    clusterer.vectors([StoryItem(id=i, title=t, text=x) for i, (t, x) in enumerate(batch)])
                else:
                    list((stock if name == "stock" else same_ops).pipe(joined, batch_size=BATCH))
                wall[name] += time.perf_counter() - began
                cpu[name] += time.process_time() - began_cpu
                if name == "full" and round_ == repeat - 1:
                    for doc in docs:
                        doc.spacy_doc = None  # keep the results for the store pass, not the parses
                    kept.extend(docs)
        for name in passes:
            rates[name].append(len(texts) / wall[name])
            cpu_rates[name].append(len(texts) / cpu[name])
    med = {name: statistics.median(rates[name]) for name in passes}
    med_cpu = {name: statistics.median(cpu_rates[name]) for name in passes}
    return {
        "articles": len(texts),
        "repeat": repeat,
        "ner_pipes": stock.pipe_names,
        "pipes": ours.pipe_names,
        "bare_ner_articles_per_s": round(med["stock"], 2),
        "bare_ner_same_ops_articles_per_s": round(med["same_ops"], 2),
        "newsdesk_articles_per_s": round(med["full"], 2),
        "ratio_to_ner": round(med["full"] / med["stock"], 3),
        "ratio_to_ner_same_ops": round(med["full"] / med["same_ops"], 3),
        "cpu_ratio_to_ner": round(med_cpu["full"] / med_cpu["stock"], 3),
        "cpu_ratio_to_ner_same_ops": round(med_cpu["full"] / med_cpu["same_ops"], 3),
        "enrichers": [e.name for e in enrichers],
    }, kept


# --------------------------------------------------------------------------------------------------
# Storing


def legacy_store_results(article: Any, doc: Any, enrichers: Any) -> None:
    """How an article's enrichment was stored before news/enrichstore.py (for the side-by-side time)."""
    from django.db import transaction
    from django.db.models import Count, OuterRef, Subquery
    from django.utils import timezone

    from newsdesk.news.enrichstore import _speaker_entity, entities_to_store, result_to_store
    from newsdesk.news.models import (
        Article,
        ArticleEntity,
        ArticleTag,
        Attribution,
        Enrichment,
        Entity,
        Quote,
        Source,
        Tag,
    )
    from newsdesk.pipeline.enrich.entities import canonical_key
    from newsdesk.pipeline.enrich.hashtags import slugify_tag
    from newsdesk.pipeline.outlets import find_outlet

    results = doc.results
    with transaction.atomic():
        Enrichment.objects.filter(article=article).delete()
        Enrichment.objects.bulk_create(
            [
                Enrichment(
                    article=article, name=e.name, version=e.version, result=result_to_store(doc, e.name)
                )
                for e in enrichers
            ]
        )
        geo = {p["name"]: p for p in results.get("places") or []}
        ArticleEntity.objects.filter(article=article).delete()
        by_name: dict[str, Any] = {}
        ids_by_kind: dict[tuple[str, str], int] = {}  # a quote links by its speaker's kind, as now
        links = []
        for item in entities_to_store(doc):  # a language without NER: its gazetteer places
            kind = item.get("kind") or "other"
            name = item["name"][:300]
            entity, _ = Entity.objects.get_or_create(
                key=canonical_key(name, kind)[:300], kind=kind, defaults={"name": name}
            )
            place = geo.get(item["name"])
            if place and entity.latitude is None:
                entity.latitude, entity.longitude = place.get("lat"), place.get("lon")
                entity.country = (place.get("country") or "")[:2]
                entity.save(update_fields=["latitude", "longitude", "country"])
            by_name[item["name"]] = entity
            ids_by_kind[(item["name"], kind)] = entity.pk
            links.append(ArticleEntity(article=article, entity=entity, mentions=int(item.get("count") or 1)))
        ArticleEntity.objects.bulk_create(links, ignore_conflicts=True)
        if by_name:
            counts = (
                ArticleEntity.objects.filter(entity=OuterRef("pk"))
                .values("entity")
                .annotate(n=Count("id"))
                .values("n")
            )
            Entity.objects.filter(pk__in=[e.pk for e in by_name.values()]).update(
                article_count=Subquery(counts)
            )
        ArticleTag.objects.filter(article=article).delete()
        tags = []
        for rank, name in enumerate(results.get("hashtags") or []):
            tag, _ = Tag.objects.get_or_create(slug=slugify_tag(name)[:100], defaults={"name": name[:100]})
            tags.append(ArticleTag(article=article, tag=tag, rank=rank))
        ArticleTag.objects.bulk_create(tags, ignore_conflicts=True)
        Quote.objects.filter(article=article).delete()
        Quote.objects.bulk_create(
            [
                Quote(
                    article=article,
                    text=q["text"],
                    speaker_id=_speaker_entity(q, ids_by_kind),
                    speaker_name=(q.get("speaker") or "")[:300],
                    anonymous=bool(q.get("anonymous")),
                    speaker_description=(q.get("speaker_description") or "")[:300],
                    direct=bool(q.get("direct", True)),
                    position=int(q.get("start") or 0),
                )
                for q in results.get("quotes") or []
                if q.get("text")
            ]
        )
        Attribution.objects.filter(article=article).delete()
        cited: dict[int, str] = {}
        for item in results.get("attributions") or []:
            fact = find_outlet(item.get("domain") or item.get("outlet") or "")
            if fact is None:
                continue
            source, _ = Source.objects.get_or_create(
                domain=fact.domain,
                defaults={
                    "name": fact.name,
                    "homepage": fact.homepage,
                    "country": fact.country,
                    "language": fact.language,
                    "ownership": fact.ownership,
                },
            )
            if source.pk != article.source_id:
                cited.setdefault(source.pk, (item.get("cue") or "")[:300])
        Attribution.objects.bulk_create(
            [Attribution(article=article, source_id=pk, cue=cue) for pk, cue in cited.items()],
            ignore_conflicts=True,
        )
        Article.objects.filter(pk=article.pk).update(
            ai_summary=results.get("summary") or "", analysed_at=timezone.now(), enriched_at=None
        )


def _setup_django(database_url: str | None) -> Path:
    """Django on a fresh desk of its own: a temporary NEWSDESK_HOME (and its SQLite file unless a URL is given)."""
    home = Path(tempfile.mkdtemp(prefix="newsdesk-bench-enrich-"))
    os.environ["NEWSDESK_HOME"] = str(home)
    os.environ["NEWSDESK_DATABASE_URL"] = database_url or ""
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsdesk.desk.settings"
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    kept = Path(getattr(settings, "HOME", ""))
    if kept.resolve() != home.resolve():
        raise SystemExit(f"settings kept NEWSDESK_HOME={kept}, not the bench's own {home}: refusing")
    call_command("migrate", verbosity=0)
    if database_url:
        call_command("flush", interactive=False, verbosity=0)
    return home


def _stored(article: Any) -> tuple[Any, ...]:
    from newsdesk.news.models import ArticleEntity, ArticleTag, Attribution, Quote

    return (
        sorted(ArticleEntity.objects.filter(article=article).values_list("entity_id", "mentions")),
        list(ArticleTag.objects.filter(article=article).order_by("rank").values_list("tag_id", "rank")),
        list(Quote.objects.filter(article=article).values_list("text", "speaker_id", "position")),
        sorted(Attribution.objects.filter(article=article).values_list("source_id", "cue")),
    )


def run_store(docs: list[Any], database_url: str | None) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count, F

    from newsdesk.analysis import enrichers_from_settings
    from newsdesk.news.enrichstore import store_results
    from newsdesk.news.models import Article, Entity, Source

    enrichers = enrichers_from_settings()
    source = Source.objects.create(name="Bench Courier", domain="bench-courier.example")
    pairs = []
    for n, doc in enumerate(docs):
        made = [
            Article.objects.create(
                source=source, url=f"https://bench-courier.example/{way}/{n}", title=doc.title
            )
            for way in ("new", "old")
        ]
        pairs.append((made[0], made[1], doc))
    times: dict[str, list[float]] = {"new": [], "old": [], "new_again": [], "old_again": []}
    cpu: dict[str, list[float]] = {way: [] for way in times}
    for suffix in ("", "_again"):
        for n, (new, old, doc) in enumerate(pairs):
            runs = [("new", new, store_results), ("old", old, legacy_store_results)]
            for way, article, store in runs if n % 2 == 0 else reversed(runs):
                began, began_cpu = time.perf_counter(), time.process_time()
                store(article, doc, enrichers)
                times[way + suffix].append(time.perf_counter() - began)
                cpu[way + suffix].append(time.process_time() - began_cpu)
    same = sum(_stored(new) == _stored(old) for new, old, _ in pairs)
    wrong_counts = Entity.objects.annotate(n=Count("article_entities")).exclude(article_count=F("n")).count()
    ms = {way: round(statistics.median(values) * 1000, 2) for way, values in times.items()}
    cpu_ms = {way: round(statistics.median(values) * 1000, 2) for way, values in cpu.items()}
    return {
        "database": connection.vendor,
        "stored_articles": len(pairs),
        "store_ms_median": ms["new"],
        "legacy_store_ms_median": ms["old"],
        "restore_ms_median": ms["new_again"],
        "legacy_restore_ms_median": ms["old_again"],
        "store_speedup": round(ms["old"] / ms["new"], 1) if ms["new"] else None,
        # This process's CPU time (SQLite works inside it; PostgreSQL's own work is not counted):
        # on a machine shared with other work, closer to what one store costs than the wall clock.
        "store_cpu_ms_median": cpu_ms["new"],
        "legacy_store_cpu_ms_median": cpu_ms["old"],
        "restore_cpu_ms_median": cpu_ms["new_again"],
        "legacy_restore_cpu_ms_median": cpu_ms["old_again"],
        "identical_links": f"{same}/{len(pairs)}",
        "entities_with_wrong_count": wrong_counts,
        "entities": Entity.objects.count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-store", action="store_true", help="skip the storing comparison")
    parser.add_argument(
        "--database-url", default=None, help="store into this (emptied!) database, not SQLite"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.no_store:
        home = _setup_django(args.database_url)  # before anything reads the settings
    texts = load_texts(args.limit)
    result, docs = run_throughput(texts, args.repeat)
    result["peak_mb"] = round(peak_mb(), 1)
    if not args.no_store:
        result.update(run_store(docs, args.database_url))
        result["home"] = str(home)
    floors = json.loads(FLOORS.read_text()).get("enrich", {})
    failures = []
    if result["ratio_to_ner"] < floors.get("min_ratio_to_ner", 0.0):
        failures.append(f"ratio {result['ratio_to_ner']} < floor {floors['min_ratio_to_ner']}")
    if result["peak_mb"] > floors.get("max_peak_mb", float("inf")):
        failures.append(f"peak memory {result['peak_mb']} MB > {floors['max_peak_mb']} MB")
    if "store_ms_median" in result:
        if result["store_ms_median"] > floors.get("max_store_ms", float("inf")):
            failures.append(f"storing {result['store_ms_median']} ms/article > {floors['max_store_ms']} ms")
        if result["entities_with_wrong_count"] or result["identical_links"].split("/")[0] != str(
            result["stored_articles"]
        ):
            failures.append(
                f"stores disagree: {result['identical_links']} identical,"
                f" {result['entities_with_wrong_count']} entities with a wrong article_count"
            )
    if args.json:
        print(json.dumps({**result, "floors": floors, "failures": failures}, indent=2))
    else:
        print(f"{'':<40}{'articles/s':>12}")
        print(f"{'bare spaCy NER (stock)':<40}{result['bare_ner_articles_per_s']:>12}")
        print(f"{'bare spaCy NER (numpy BLAS, as ours)':<40}{result['bare_ner_same_ops_articles_per_s']:>12}")
        print(f"{'Newsdesk full enrichment':<40}{result['newsdesk_articles_per_s']:>12}")
        print(
            f"ratio {result['ratio_to_ner']}x stock NER (CPU time {result['cpu_ratio_to_ner']}x),"
            f" {result['ratio_to_ner_same_ops']}x like-for-like NER (CPU {result['cpu_ratio_to_ner_same_ops']}x)"
            f" on {result['articles']} articles (median of {args.repeat}); peak memory {result['peak_mb']} MB"
        )
        print(f"NER baseline pipes: {result['ner_pipes']}; Newsdesk pipes: {result['pipes']}")
        if "store_ms_median" in result:
            print(
                f"storing on {result['database']}, ms/article (median of {result['stored_articles']}):"
                f" {result['store_ms_median']} now vs {result['legacy_store_ms_median']} before"
                f" ({result['store_speedup']}x); re-enrichment {result['restore_ms_median']} vs"
                f" {result['legacy_restore_ms_median']}; CPU ms/article {result['store_cpu_ms_median']} vs"
                f" {result['legacy_store_cpu_ms_median']} (re-enrichment {result['restore_cpu_ms_median']} vs"
                f" {result['legacy_restore_cpu_ms_median']}); identical links {result['identical_links']},"
                f" entities with a wrong count: {result['entities_with_wrong_count']}"
            )
        for failure in failures:
            print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
