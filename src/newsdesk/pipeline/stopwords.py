"""Function words, shared by the steps that skip them (embedding, summary, keyphrases, hashtags).

``FUNCTION_WORDS`` is the English list the embedder and the summary have always used. For the other
languages ``stop_words`` joins two maintained lists: spaCy's own for that language (shipped with
spaCy) and stopwords-iso's (the ``stopwordsiso`` package, when installed). ``saying_verbs`` and
``calendar_words`` add what a tag or a keyphrase must never be either: the verbs that introduce
quotes, and weekdays and months (from Babel's CLDR data).
"""

from __future__ import annotations

import re
from functools import cache

FUNCTION_WORDS = frozenset(
    {
        "a",
        "about",
        "above",
        "according",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "day",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "friday",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "monday",
        "more",
        "most",
        "mr",
        "mrs",
        "ms",
        "my",
        "myself",
        "new",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "said",
        "same",
        "saturday",
        "say",
        "says",
        "she",
        "should",
        "so",
        "some",
        "such",
        "sunday",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "thursday",
        "to",
        "told",
        "too",
        "tuesday",
        "two",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "wednesday",
        "week",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "year",
        "years",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    }
)


# The verbs news copy introduces quotes and reports with, in the languages the shared pages and
# feeds come in (present, past and participle forms as they stand in running text). A lone
# "sagte" or "declarou" is the most frequent content-looking word of many articles and never
# their topic; lists of stop words leave most of them out.
SAYING_VERBS: dict[str, frozenset[str]] = {
    code: frozenset(words.split())
    for code, words in {
        "de": "sagen sagt sagte sagten sagst gesagt erklären erklärt erklärte erklärten betont betonte "
        "betonten meint meinte meinten berichtet berichtete berichteten mitgeteilt teilte teilten fordert "
        "forderte forderten kritisiert kritisierte warnt warnte warnten fragt fragte fragten antwortet "
        "antwortete ergänzt ergänzte fügte äußerte äußerten sprach sprachen heißt hieß zufolge laut "
        "behauptet behauptete bestätigt bestätigte räumte verkündete kündigte",
        "fr": "dire dit disent disait déclaré déclare déclarent affirme affirmé affirment explique expliqué "
        "expliquent souligne souligné ajoute ajouté estime estimé indique indiqué précise précisé assure "
        "assuré annonce annoncé raconte raconté confie confié rappelle rappelé insiste insisté selon "
        "interrogé répond répondu",
        "es": "decir dijo dice dicen dijeron afirmó afirma declaró declara explicó explica señaló señala "
        "aseguró asegura indicó indica añadió agregó comentó manifestó sostuvo advirtió subrayó destacó "
        "según",
        "pt": "dizer disse diz dizem disseram afirmou afirma declarou declara explicou explica ressaltou "
        "destacou acrescentou informou contou garantiu avaliou segundo conforme",
        "it": "dire detto dice dicono disse dichiarato dichiara spiegato spiega affermato afferma "
        "sottolineato sottolinea aggiunto aggiunge secondo",
        "nl": "zeggen zei zegt zeiden gezegd verklaarde verklaart aldus volgens vertelde vertelt",
        "pl": "powiedział powiedziała powiedzieli mówi mówił mówiła stwierdził stwierdziła dodał dodała "
        "podkreślił podkreśliła zaznaczył zaznaczyła według",
    }.items()
}

_HYPHEN = re.compile(r"[-‐]")


@cache
def stop_words(language: str) -> frozenset[str]:
    """The function words of a language, lowercase: spaCy's list joined with stopwords-iso's.

    Empty for a language neither list knows.
    """
    words: set[str] = set()
    try:
        from spacy.util import get_lang_class

        words |= set(get_lang_class({"no": "nb"}.get(language, language)).Defaults.stop_words)
    except Exception:  # spaCy raises ImportError for an unknown code, and others for odd ones
        pass
    try:
        import stopwordsiso
    except ImportError:
        pass
    else:
        if stopwordsiso.has_lang(language):
            words |= set(stopwordsiso.stopwords(language))
    return frozenset(word.lower() for word in words)


def saying_verbs(language: str) -> frozenset[str]:
    """The verbs of saying a tag or keyphrase must not be, in that language (empty when not listed)."""
    return SAYING_VERBS.get(language, frozenset())


@cache
def calendar_words(language: str) -> frozenset[str]:
    """Weekday and month names of a language, lowercase, and the parts of hyphenated ones ("feira").

    From Babel's CLDR data (wide and abbreviated, in both grammatical contexts); empty when Babel
    or the locale is missing.
    """
    try:
        from babel import Locale, UnknownLocaleError
        from babel.dates import get_day_names, get_month_names
    except ImportError:
        return frozenset()
    try:
        Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return frozenset()
    words: set[str] = set()
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            for names in (
                get_day_names(width, context, locale=language),
                get_month_names(width, context, locale=language),
            ):
                for name in names.values():
                    lowered = name.lower().strip(".")
                    words.add(lowered)
                    words.update(part for part in _HYPHEN.split(lowered) if len(part) > 2)
    return frozenset(words)


@cache
def banned_words(language: str) -> frozenset[str]:
    """Everything a tag or a keyphrase of that language may not be made of: stop words, verbs of saying, dates."""
    return stop_words(language) | saying_verbs(language) | calendar_words(language)
