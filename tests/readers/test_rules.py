"""readers.rules on hostile input (Hypothesis): every rule text parses or is refused with RuleError,
rewriting never raises nor lets markup in, and a filter matches what it says in the database."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

import tests.hypothesis_setup  # noqa: F401  (profiles)
from newsdesk.news.models import Article
from newsdesk.readers import rules
from tests.readers.conftest import MakeArticle

RULE_LINES = st.one_of(
    st.text(max_size=80),
    st.builds(lambda body: f"/{body}/", st.text(max_size=40)),
    st.builds(lambda name: f"author:{name}", st.text(max_size=30)),
    st.sampled_from(["strip-images", "remove:", "replace:", "replace: // =>", "remove: a[", "/(a+)+/"]),
    st.builds(lambda sel: f"remove: {sel}", st.text(max_size=30)),
    st.builds(lambda p, t: f"replace: /{p}/ => {t}", st.text(max_size=20), st.text(max_size=20)),
)
RULE_TEXT = st.lists(RULE_LINES, max_size=6).map("\n".join)


@given(RULE_TEXT)
def test_filter_rules_parse_or_are_refused_with_a_reason(text: str) -> None:
    try:
        parsed = rules.parse_filter_rules(text, saving=False)
    except rules.RuleError as refused:
        assert str(refused)
    else:
        assert all(rule.kind in {"keyword", "regex", "author"} and rule.value for rule in parsed)
        assert rules.stored_filter_rules(text) == parsed


@given(RULE_TEXT)
def test_rewrite_rules_parse_or_are_refused_with_a_reason(text: str) -> None:
    try:
        parsed = rules.parse_rewrite_rules(text)
    except rules.RuleError as refused:
        assert str(refused).startswith(("line ", "at most"))
    else:
        assert all(rule.kind in {"strip-images", "remove", "replace"} for rule in parsed)


HTML = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<img src=x>",
                "<figure>",
                "</figure>",
                "text",
                "&amp;",
                "<div class=ad>",
                "</div>",
                "<b>",
            ]
        ),
        max_size=20,
    ).map("".join),
)


@given(HTML, st.text(max_size=20))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_rewriting_never_raises_and_a_replacement_is_text_not_markup(html: str, replacement: str) -> None:
    replace = rules.RewriteRule(
        "replace", pattern="text|x", replacement=replacement + "<script>alert(1)</script>"
    )
    shown = rules.rewrite_html(html, [rules.RewriteRule("strip-images"), replace])
    assert "<script" not in shown and "<img" not in shown


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rule", "hidden"),
    [
        ("50% off", {"50% off today"}),  # LIKE's wildcards are literal
        ("a_b", {"a_b notes"}),
        ("/^weekly/", {"Weekly quiz"}),
        ("/\\bquiz\\b/", {"Weekly quiz"}),  # \\b is a word boundary on PostgreSQL too
        ("author:ola", {"Derby"}),
    ],
)
def test_a_filter_matches_what_it_says_in_the_database(
    make_article: MakeArticle, rule: str, hidden: set[str]
) -> None:
    for title, byline in [
        ("50% off today", ""),
        ("500 off", ""),
        ("a_b notes", ""),
        ("axb notes", ""),
        ("Weekly quiz", ""),
        ("quizzes weekly", ""),
        ("Derby", "Ola Berg"),
    ]:
        make_article(title, text="", byline=byline)
    matched = Article.objects.filter(rules.filter_q(rules.parse_filter_rules(rule)))
    assert set(matched.values_list("title", flat=True)) == hidden


def test_rewriting_keeps_what_no_rule_touches() -> None:
    page = '<p>One <a href="https://x.example/">link</a> and <em>more</em>.</p><aside class="ad">Buy</aside>'
    shown = rules.rewrite_html(page, rules.parse_rewrite_rules("remove: aside.ad"))
    assert lxml_html.fromstring(shown).text_content() == "One link and more."
    assert 'href="https://x.example/"' in shown
    assert rules.rewrite_html(page, []) == page
