"""A reader's data out as one JSON file (``export_reader``) and back in (``import_reader``).

The file's format is ``exports.schema.ReaderFile``. Import merges into what the reader has and is
idempotent: importing the same file twice changes nothing the second time. Everything is matched
by what it is (a subscription by its feed, a follow by its target, a saved article or reading
state by its article, a comment by its target, time and text, a saved search by name and query,
an alert rule by name, kind and target), and a value the reader already has is kept: the file
fills in what is missing, it never overwrites.

A file is checked whole first (``parse``): a bad one raises ``BadFile`` saying where and why, and
nothing is stored. The import itself runs in one transaction, so it is all or nothing too. What
the file names that this desk does not have (an article it never stored, an outlet it does not
follow) is skipped and counted in the report; feeds are the exception: a subscription to a feed
the desk does not follow yet adds the feed (without fetching it: the scheduler refreshes it as
soon as it is due, which a new feed is at once).

Imported comments go through this desk's moderation: a reader whose comments wait for approval
here gets them pending, whatever they were elsewhere; a hidden comment stays hidden. Alert rules
get a fresh webhook signing secret (secrets never leave the desk that made them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from pydantic import ValidationError

from newsdesk.api.records import iso
from newsdesk.community.actions import needs_approval
from newsdesk.community.models import Comment, CommentStatus
from newsdesk.community.threads import placement
from newsdesk.exports import schema
from newsdesk.news import jobs
from newsdesk.news.models import Article, ArticleURL, Entity, Feed, Source, Story, Tag
from newsdesk.readers import rules
from newsdesk.readers.models import (
    FOLLOW_FIELDS,
    AlertRule,
    Folder,
    Follow,
    ReadState,
    SavedArticle,
    SavedSearch,
    Subscription,
)

#: The largest file the web page and the CLI read (a reader with a long history is a few MB).
MAX_BYTES = 50 * 1024 * 1024
#: Rows looked up or written per query.
CHUNK = 500
#: Errors a refused file's message lists (the rest counted).
SHOWN_ERRORS = 10


class BadFile(ValueError):
    """A file that is not a reader data file; the message says where and why."""


# --- export ------------------------------------------------------------------------------------


def export_reader(user: Any) -> dict[str, Any]:
    """Everything ``user`` keeps, as a ``ReaderFile`` document (plain JSON types)."""
    stories = _StoryRefs()
    document: dict[str, Any] = {
        "format": schema.FORMAT,
        "version": schema.VERSION,
        "exported_at": iso(timezone.now()),
        "username": user.get_username(),
        "folders": [{"name": f.name} for f in Folder.objects.filter(user=user).order_by("name", "id")],
        "subscriptions": [_subscription_out(s) for s in _subscriptions(user)],
        "follows": [_follow_out(f, stories) for f in _follows(user)],
        "saved_articles": [
            {"url": url, "saved_at": iso(saved_at)}
            for url, saved_at in SavedArticle.objects.filter(user=user)
            .order_by("saved_at", "id")
            .values_list("article__url", "saved_at")
        ],
        "reading_state": [
            {"url": url, "read_at": iso(read_at), "opened_at": iso(opened_at)}
            for url, read_at, opened_at in ReadState.objects.filter(user=user)
            .order_by("id")
            .values_list("article__url", "read_at", "opened_at")
        ],
        "comments": _comments_out(user, stories),
        "saved_searches": [
            {"name": s.name, "query": s.query} for s in SavedSearch.objects.filter(user=user).order_by("id")
        ],
        "alert_rules": [_rule_out(r) for r in _rules(user)],
    }
    stories.fill(document)
    return document


def _subscriptions(user: Any) -> Iterable[Subscription]:
    return Subscription.objects.filter(user=user).select_related("feed__source", "folder").order_by("id")


def _subscription_out(sub: Subscription) -> dict[str, Any]:
    return {
        "feed_url": sub.feed.url,
        "feed_title": sub.feed.title,
        "site": sub.feed.source.homepage or None,
        "title": sub.title,
        "folder": sub.folder.name if sub.folder else None,
        "block_rules": sub.block_rules,
        "keep_rules": sub.keep_rules,
        "rewrite_rules": sub.rewrite_rules,
    }


def _follows(user: Any) -> Iterable[Follow]:
    return Follow.objects.filter(user=user).select_related(*FOLLOW_FIELDS.values()).order_by("id")


def _entity_ref(entity: Entity) -> dict[str, str]:
    return {"name": entity.name, "kind": entity.kind}


def _follow_out(follow: Follow, stories: _StoryRefs) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": follow.kind, "created_at": iso(follow.created_at)}
    target: Any = follow.target
    if follow.kind == "source":
        out["domain"] = target.domain
    elif follow.kind == "feed":
        out["feed_url"] = target.url
    elif follow.kind == "tag":
        out.update(tag=target.slug, tag_name=target.name)
    elif follow.kind == "entity":
        out["entity"] = _entity_ref(target)
    else:
        out["story"] = stories.wanted(target.pk)
    return out


def _comments_out(user: Any, stories: _StoryRefs) -> list[dict[str, Any]]:
    """The reader's comments that still stand (deleted ones have no text left), oldest first."""
    mine = list(
        Comment.objects.filter(author=user, deleted_at__isnull=True)
        .select_related("content_type", "reply_to__author")
        .order_by("created_at", "id")
    )
    article_type = ContentType.objects.get_for_model(Article)
    urls = dict(
        Article.objects.filter(
            pk__in=[c.object_id for c in mine if c.content_type_id == article_type.pk]
        ).values_list("id", "url")
    )
    out = []
    for comment in mine:
        if comment.content_type_id == article_type.pk:
            if comment.object_id not in urls:
                continue
            on: dict[str, Any] = {"type": "article", "url": urls[comment.object_id]}
        else:
            on = {"type": "story", "story": stories.wanted(comment.object_id)}
        out.append(
            {
                "on": on,
                "body": comment.body,
                "created_at": iso(comment.created_at),
                "edited_at": iso(comment.edited_at),
                "status": comment.status,
                "reply_to": _reply_out(comment, user),
            }
        )
    return out


def _reply_out(comment: Comment, user: Any) -> dict[str, Any] | None:
    answered = comment.reply_to
    if answered is None:
        return None
    author = answered.author
    return {
        "mine": answered.author_id == user.pk,
        "author": author.get_username() if author else None,
        "created_at": iso(answered.created_at),
    }


def _rules(user: Any) -> Iterable[AlertRule]:
    return (
        AlertRule.objects.filter(user=user)
        .select_related("tag", "entity", "source", "saved_search")
        .order_by("id")
    )


def _rule_out(rule: AlertRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "kind": rule.kind,
        "keyword": rule.keyword,
        "tag": rule.tag.slug if rule.tag else None,
        "entity": _entity_ref(rule.entity) if rule.entity else None,
        "source": rule.source.domain if rule.source else None,
        "saved_search": rule.saved_search.name if rule.saved_search else None,
        "email": rule.email,
        "webhook_url": rule.webhook_url or None,
        "active": rule.active,
    }


class _StoryRefs:
    """Stories named by the URLs of their first articles, looked up for all of them in one query."""

    PER_STORY = 5

    def __init__(self) -> None:
        self.refs: dict[int, dict[str, list[str]]] = {}

    def wanted(self, story_id: int) -> dict[str, list[str]]:
        return self.refs.setdefault(story_id, {"article_urls": []})

    def fill(self, document: dict[str, Any]) -> None:
        rows = (
            Article.objects.filter(story_id__in=list(self.refs))
            .order_by("story_id", "sort_at", "id")
            .values_list("story_id", "url")
        )
        for story_id, url in rows:
            urls = self.refs[story_id]["article_urls"]
            if len(urls) < self.PER_STORY:
                urls.append(url)
        # A story with no article left cannot be named on any desk: its follows and comments go.
        document["follows"] = [f for f in document["follows"] if f.get("story") != {"article_urls": []}]
        document["comments"] = [
            c for c in document["comments"] if c["on"].get("story") != {"article_urls": []}
        ]


# --- import: reading the file ----------------------------------------------------------------------


def parse(content: bytes | str) -> schema.ReaderFile:
    """The file checked whole; raises BadFile listing the first problems, each with its place."""
    if len(content) > MAX_BYTES:
        raise BadFile(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        document = schema.ReaderFile.model_validate_json(content)
    except ValidationError as error:
        raise BadFile(_explain(error)) from None
    for n, subscription in enumerate(document.subscriptions):
        _check_rules(n, subscription)
    return document


def _explain(error: ValidationError) -> str:
    problems = error.errors(include_url=False)
    lines = [f"{_place(p['loc'])}: {p['msg']}" for p in problems[:SHOWN_ERRORS]]
    if problems and problems[0]["type"] == "json_invalid":
        return "not a JSON file: " + problems[0]["msg"]
    more = len(problems) - SHOWN_ERRORS
    return "not a Newsdesk reader file: " + "; ".join(lines) + (f" (and {more} more)" if more > 0 else "")


def _place(location: tuple[int | str, ...]) -> str:
    """``("subscriptions", 3, "feed_url")`` as ``subscriptions[3].feed_url``."""
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the file"


# --- import: storing it ---------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did, per section: ``added``, ``kept`` (already there) and ``skipped``."""

    added: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"added": dict(self.added), "kept": dict(self.kept), "skipped": dict(self.skipped)}

    def lines(self) -> list[str]:
        sections = sorted(set(self.added) | set(self.kept) | set(self.skipped))
        return [
            f"{name.replace('_', ' ')}: {self.added[name]} added, {self.kept[name]} already there"
            + (f", {self.skipped[name]} skipped (not on this desk)" if self.skipped[name] else "")
            for name in sections
        ]


def import_reader(user: Any, content: bytes | str) -> ImportReport:
    """Merge the file into ``user``'s data; raises BadFile (and stores nothing) for a bad file."""
    document = parse(content)
    report = ImportReport()
    with transaction.atomic():
        _Importer(user, report).run(document)
    return report


class _Importer:
    def __init__(self, user: Any, report: ImportReport) -> None:
        self.user = user
        self.report = report
        self.articles = _ArticleFinder()

    def count(self, section: str, created: bool | None) -> None:
        """``created``: True added, False already there, None skipped."""
        target = {True: self.report.added, False: self.report.kept, None: self.report.skipped}[created]
        target[section] += 1

    def run(self, document: schema.ReaderFile) -> None:
        self.articles.want(_article_urls(document))
        folders = self.folders(document)
        self.subscriptions(document.subscriptions, folders)
        self.follows(document.follows)
        self.saved(document.saved_articles)
        self.reading_state(document.reading_state)
        searches = self.saved_searches(document.saved_searches)
        self.alert_rules(document.alert_rules, searches)
        self.comments(document.comments)

    # Each section -----------------------------------------------------------------------------

    def folders(self, document: schema.ReaderFile) -> dict[str, Folder]:
        names = {f.name for f in document.folders} | {s.folder for s in document.subscriptions if s.folder}
        found = {f.name: f for f in Folder.objects.filter(user=self.user, name__in=names)}
        for name in sorted(names):
            created = name not in found
            if created:
                found[name] = Folder.objects.create(user=self.user, name=name)
            self.count("folders", created)
        return found

    def subscriptions(self, subscriptions: list[schema.Subscription], folders: dict[str, Folder]) -> None:
        for item in subscriptions:
            feed = _feed(item.feed_url, title=item.feed_title, site=item.site)
            folder = folders.get(item.folder) if item.folder else None
            sub, created = Subscription.objects.get_or_create(
                user=self.user,
                feed=feed,
                defaults={
                    "folder": folder,
                    "title": item.title,
                    "block_rules": item.block_rules,
                    "keep_rules": item.keep_rules,
                    "rewrite_rules": item.rewrite_rules,
                },
            )
            if not created:
                _fill_empty(
                    sub,
                    folder=folder,
                    title=item.title,
                    block_rules=item.block_rules,
                    keep_rules=item.keep_rules,
                    rewrite_rules=item.rewrite_rules,
                )
            self.count("subscriptions", created)

    def follows(self, follows: list[schema.Follow]) -> None:
        for item in follows:
            target = self.follow_target(item)
            if target is None:
                self.count("follows", None)
                continue
            if isinstance(target, Feed):  # a followed feed is a subscription (readers.reading)
                created = Subscription.objects.get_or_create(user=self.user, feed=target)[1]
                self.count("follows", created)
                continue
            _, created = Follow.objects.get_or_create(
                user=self.user,
                kind=item.kind,
                **{FOLLOW_FIELDS[item.kind]: target},
                defaults={"created_at": item.created_at or timezone.now()},
            )
            self.count("follows", created)

    def follow_target(self, item: schema.Follow) -> Model | None:
        if item.kind == "source":
            return Source.objects.filter(domain=item.domain).first()
        if item.kind == "feed":
            assert item.feed_url is not None
            return _feed(item.feed_url)
        if item.kind == "tag":
            assert item.tag is not None
            return _tag(item.tag, item.tag_name)
        if item.kind == "entity":
            assert item.entity is not None
            return _entity(item.entity)
        assert item.story is not None
        return self.story(item.story)

    def story(self, ref: schema.StoryRef) -> Story | None:
        for url in ref.article_urls:
            article = self.articles.get(url)
            if article is not None and article.story_id:
                return _current_story(article.story_id)
        return None

    def saved(self, items: list[schema.Saved]) -> None:
        have = set(SavedArticle.objects.filter(user=self.user).values_list("article_id", flat=True))
        new = []
        for item in items:
            article = self.articles.get(item.url)
            if article is None or article.pk in have:
                self.count("saved_articles", None if article is None else False)
                continue
            have.add(article.pk)
            new.append(SavedArticle(user=self.user, article_id=article.pk, saved_at=item.saved_at))
            self.count("saved_articles", True)
        SavedArticle.objects.bulk_create(new, batch_size=CHUNK)

    def reading_state(self, items: list[schema.ReadState]) -> None:
        wanted: dict[int, schema.ReadState] = {}
        for item in items:
            article = self.articles.get(item.url)
            if article is None:
                self.count("reading_state", None)
            else:
                wanted[article.pk] = item
        for ids in _chunked(list(wanted)):
            existing = {s.article_id: s for s in ReadState.objects.filter(user=self.user, article_id__in=ids)}
            new, changed = [], []
            for pk in ids:
                item, state = wanted[pk], existing.get(pk)
                if state is None:
                    new.append(
                        ReadState(
                            user=self.user, article_id=pk, read_at=item.read_at, opened_at=item.opened_at
                        )
                    )
                elif _fill_moments(state, item):
                    changed.append(state)
                self.count("reading_state", state is None)
            ReadState.objects.bulk_create(new)
            ReadState.objects.bulk_update(changed, ["read_at", "opened_at"])

    def saved_searches(self, items: list[schema.SavedSearch]) -> dict[str, SavedSearch]:
        by_name: dict[str, SavedSearch] = {}
        for item in items:
            search, created = SavedSearch.objects.get_or_create(
                user=self.user, name=item.name, query=item.query
            )
            by_name.setdefault(item.name, search)
            self.count("saved_searches", created)
        for search in SavedSearch.objects.filter(user=self.user).order_by("id"):
            by_name.setdefault(search.name, search)
        return by_name

    def alert_rules(self, items: list[schema.AlertRule], searches: dict[str, SavedSearch]) -> None:
        for item in items:
            targets = {
                "tag": _tag(item.tag, "") if item.tag else None,
                "entity": _entity(item.entity) if item.entity else None,
                "source": Source.objects.filter(domain=item.source).first() if item.source else None,
                "saved_search": searches.get(item.saved_search) if item.saved_search else None,
            }
            named = {
                "tag": item.tag,
                "entity": item.entity,
                "source": item.source,
                "saved_search": item.saved_search,
            }
            if any(named[k] and targets[k] is None for k in targets):
                self.count("alert_rules", None)
                continue
            _, created = AlertRule.objects.get_or_create(
                user=self.user,
                name=item.name,
                kind=item.kind,
                keyword=item.keyword,
                **targets,
                defaults={"email": item.email, "webhook_url": item.webhook_url or "", "active": item.active},
            )
            self.count("alert_rules", created)

    def comments(self, items: list[schema.Comment]) -> None:
        article_type = ContentType.objects.get_for_model(Article)
        story_type = ContentType.objects.get_for_model(Story)
        pending = needs_approval(self.user)
        for item in sorted(items, key=lambda c: c.created_at):
            target = self.comment_target(item.on)
            if target is None:
                self.count("comments", None)
                continue
            kind = article_type if isinstance(target, Article) else story_type
            same = Comment.objects.filter(
                author=self.user,
                content_type=kind,
                object_id=target.pk,
                created_at=item.created_at,
                body=item.body,
            )
            if same.exists():
                self.count("comments", False)
                continue
            self.add_comment(item, kind, target, pending)
            self.count("comments", True)

    def comment_target(self, on: schema.CommentTarget) -> Model | None:
        if on.type == "article":
            assert on.url is not None
            return self.articles.get(on.url)
        assert on.story is not None
        return self.story(on.story)

    def add_comment(self, item: schema.Comment, kind: ContentType, target: Model, pending: bool) -> None:
        from newsdesk.community.markdown import render_comment

        answered = self.answered(item.reply_to, kind, target)
        shown_under, depth = placement(answered)
        if item.status == "hidden":
            status = CommentStatus.HIDDEN
        else:
            status = CommentStatus.PENDING if pending else CommentStatus.PUBLISHED
        Comment.objects.create(
            content_type=kind,
            object_id=target.pk,
            author=self.user,
            parent=shown_under,
            reply_to=answered,
            depth=depth,
            body=item.body,
            body_html=render_comment(item.body),
            status=status,
            created_at=item.created_at,
            edited_at=item.edited_at,
        )

    def answered(self, reply: schema.ReplyTo | None, kind: ContentType, target: Model) -> Comment | None:
        """The comment this one answers, on the same page: the reader's own, else its author's."""
        if reply is None:
            return None
        on_page = Comment.objects.filter(content_type=kind, object_id=target.pk, created_at=reply.created_at)
        if reply.mine:
            return on_page.filter(author=self.user).first()
        if reply.author:
            return on_page.filter(author__username=reply.author).first()
        return None


# --- helpers ---------------------------------------------------------------------------------------


def _article_urls(document: schema.ReaderFile) -> Iterator[str]:
    yield from (s.url for s in document.saved_articles)
    yield from (r.url for r in document.reading_state)
    for follow in document.follows:
        if follow.story:
            yield from follow.story.article_urls
    for comment in document.comments:
        if comment.on.url:
            yield comment.on.url
        if comment.on.story:
            yield from comment.on.story.article_urls


class _ArticleFinder:
    """Articles by any URL they were seen at: their canonical URL, else an earlier one (ArticleURL)."""

    def __init__(self) -> None:
        self.found: dict[str, Article] = {}

    def want(self, urls: Iterable[str]) -> None:
        missing = sorted(set(urls) - set(self.found))
        for chunk in _chunked(missing):
            for article in Article.objects.filter(url__in=chunk).only("id", "url", "story_id"):
                self.found[article.url] = article
            rest = [url for url in chunk if url not in self.found]
            links = (
                ArticleURL.objects.filter(url__in=rest)
                .select_related("article")
                .only("url", "article__id", "article__url", "article__story_id")
            )
            for link in links:
                self.found[link.url] = link.article

    def get(self, url: str) -> Article | None:
        return self.found.get(url)


def _chunked(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _feed(url: str, *, title: str = "", site: str | None = None) -> Feed:
    """The desk's feed at ``url``, added (not fetched: the scheduler refreshes a new feed at once)."""
    try:
        return jobs.add_feed_url(url, title=title, site=site)
    except ValueError as error:  # an address the desk cannot follow: the file is refused
        raise BadFile(f"the feed {url}: {error}") from None


def _tag(slug: str, name: str) -> Tag:
    """The hashtag with this slug; one the desk has not seen yet is made (it may come)."""
    tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name or slug})
    return tag


def _entity(ref: schema.EntityRef) -> Entity | None:
    """The entity of this name and kind (by the store's key, else by name)."""
    from newsdesk.pipeline.enrich.entities import canonical_key

    key = canonical_key(ref.name, ref.kind)[:300]
    return (
        Entity.objects.filter(Q(key=key) | Q(name=ref.name), kind=ref.kind)
        .order_by("-article_count", "id")
        .first()
    )


def _current_story(story_id: int) -> Story | None:
    story = Story.objects.filter(pk=story_id).first()
    for _ in range(5):  # a merged story goes on as the one it joined
        if story is None or story.merged_into_id is None:
            break
        story = Story.objects.filter(pk=story.merged_into_id).first()
    return story


def _fill_empty(row: Model, **values: Any) -> None:
    """Set the fields of ``row`` that are empty to the given values (those that are not empty)."""
    changed = [name for name, value in values.items() if value and not getattr(row, name)]
    for name in changed:
        setattr(row, name, values[name])
    if changed:
        row.save(update_fields=changed)


def _fill_moments(state: ReadState, item: schema.ReadState) -> bool:
    changed = False
    for name in ("read_at", "opened_at"):
        value: datetime | None = getattr(item, name)
        if value is not None and getattr(state, name) is None:
            setattr(state, name, value)
            changed = True
    return changed


def _check_rules(n: int, item: schema.Subscription) -> None:
    """A subscription's rules as the subscriptions page checks them; raises BadFile naming them."""
    try:
        rules.parse_filter_rules(item.block_rules)
        rules.parse_filter_rules(item.keep_rules)
        rules.parse_rewrite_rules(item.rewrite_rules)
    except rules.RuleError as error:
        raise BadFile(f"not a Newsdesk reader file: subscriptions[{n}] ({item.feed_url}): {error}") from None
