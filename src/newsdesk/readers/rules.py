"""A reader's own rules on a subscription: which items they see (block, keep) and how the text reads.

Filter rules (``Subscription.block_rules`` and ``keep_rules``), one a line:

* ``word or phrase``: in the title or the text, any case;
* ``/regular expression/``: searched in the title or the text, any case;
* ``author:NAME``: in the byline, any case.

Block hides the items that match any rule; keep, when it has rules, shows only the items that match
one. Both run in the database (``filter_q``), so a list honours them with no extra query and pages
as usual. A regex is checked when saved: Python's syntax, at most ``MAX_PATTERN`` characters, and no
repetition inside a repetition (``(a+)+``), which can take a backtracking engine (SQLite's REGEXP is
Python's ``re``) forever. PostgreSQL's engine reads ``\\b`` as a backspace, so word boundaries are
translated to its ``\\y``, and on PostgreSQL the database itself is asked whether it can run the
pattern (its dialect lacks some of Python's syntax, such as ``(?P<name>...)``).

Rewrite rules (``Subscription.rewrite_rules``), one a line, applied in order to the text this reader
is shown (never to what is stored):

* ``strip-images``: no images, pictures or figures;
* ``remove: CSS SELECTOR``: no elements that match it (``remove: .newsletter-signup, aside``);
* ``replace: /REGEX/ => TEXT``: the text (never the markup) with each match replaced by TEXT.

Every rule is parsed by ``parse_*``, which raises ``RuleError`` naming the line and what is wrong.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import reduce
from html import escape
from operator import or_
from typing import Any

import lxml.html
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from lxml.etree import LxmlError, ParserError, tostring

from newsdesk.pipeline.selectors import compile_selector, validate_selector

log = logging.getLogger(__name__)

#: The longest rule line and regex accepted.
MAX_LINE = 500
MAX_PATTERN = 300
#: The most rules one field may hold.
MAX_RULES = 100


class RuleError(ValueError):
    """A rule that cannot be used; the message says which line and why, for the form."""


# --- filter rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterRule:
    kind: str  # "keyword", "regex" or "author"
    value: str


def parse_filter_rules(text: str, *, saving: bool = True) -> list[FilterRule]:
    """The rules of a block or keep field; raises RuleError for the first line that cannot be used.

    ``saving``: also ask the database whether it can run each regex (a query each, on PostgreSQL);
    rules read back from a subscription were asked when they were saved.
    """
    return [_filter_rule(number, line, saving=saving) for number, line in _lines(text)]


def _lines(text: str) -> list[tuple[int, str]]:
    lines = [(n, line.strip()) for n, line in enumerate((text or "").splitlines(), start=1)]
    lines = [(n, line) for n, line in lines if line]
    if len(lines) > MAX_RULES:
        raise RuleError(f"at most {MAX_RULES} rules, one a line ({len(lines)} given)")
    for number, line in lines:
        if len(line) > MAX_LINE or "\x00" in line:
            raise RuleError(f"line {number}: a rule is at most {MAX_LINE} characters, without NUL")
    return lines


def _filter_rule(number: int, line: str, *, saving: bool) -> FilterRule:
    if line.lower().startswith("author:"):
        name = line[len("author:") :].strip()
        if not name:
            raise RuleError(f"line {number}: say whose name after author:")
        return FilterRule("author", name)
    if len(line) >= 2 and line.startswith("/") and line.endswith("/"):
        return FilterRule("regex", checked_pattern(line[1:-1], number, in_database=saving))
    return FilterRule("keyword", line)


def checked_pattern(pattern: str, number: int, *, in_database: bool = False) -> str:
    """The pattern when it compiles and cannot run away (and, ``in_database``, the database can run
    it); raises RuleError saying why not."""
    if not pattern:
        raise RuleError(f"line {number}: // is an empty regular expression")
    if len(pattern) > MAX_PATTERN:
        raise RuleError(f"line {number}: a regular expression is at most {MAX_PATTERN} characters")
    try:
        parsed = re._parser.parse(pattern)  # type: ignore[attr-defined]
    except re.error as error:
        raise RuleError(f"line {number}: /{pattern}/ is not a valid regular expression: {error}") from None
    if _nested_repeat(parsed, inside=False):
        raise RuleError(
            f"line {number}: /{pattern}/ repeats a repetition (like (a+)+), which can take forever; "
            "write it without the outer repeat"
        )
    if in_database:
        _database_accepts(pattern, number)
    return pattern


def _database_accepts(pattern: str, number: int) -> None:
    """PostgreSQL's regex dialect is not Python's (no (?P<name>...), no inline flags but at the start):
    ask the database itself, so a saved rule never makes a list fail. SQLite runs Python's re."""
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT '' ~* %s", [_database_pattern(pattern)])
    except DatabaseError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RuleError(
            f"line {number}: /{pattern}/ is not a regular expression the database can run: {reason}"
        ) from None


_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


def _nested_repeat(parsed: Any, *, inside: bool) -> bool:
    """Whether a repetition of more than one sits inside another (walks re's own parse tree)."""
    for op, arg in parsed:
        name = str(op)
        if name in _REPEATS:
            _low, high, sub = arg
            many = high is re._parser.MAXREPEAT or high > 1  # type: ignore[attr-defined]
            if (many and inside) or _nested_repeat(sub, inside=inside or many):
                return True
        elif any(_nested_repeat(child, inside=inside) for child in _children(name, arg)):
            return True
    return False


def _children(name: str, arg: Any) -> list[Any]:
    """The sub-patterns of a group, an alternation or a look-around."""
    if name in {"SUBPATTERN", "ASSERT", "ASSERT_NOT"}:
        return [arg[-1]]
    if name == "BRANCH":
        return list(arg[1])
    if name == "ATOMIC_GROUP":
        return [arg]
    return []


def filter_q(rules: list[FilterRule]) -> Q:
    """Articles that match any of the rules, as one condition the database evaluates."""
    return reduce(or_, (_rule_q(rule) for rule in rules), Q(pk__in=[]))


def _rule_q(rule: FilterRule) -> Q:
    if rule.kind == "author":
        return Q(byline__icontains=rule.value)
    if rule.kind == "regex":
        pattern = _database_pattern(rule.value)
        return Q(title__iregex=pattern) | Q(text__iregex=pattern)
    return Q(title__icontains=rule.value) | Q(text__icontains=rule.value)


# An unescaped \b or \B (preceded by an even number of backslashes).
_WORD_BOUNDARY = re.compile(r"(?<!\\)((?:\\\\)*)\\([bB])")


def _database_pattern(pattern: str) -> str:
    """The pattern in the database's dialect: PostgreSQL writes word boundaries \\y and \\Y."""
    if connection.vendor != "postgresql":
        return pattern
    return _WORD_BOUNDARY.sub(lambda m: m.group(1) + ("\\y" if m.group(2) == "b" else "\\Y"), pattern)


def stored_filter_rules(text: str) -> list[FilterRule]:
    """The rules of a stored field, skipping (and logging) a line that no longer parses."""
    try:
        return parse_filter_rules(text, saving=False)
    except RuleError:
        good = []
        for number, line in enumerate((text or "").splitlines(), start=1):
            if line.strip():
                try:
                    good.append(_filter_rule(number, line.strip()[:MAX_LINE], saving=False))
                except RuleError as error:
                    log.warning("stored filter rule skipped: %s", error)
        return good[:MAX_RULES]


# --- rewrite rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RewriteRule:
    kind: str  # "strip-images", "remove" or "replace"
    selector: str = ""
    pattern: str = ""
    replacement: str = ""


_REPLACE = re.compile(r"^/(?P<pattern>.+)/\s*=>\s?(?P<text>.*)$")
IMAGE_ELEMENTS = "img, picture, figure, svg"


def parse_rewrite_rules(text: str) -> list[RewriteRule]:
    """The rules of a rewrite field; raises RuleError for the first line that cannot be used."""
    return [_rewrite_rule(number, line) for number, line in _lines(text)]


def _rewrite_rule(number: int, line: str) -> RewriteRule:
    head, _, rest = line.partition(":")
    keyword, rest = head.strip().lower(), rest.strip()
    if line.lower() in {"strip-images", "strip images"}:
        return RewriteRule("strip-images")
    if keyword == "remove":
        return RewriteRule("remove", selector=checked_selector(rest, f"line {number}"))
    if keyword == "replace":
        match = _REPLACE.match(rest)
        if match is None:
            raise RuleError(f"line {number}: write replace: /REGEX/ => TEXT")
        if any(unicodedata.category(char) == "Cc" for char in match["text"]):
            raise RuleError(f"line {number}: the replacement text may not hold control characters")
        return RewriteRule(
            "replace", pattern=checked_pattern(match["pattern"], number), replacement=match["text"]
        )
    raise RuleError(
        f"line {number}: {line[:60]!r} is no rewrite rule; use strip-images, remove: SELECTOR "
        "or replace: /REGEX/ => TEXT"
    )


def checked_selector(selector: str, where: str) -> str:
    """A CSS selector Newsdesk can use (pipeline.selectors); raises RuleError naming ``where`` otherwise."""
    if not selector:
        raise RuleError(f"{where}: say which elements, as a CSS selector")
    refused = validate_selector(selector)
    if refused:
        raise RuleError(f"{where}: {selector[:80]!r} is {refused}")
    return selector


def stored_rewrite_rules(text: str) -> list[RewriteRule]:
    """The rules of a stored field, skipping (and logging) a line that no longer parses."""
    good = []
    for number, line in enumerate((text or "").splitlines()[: MAX_RULES * 2], start=1):
        if line.strip():
            try:
                good.append(_rewrite_rule(number, line.strip()[:MAX_LINE]))
            except RuleError as error:
                log.warning("stored rewrite rule skipped: %s", error)
    return good[:MAX_RULES]


def rewrite_html(html: str, rules: list[RewriteRule]) -> str:
    """Sanitized HTML with the rules applied; replacements touch text nodes only, so no markup gets in."""
    if not rules or not html.strip():
        return html
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ParserError, LxmlError, ValueError):
        return html
    for rule in rules:
        if rule.kind == "strip-images":
            _remove(root, IMAGE_ELEMENTS)
        elif rule.kind == "remove":
            _remove(root, rule.selector)
        elif rule.kind == "replace":
            _replace_text(root, rule)
    # The wrapper's own text is a plain string: escaped here, as lxml escapes every other text.
    inner = [escape(root.text or "", quote=False)]
    return "".join(inner + [tostring(child, encoding="unicode", method="html") for child in root])


def rewrite_text(text: str, rules: list[RewriteRule]) -> str:
    """Plain text with the replace rules applied (images and elements are no part of plain text)."""
    for rule in rules:
        if rule.kind == "replace":
            text = _substitute(rule, text)
    return text


def _substitute(rule: RewriteRule, text: str) -> str:
    # The replacement is plain text: a backslash in it is a backslash, not a group reference; and
    # never a control character (XML text cannot hold one).
    replacement = "".join(char for char in rule.replacement if unicodedata.category(char) != "Cc")
    return re.sub(rule.pattern, lambda _match: replacement, text, flags=re.IGNORECASE)


def _remove(root: Any, selector: str) -> None:
    for element in compile_selector(selector)(root):
        if element is not root:
            element.drop_tree()


def _replace_text(root: Any, rule: RewriteRule) -> None:
    for element in root.iter():
        if element.text:
            element.text = _substitute(rule, element.text)
        if element.tail and element is not root:
            element.tail = _substitute(rule, element.tail)
