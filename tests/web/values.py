"""Hypothesis strategies for hostile query strings and path segments.

What a probe tries: text of any kind (unicode digits such as "²" and "٣" among it), integers past
64 bits, negative numbers, floats with NaN and infinities, times past the calendar with odd
offsets, cursors that decode to such values, empty values, repeated keys, control characters,
broken percent-encoding and very long values.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote, quote_from_bytes, urlencode

from hypothesis import strategies as st

ODD_VALUES = [
    *("", " ", "0", "-0", "-1", "+1", "1", "01", " 1", "1 ", "1_000", "0x10", "1e3", "1e309", "-1e309"),
    *("1.5", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "true", "null", "[]", "{}", "undefined"),
    *("²", "٣", "１２", "Ⅻ", "⑤", "𝟗", "\u0665\u0660"),
    *("9" * 30, "-" + "9" * 30, str(2**31), str(2**63 - 1), str(2**63), str(2**64), str(-(2**63) - 1)),
    *("\x00", "\r\n", "\t", "\x1b[31m", "\x7f", "\ufeff", "\u202e", "\U0010ffff"),
    *("%", "&", "=", "'", '"', "<script>", "../..", "//evil.example", "javascript:alert(1)", "?next=x"),
    *("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "9999-12-31", "0000-01-01", "2026-02-30"),
    *("2026-13-01", "2026-11-27T24:00:00", "2026-11-27T23:59:60Z", "2026-11-27T08:00:00+99:99", "yesterday"),
    *("unread", "news.article", "news.story", "keyword", "tag", "entity", "source"),
]

#: Percent-encoded fragments a client may send raw: broken escapes and bytes that are not UTF-8.
RAW_FRAGMENTS = ["%", "%Z", "%ZZ", "%C0%80", "%ff%fe", "%ED%A0%80", "%00", "%2", "+", "%u0041", ";"]

_OFFSET = st.one_of(
    st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+23:59", "-23:59", "+24:00", "+2359", "-1"]),
    st.builds(
        lambda sign, hours, minutes: f"{sign}{hours:02d}:{minutes:02d}",
        st.sampled_from("+-"),
        st.integers(0, 99),
        st.integers(0, 99),
    ),
)


@st.composite
def odd_moments(draw: st.DrawFn) -> str:
    """ISO 8601-looking times, most of them outside the calendar or the clock."""
    year = draw(st.one_of(st.integers(0, 10_000), st.sampled_from([1, 1970, 2026, 9999])))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if draw(st.booleans()):
        return date
    hour, minute, second = draw(st.integers(0, 25)), draw(st.integers(0, 61)), draw(st.integers(0, 61))
    fraction = draw(st.sampled_from(["", ".5", ".123456", ".123456789", ".9999999"]))
    separator = draw(st.sampled_from(["T", " ", "t"]))
    return f"{date}{separator}{hour:02d}:{minute:02d}:{second:02d}{fraction}{draw(_OFFSET)}"


#: Numbers at the edges: of 32 and 64 bits, of the calendar, of what int() and isdigit() accept.
EDGE_NUMBERS = [
    *("0", "1", "-1", "00", "200", "201", "100000", "100001", str(2**31 - 1), str(2**31), str(2**63 - 1)),
    *(
        str(2**63),
        str(2**64),
        str(-(2**63) - 1),
        "9" * 20,
        "9" * 40,
        "1" + "0" * 4300,
        "1e3",
        "1.0",
        "²",
        "፩",
    ),
]


def numbers() -> st.SearchStrategy[str]:
    """Whole numbers, mostly at the edges of what a database column or int() takes."""
    return st.one_of(
        st.sampled_from(EDGE_NUMBERS),
        st.integers(-(2**70), 2**70).map(str),
        st.integers(2**62, 2**66).map(str),
        st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=4),
    )


@st.composite
def edge_moments(draw: st.DrawFn) -> str:
    """Real calendar times with offsets that carry them past the calendar's ends in UTC."""
    moment = draw(
        st.one_of(
            st.datetimes(),
            st.sampled_from(["0001-01-01T00:00:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59.999999"]),
        )
    )
    text = moment if isinstance(moment, str) else moment.isoformat()
    return text + draw(st.sampled_from(["", "Z", "+00:00", "+23:59", "-23:59", "+14:00", "-12:00"]))


def moments() -> st.SearchStrategy[str]:
    """Times for a ``since``-like parameter: in the calendar, at its ends, or outside it."""
    return st.one_of(edge_moments(), odd_moments())


_IDS = st.one_of(numbers(), st.sampled_from(["", "x", "1.5"]))
_MOMENTS = st.one_of(edge_moments(), odd_moments())


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


def cursors() -> st.SearchStrategy[str]:
    """Cursors shaped like the site's own (base64 of "time|id", "count|time|id") holding odd values."""
    article = st.builds(lambda moment, pk: f"{moment}|{pk}", _MOMENTS, _IDS)
    story = st.builds(lambda count, moment, pk: f"{count}|{moment}|{pk}", _IDS, _MOMENTS, _IDS)
    garbage = st.binary(max_size=40).map(lambda raw: base64.urlsafe_b64encode(raw).decode())
    return st.one_of(article.map(_b64), story.map(_b64), garbage)


def values(extra: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """One query value: hostile in one of many ways, or one of ``extra`` (values the site made)."""
    parts = [
        st.sampled_from(ODD_VALUES),
        st.text(max_size=40),
        st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=25),
        st.integers(-(2**200), 2**200).map(str),
        st.floats().map(str),
        odd_moments(),
        cursors(),
        st.builds(lambda char, size: char * size, st.sampled_from("9x-%é\x00"), st.integers(500, 20_000)),
    ]
    if extra:
        parts.append(st.sampled_from(list(extra)))
    return st.one_of(parts)


#: What kind of value a parameter holds, by name, so that most of its values are near-valid ones.
KINDS: dict[str, Callable[[], st.SearchStrategy[str]]] = {
    "number": numbers,
    "moment": moments,
    "cursor": cursors,
}


@st.composite
def query_strings(
    draw: st.DrawFn,
    params: Sequence[str],
    extra: Mapping[str, Sequence[str]] | None = None,
    kinds: Mapping[str, str] | None = None,
) -> str:
    """A query string over the view's parameters (and a stray one): keys repeated, values hostile.

    ``extra`` gives values the site made for a key; ``kinds`` names a key's kind ("number",
    "moment", "cursor"), whose near-valid values then make up two thirds of that key's values.
    """
    keys = [*params, "unknown"] if params else ["unknown"]
    known, kind_of = extra or {}, kinds or {}

    def value_of(key: str) -> st.SearchStrategy[str]:
        generic = values(known.get(key, ()))
        if key not in kind_of:
            return generic
        typed = KINDS[kind_of[key]]()
        return st.one_of(typed, typed, generic)

    pairs = draw(
        st.lists(
            st.sampled_from(keys).flatmap(lambda key: st.tuples(st.just(key), value_of(key))), max_size=6
        )
    )
    query = urlencode(pairs)
    raw = draw(
        st.lists(
            st.tuples(
                st.sampled_from(keys),
                st.one_of(st.sampled_from(RAW_FRAGMENTS), st.binary(max_size=12).map(quote_from_bytes)),
            ),
            max_size=2,
        )
    )
    return "&".join([query, *(f"{key}={fragment}" for key, fragment in raw)]).strip("&")


def path_segments(converter: str, known: str | None) -> st.SearchStrategy[str]:
    """A path segment for a URL converter ("int", "slug", "str"): a known key, or a hostile one."""
    if converter == "int":
        generated = st.one_of(
            st.integers(0, 2**80).map(str),
            st.sampled_from(["0", "00", str(2**63 - 1), str(2**63), str(2**64), "9" * 40]),
            st.sampled_from(["-1", "²", "1.5", "abc", "%00"]),  # no match: the URL is a 404
        )
    else:
        generated = st.text(min_size=1, max_size=60).map(lambda text: quote(text, safe=""))
    return st.one_of(st.just(known), generated) if known else generated


# --- the deterministic sweep: every parameter alone with every edge of its kind ----------------------


EDGE_MOMENTS = [
    *("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59.999999+00:00"),
    *("9999-12-31", "0001-01-01", "0000-01-01", "10000-01-01", "2026-02-30", "2026-11-27T24:00:00"),
    *(
        "2026-11-27T08:00:00+99:99",
        "2026-11-27T08:00:00",
        "2026-11-27 08:00:00Z",
        "2026-11-27T08:00:00+14:00",
    ),
]
EDGE_CURSORS = [
    _b64(text)
    for text in (
        "9999-12-31T23:59:59-23:59|5",
        "0001-01-01T00:00:00+23:59|5",
        "2026-01-01T00:00:00|5",  # naive: read as UTC
        f"2026-01-01T00:00:00+00:00|{2**63}",
        f"2026-01-01T00:00:00+00:00|{2**64}",
        "2026-01-01T00:00:00+00:00|-1",
        "2026-01-01T00:00:00+00:00|" + "1" + "0" * 4300,
        "2026-01-01T00:00:00+00:00|²",
        f"{2**31}|2026-01-01T00:00:00+00:00|1",
        f"{2**63}|2026-01-01T00:00:00+00:00|1",
        "1|9999-12-31T23:59:59-23:59|1",
        f"1|2026-01-01T00:00:00+00:00|{2**63}",
        "-1|2026-01-01T00:00:00+00:00|1",
        "|",
        "||",
    )
]
GENERIC_EDGES = [
    *("", " ", "\x00", "\r\n", "²", "٣", "-1", "9" * 30, "1" + "0" * 4300, "x" * 20_000, "nan", "1e309"),
    *(
        "%",
        "&",
        "\ufeff",
        "\U0010ffff",
        "javascript:alert(1)",
        "//evil.example",
        "../../etc/passwd",
        "🙂" * 500,
    ),
]
#: Raw (already percent-encoded) values: broken escapes and bytes that are not UTF-8.
RAW_EDGES = ["%ZZ", "%C0%80", "%ff%fe", "%ED%A0%80", "%", "%E1%8D%A9"]
PATH_EDGES = {
    "int": ["0", "00", str(2**63 - 1), str(2**63), str(2**64), "9" * 40, "1" + "0" * 4300],
    "slug": ["-", "_", "x" * 5000, "%C2%B2", "a-" * 100],
    "str": ["%00", "%0A", "x" * 5000, "..", "%C2%B2", "%E2%80%AE", "%25", "%2F"],
}


def sweep(kind: str | None) -> list[str]:
    """Encoded query values to try, each alone, for a parameter of ``kind`` (KINDS, or None)."""
    typed = {"number": EDGE_NUMBERS, "moment": EDGE_MOMENTS, "cursor": EDGE_CURSORS}.get(kind or "", [])
    encoded = [quote(value, safe="") for value in [*typed, *GENERIC_EDGES]] + RAW_EDGES
    return list(dict.fromkeys(encoded))
