"""Storing one article's enrichment: its results, entities, tags, quotes and attributions.

Called by the enrichment orchestrator (news/enrichment.py) for each article of a batch; replaces
what an earlier run stored, so it is idempotent.

Beside each enricher's result an ``Enrichment`` row named ``analyses`` records the article's
language decision and which enrichers ran and which were skipped and why (``analyses_of`` reads
it back for the article's page). The decided language is stored on the article when it had none,
or when its text clearly contradicted the declaration. An article whose entities could not be read
(a language without NER) keeps the places the gazetteer found as its place entities.

A fixed number of statements per article, whatever it mentions: entities and tags are upserted
in one INSERT each (conflicts on their unique keys ignored) and mapped back to ids by one SELECT;
``Entity.article_count`` moves by +1 for each entity newly linked and -1 for each one no longer
linked, in one UPDATE, instead of a recount of every entity's articles. Cited outlets (a handful
at most) go through the one outlet-to-Source mapping, ``news.store.source_for_outlet``.

Several workers may store at once on PostgreSQL: each upsert inserts its keys in sorted order (so
two transactions never wait on each other's new rows in opposite orders), and the article's row
is locked first, so two stores of one article are serialised and its count deltas stay exact.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

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
from newsdesk.news.store import source_for_outlet
from newsdesk.pipeline.enrich.base import Document, Enricher, analyses
from newsdesk.pipeline.language import language_name
from newsdesk.pipeline.outlets import OutletFact, find_outlet

ANALYSES = "analyses"  # the Enrichment row that says what ran (not an enricher's name)
ANALYSES_VERSION = "1"
# The enrichers' names as the article's page lists what was not analysed.
SHOWN_AS = {
    "entities": "people and organisations",
    "places": "places",
    "hashtags": "hashtags",
    "keyphrases": "keyphrases",
    "quotes": "quotes",
    "attributions": "cited outlets",
    "summary": "summary",
}


def store_results(article: Article, doc: Document, enrichers: Sequence[Enricher]) -> None:
    """Replace an article's stored enrichment with this run's results, in one transaction.

    The article is then analysed (``analysed_at``) and its claim released; it counts as enriched
    only when the story placer has stored its story and vector too.
    """
    results = doc.results
    article.ai_summary = results.get("summary") or ""
    article.enriched_at = None
    # Analysed, not yet enriched: the story placer sets enriched_at once story and vector are stored.
    article.analysed_at = timezone.now()
    article.language = _language_to_store(article, doc)
    found = entities_to_store(doc)
    with transaction.atomic():
        # First, so that it locks the article's row: two stores of one article are serialised
        # (PostgreSQL; SQLite has one writer anyway) and its count deltas below stay exact.
        Article.objects.filter(pk=article.pk).update(
            ai_summary=article.ai_summary,
            analysed_at=article.analysed_at,
            enriched_at=None,
            claimed_by="",
            claimed_until=None,
            language=article.language,
        )
        Enrichment.objects.filter(article=article).delete()
        rows = [
            Enrichment(article=article, name=e.name, version=e.version, result=result_to_store(doc, e.name))
            for e in enrichers
        ]
        if all(e.name != ANALYSES for e in enrichers):
            rows.append(
                Enrichment(article=article, name=ANALYSES, version=ANALYSES_VERSION, result=analyses(doc))
            )
        Enrichment.objects.bulk_create(rows)
        entities = _store_entities(article, found, results.get("places") or [])
        _store_tags(article, results.get("hashtags") or [])
        _store_quotes(article, results.get("quotes") or [], entities)
        _store_attributions(article, results.get("attributions") or [])


def entities_to_store(doc: Document) -> list[dict[str, Any]]:
    """The entities to link the article to: the entities step's, else (no NER in its language) the gazetteer's places."""
    found = doc.results.get("entities")
    if found is None and "entities" in doc.skipped:
        return [
            {"name": place["name"], "kind": "place", "count": int(place.get("mentions") or 1)}
            for place in doc.results.get("places") or []
        ]
    return list(found or [])


def result_to_store(doc: Document, name: str) -> Any:
    """One enricher's result as its Enrichment row holds it; an enricher that skipped the article says why."""
    if name in doc.skipped:
        return {"skipped": doc.skipped[name]}
    return _jsonable(doc.results.get(name))


def _language_to_store(article: Article, doc: Document) -> str:
    """The article's language after analysis: the decided one when it had none or the text overruled it."""
    decision = doc.language_decision
    if decision is None or not decision.language or decision.source == "default":
        return article.language
    if not article.language or decision.source == "text":
        return decision.language[:8]
    return article.language


def analyses_of(article: Article) -> dict[str, Any]:
    """What the article's page says about its analysis: {"language", "language_name", "skipped": [...]}.

    ``skipped`` holds one line per reason ("People and organisations, quotes and cited outlets:
    not analysed for German"); empty when everything ran or the article was analysed before this
    was recorded.
    """
    row = Enrichment.objects.filter(article=article, name=ANALYSES).values_list("result", flat=True).first()
    if not isinstance(row, dict):
        return {"language": article.language, "language_name": language_name(article.language), "skipped": []}
    by_reason: dict[str, list[str]] = {}
    # In the table's order, not the stored one: PostgreSQL's jsonb keeps an object's keys in its own order.
    order = {name: rank for rank, name in enumerate(SHOWN_AS)}
    skipped = row.get("skipped") or {}
    for name in sorted(skipped, key=lambda n: (order.get(n, len(order)), n)):
        by_reason.setdefault(str(skipped[name]), []).append(SHOWN_AS.get(name, name))
    lines = []
    for reason, names in by_reason.items():
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        lines.append(f"{listed[:1].upper()}{listed[1:]}: {reason}")
    code = row.get("language") or article.language
    return {"language": code, "language_name": language_name(code), "skipped": lines}


def _jsonable(value: Any) -> Any:
    """The value as JSON can hold it (tuples as lists, other objects as text); unchanged when it already fits."""
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return _converted(value)
    return value


def _converted(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _converted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_converted(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _insert(
    model: type[Any],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    chunk: int = 500,
) -> None:
    """Multi-row INSERTs of simple values (ints, text, booleans, floats), no model instance per row.

    ``ignore_conflicts``: rows whose unique key is taken are skipped (``ON CONFLICT DO NOTHING``,
    which PostgreSQL and SQLite >= 3.24 both understand); on PostgreSQL a row being inserted by
    another open transaction waits for it to end, then is skipped or inserted.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            sql = f"INSERT INTO {table} ({names}) VALUES " + ", ".join([one] * len(part))
            if ignore_conflicts:
                sql += " ON CONFLICT DO NOTHING"
            cursor.execute(sql, [value for row in part for value in row])


def _store_entities(
    article: Article, found: list[dict[str, Any]], places: list[dict[str, Any]]
) -> dict[tuple[str, str], int]:
    """Upsert the article's entities by canonical key and kind, relink them; their ids by (name, kind)."""
    from newsdesk.pipeline.enrich.entities import canonical_key

    geo = {p["name"]: p for p in places}
    # (key, kind) -> (first name seen, mentions of that first item); later items of one key share it.
    wanted: dict[tuple[str, str], tuple[str, int]] = {}
    keys_of: dict[str, tuple[str, str]] = {}
    for item in found:
        kind = item.get("kind") or "other"
        name = item["name"][:300]
        key = (canonical_key(name, kind)[:300], kind)
        wanted.setdefault(key, (name, int(item.get("count") or 1)))
        keys_of[item["name"]] = key

    ids = _upsert_entities(wanted, geo) if wanted else {}

    before = _unlink_entities(article)
    after = set(ids.values())
    _insert(
        ArticleEntity,
        ("article", "entity", "mentions"),
        [(article.pk, ids[key], n) for key, (_, n) in wanted.items()],
    )
    _shift_counts(added=after - before, removed=before - after)
    # A quote links to its speaker's entity only when the kinds agree (see _speaker_entity).
    return {(name, key[1]): ids[key] for name, key in keys_of.items()}


def _unlink_entities(article: Article) -> set[int]:
    """Delete the article's entity links; returns the entities they pointed to (DELETE ... RETURNING)."""
    quote = connection.ops.quote_name
    meta = ArticleEntity._meta
    table, entity, owner = (
        quote(meta.db_table),
        quote(meta.get_field("entity").column),
        quote(meta.get_field("article").column),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {owner} = %s RETURNING {entity}", [article.pk])
        return {int(row[0]) for row in cursor.fetchall()}


def _upsert_entities(
    wanted: dict[tuple[str, str], tuple[str, int]], geo: dict[str, dict[str, Any]]
) -> dict[tuple[str, str], int]:
    """Create the entities not stored yet (sorted by key: no deadlock between workers); their ids by key.

    New places get their coordinates as they are created; a stored place without any gets them here.
    """
    fresh = []
    for (key, kind), (name, _) in sorted(wanted.items()):
        place = geo.get(name) or {}
        fresh.append(
            (key, kind, name, place.get("lat"), place.get("lon"), (place.get("country") or "")[:2], 0)
        )
    columns = ("key", "kind", "name", "latitude", "longitude", "country", "article_count")
    _insert(Entity, columns, fresh, ignore_conflicts=True)
    keys = {key for key, _ in wanted}
    ids: dict[tuple[str, str], int] = {}
    for pk, key, kind, latitude in Entity.objects.filter(key__in=keys).values_list(
        "id", "key", "kind", "latitude"
    ):
        if (key, kind) not in wanted:
            continue
        ids[(key, kind)] = pk
        located = geo.get(wanted[(key, kind)][0])
        if located and latitude is None and located.get("lat") is not None:
            Entity.objects.filter(pk=pk, latitude__isnull=True).update(
                latitude=located.get("lat"),
                longitude=located.get("lon"),
                country=(located.get("country") or "")[:2],
            )
    return ids


def _shift_counts(*, added: set[int], removed: set[int]) -> None:
    """article_count + 1 for newly linked entities, - 1 for unlinked ones, in one UPDATE."""
    if not added and not removed:
        return
    if not removed:
        delta: Any = Value(1)
    elif not added:
        delta = Value(-1)
    else:
        delta = Case(When(pk__in=sorted(added), then=Value(1)), default=Value(-1))
    ids = sorted(added | removed)
    if connection.features.has_select_for_update:
        # Lock the rows in id order first: an UPDATE alone takes them in the order it finds them,
        # which changes as rows move, and two workers taking two rows in opposite orders deadlock.
        # NO KEY: links being inserted elsewhere (foreign-key checks) do not wait for it.
        locking = Entity.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
        list(locking.values_list("pk", flat=True))
    Entity.objects.filter(pk__in=ids).update(article_count=F("article_count") + delta)


def _store_tags(article: Article, hashtags: list[str]) -> None:
    from newsdesk.pipeline.enrich.hashtags import slugify_tag

    ranked: dict[str, tuple[str, int]] = {}  # slug -> (name, rank); the first tag of a slug wins
    for rank, name in enumerate(hashtags):
        try:
            slug = slugify_tag(name)[:100]
        except ValueError:
            continue
        if slug:
            ranked.setdefault(slug, (name[:100], rank))
    ArticleTag.objects.filter(article=article).delete()
    if not ranked:
        return
    _insert(
        Tag,
        ("slug", "name"),
        [(slug, name) for slug, (name, _) in sorted(ranked.items())],
        ignore_conflicts=True,
    )
    ids = dict(Tag.objects.filter(slug__in=ranked).values_list("slug", "id"))
    _insert(
        ArticleTag,
        ("article", "tag", "rank"),
        [(article.pk, ids[slug], rank) for slug, (_, rank) in ranked.items()],
    )


def _speaker_entity(quote: dict[str, Any], entities: dict[tuple[str, str], int]) -> int | None:
    """The entity a quote's speaker is: one of the article's people or organisations of that name.

    A speaker of another kind (a government, a name the tagger missed) or a name the article has
    only as a place links to no entity, so an entity's page lists only words its entity spoke.
    """
    name = quote.get("speaker") or ""
    if "speaker_kind" not in quote:  # a result that says no kind: a person or organisation of that name
        return entities.get((name, "person")) or entities.get((name, "organisation"))
    kind = quote.get("speaker_kind")
    return entities.get((name, kind)) if kind in ("person", "organisation") else None


def _store_quotes(
    article: Article, quotes: list[dict[str, Any]], entities: dict[tuple[str, str], int]
) -> None:
    Quote.objects.filter(article=article).delete()
    _insert(
        Quote,
        (
            "article",
            "text",
            "speaker",
            "speaker_name",
            "anonymous",
            "speaker_description",
            "direct",
            "position",
        ),
        [
            (
                article.pk,
                q["text"],
                _speaker_entity(q, entities),
                (q.get("speaker") or "")[:300],
                bool(q.get("anonymous")),
                (q.get("speaker_description") or "")[:300],
                bool(q.get("direct", True)),
                int(q.get("start") or 0),
            )
            for q in quotes
            if q.get("text")
        ],
    )


def _outlet_key(name: str) -> str:
    return " ".join(name.casefold().split()).removeprefix("the ")


def _followed_outlets_cited(attributions: list[dict[str, Any]]) -> dict[int, str]:
    """The followed outlets (Sources) the registry does not know that the article cites, by their
    name or domain: {source id: first cue}, in one query (none when every cited outlet is known)."""
    unknown: dict[str, str] = {}
    for item in attributions:
        named = str(item.get("domain") or item.get("outlet") or "")
        if named and find_outlet(named) is None:
            for key in {_outlet_key(str(item.get("outlet") or "")), str(item.get("domain") or "").casefold()}:
                if key:
                    unknown.setdefault(key, (item.get("cue") or "")[:300])
    if not unknown:
        return {}
    names = [*unknown, *(f"the {key}" for key in unknown)]
    found: dict[int, str] = {}
    rows = Source.objects.annotate(lowered=Lower("name")).filter(
        Q(lowered__in=names) | Q(domain__in=list(unknown))
    )
    for pk, name, domain in rows.values_list("pk", "name", "domain").order_by("pk"):
        cue = unknown.get(domain) if domain in unknown else unknown.get(_outlet_key(name))
        if cue is not None:
            found.setdefault(pk, cue)
    return found


def _store_attributions(article: Article, attributions: list[dict[str, Any]]) -> None:
    """Link the outlets the article cites (a handful at most: one look-up each, by the one outlet mapping)."""
    Attribution.objects.filter(article=article).delete()
    cited: dict[str, tuple[OutletFact, str]] = {}  # domain -> (outlet, first cue)
    for item in attributions:
        fact = find_outlet(item.get("domain") or item.get("outlet") or "")
        if fact is not None:
            cited.setdefault(fact.domain, (fact, (item.get("cue") or "")[:300]))
    links: dict[int, str] = {}
    for _, (fact, cue) in sorted(cited.items()):
        source = source_for_outlet(fact)
        if source.pk != article.source_id:
            links.setdefault(source.pk, cue)
    for source_id, cue in _followed_outlets_cited(attributions).items():
        if source_id != article.source_id:
            links.setdefault(source_id, cue)
    Attribution.objects.bulk_create(
        [Attribution(article=article, source_id=pk, cue=cue) for pk, cue in links.items()]
    )
