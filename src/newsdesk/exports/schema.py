"""The reader data file: one JSON document, described and checked by these pydantic models.

What one reader keeps (subscriptions with folders, follows, saved articles, reading state,
comments, alert rules, saved searches) names everything by what another desk can find it by,
never by this desk's ids: an article by its URL, an outlet by its domain, a feed by its URL, a
hashtag by its slug, an entity by its name and kind, a story by the URLs of its first articles.

A file is checked whole before anything is stored: its format and version, every field's type
and bounds, no unknown field (a typo is an error, not data silently dropped), no NUL (PostgreSQL
cannot store it), web addresses that are http(s). ``ReaderFile.model_json_schema()`` is the
JSON Schema of the format.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

FORMAT = "newsdesk-reader"
VERSION = 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _web_address(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http or https address")
    return value


def _bounded(low: int, high: int) -> StringConstraints:
    return StringConstraints(min_length=low, max_length=high)


_PLAIN = AfterValidator(_no_nul)
Url = Annotated[str, _bounded(1, 2000), _PLAIN, AfterValidator(_web_address)]
Name = Annotated[str, _bounded(1, 200), _PLAIN]  # folders, saved searches
Label = Annotated[str, _bounded(1, 100), _PLAIN]  # hashtags, alert rule names
Keyword = Annotated[str, _bounded(0, 100), _PLAIN]
Username = Annotated[str, _bounded(0, 150), _PLAIN]
Domain = Annotated[str, _bounded(1, 253), _PLAIN]
EntityName = Annotated[str, _bounded(1, 300), _PLAIN]
Title = Annotated[str, _bounded(0, 500), _PLAIN]
Query = Annotated[str, _bounded(0, 2000), _PLAIN]
Body = Annotated[str, _bounded(1, 5000), _PLAIN]
Rules = Annotated[str, _bounded(0, 20_000), _PLAIN]
Moment = AwareDatetime


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoryRef(Part):
    """A story, by the URLs of its first articles (any one of them that this desk has finds it)."""

    article_urls: list[Url] = Field(min_length=1, max_length=5)


class EntityRef(Part):
    name: EntityName
    kind: Literal["person", "organisation", "place", "other"]


class Folder(Part):
    name: Name


class Subscription(Part):
    feed_url: Url
    feed_title: Title = ""
    site: Url | None = None
    title: Title = ""
    folder: Name | None = None
    block_rules: Rules = ""
    keep_rules: Rules = ""
    rewrite_rules: Rules = ""


#: The field that names a follow's target, by its kind.
FOLLOW_TARGETS = {"source": "domain", "feed": "feed_url", "tag": "tag", "entity": "entity", "story": "story"}


class Follow(Part):
    """One follow: ``kind`` says which one of the other fields names its target."""

    kind: Literal["source", "feed", "tag", "entity", "story"]
    domain: Domain | None = None
    feed_url: Url | None = None
    tag: Label | None = None
    tag_name: Keyword = ""
    entity: EntityRef | None = None
    story: StoryRef | None = None
    created_at: Moment | None = None

    @model_validator(mode="after")
    def _names_its_target(self) -> Follow:
        field = FOLLOW_TARGETS[self.kind]
        if getattr(self, field) is None:
            raise ValueError(f"a {self.kind} follow needs its {field}")
        return self


class Saved(Part):
    url: Url
    saved_at: Moment


class ReadState(Part):
    url: Url
    read_at: Moment | None = None
    opened_at: Moment | None = None


class CommentTarget(Part):
    type: Literal["article", "story"]
    url: Url | None = None  # an article's
    story: StoryRef | None = None

    @model_validator(mode="after")
    def _one_target(self) -> CommentTarget:
        if (self.url is None) == (self.type == "article") or (self.story is None) == (self.type == "story"):
            raise ValueError("an article target needs its url, a story target its story, and nothing else")
        return self


class ReplyTo(Part):
    """The comment a comment answers: the reader's own (``mine``) or someone's, by author and time."""

    mine: bool
    author: Username | None = None
    created_at: Moment


class Comment(Part):
    on: CommentTarget
    body: Body
    created_at: Moment
    edited_at: Moment | None = None
    status: Literal["published", "pending", "hidden"] = "published"
    reply_to: ReplyTo | None = None


class SavedSearch(Part):
    name: Name
    query: Query


class AlertRule(Part):
    name: Label
    kind: Literal["keyword", "tag", "entity", "source", "story", "search"]
    keyword: Keyword = ""
    tag: Label | None = None
    entity: EntityRef | None = None
    source: Domain | None = None
    saved_search: Name | None = None
    email: Literal["off", "instant", "digest"] = "off"
    webhook_url: Url | None = None
    active: bool = True


class ReaderFile(Part):
    """The whole file."""

    format: Literal["newsdesk-reader"]
    version: Literal[1]
    exported_at: Moment | None = None
    username: Username = ""
    folders: list[Folder] = Field(default_factory=list, max_length=10_000)
    subscriptions: list[Subscription] = Field(default_factory=list, max_length=100_000)
    follows: list[Follow] = Field(default_factory=list, max_length=100_000)
    saved_articles: list[Saved] = Field(default_factory=list, max_length=1_000_000)
    reading_state: list[ReadState] = Field(default_factory=list, max_length=2_000_000)
    comments: list[Comment] = Field(default_factory=list, max_length=1_000_000)
    saved_searches: list[SavedSearch] = Field(default_factory=list, max_length=10_000)
    alert_rules: list[AlertRule] = Field(default_factory=list, max_length=10_000)
