"""The API's request and response shapes, as OpenAPI documents them and Schemathesis checks them.

Responses are the plain dicts of api/records.py (the CLI's --json gives the same); these schemas
describe and validate them on the way out.
"""

from __future__ import annotations

from ninja import Schema
from pydantic import Field


class Error(Schema):
    error: str
    status: int
    request_id: str | None = None


class SourceOut(Schema):
    id: int
    name: str
    domain: str
    homepage: str
    country: str | None
    language: str | None
    ownership: str


class StoryRef(Schema):
    id: int
    headline: str


class ArticleOut(Schema):
    id: int
    url: str
    title: str
    source: SourceOut
    byline: str | None
    published_at: str | None
    updated_at: str | None
    fetched_at: str | None
    language: str | None
    lead_image: str | None
    excerpt: str
    developing: bool
    story_id: int | None


class TagOut(Schema):
    name: str
    slug: str


class EntityOut(Schema):
    id: int
    name: str
    kind: str
    country: str | None
    lat: float | None
    lon: float | None
    article_count: int


class MentionOut(EntityOut):
    mentions: int


class QuoteOut(Schema):
    text: str
    speaker: str | None
    speaker_id: int | None
    anonymous: bool
    speaker_description: str | None
    direct: bool
    article_id: int


class AttributionOut(Schema):
    source: SourceOut
    cue: str | None


class ArticleDetail(ArticleOut):
    text: str
    summary: str | None
    story: StoryRef | None
    duplicate_of: int | None
    hashtags: list[TagOut]
    entities: list[MentionOut]
    places: list[MentionOut]
    quotes: list[QuoteOut]
    attributions: list[AttributionOut]


class ArticlePage(Schema):
    results: list[ArticleOut]
    next_cursor: str | None


class RelatedPage(Schema):
    results: list[ArticleOut]


class StoryOut(Schema):
    id: int
    headline: str
    article_count: int
    source_count: int
    first_published_at: str | None
    last_published_at: str | None
    developing: bool


class StoryPage(Schema):
    results: list[StoryOut]
    next_cursor: str | None
    next_offset: int | None


class PlaceOut(Schema):
    name: str
    lat: float | None
    lon: float | None
    country: str | None


class Coverage(Schema):
    by_outlet: dict[str, int]
    by_country: dict[str, int]
    by_ownership: dict[str, int]


class StoryQuoteOut(Schema):
    text: str
    speaker: str | None
    anonymous: bool
    speaker_description: str | None
    direct: bool
    article_id: int


class StoryDetail(StoryOut):
    articles: list[ArticleOut]
    more_articles: str | None = None
    merged_into: int | None
    first_reported_by: str | None
    coverage: Coverage
    quotes: list[StoryQuoteOut]
    places: list[PlaceOut]


class ChangedArticleOut(Schema):
    id: int
    title: str
    source: str
    first_seen: str


class ChangedOutletOut(Schema):
    id: int
    name: str


class DiffPieceOut(Schema):
    op: str = Field(description="equal, insert or delete")
    text: str


class EditOut(Schema):
    article_id: int
    source: str
    edited_at: str = Field(description="when the version current at since was replaced")
    last_edited_at: str
    versions: int = Field(description="versions replaced since")
    headline_changed: bool
    text_changed: bool
    old_title: str
    new_title: str
    diff: list[DiffPieceOut] = Field(
        description="word-level, unchanged runs cut to a few words; empty past the 20 most recently edited"
    )


class DevelopingChangeOut(Schema):
    article_id: int
    title: str
    source: str
    change: str = Field(description="set or cleared")


class StatementOut(Schema):
    article_id: int
    source: str
    speaker: str | None
    anonymous: bool
    text: str


class StoryChangesOut(Schema):
    story: StoryRef
    since: str
    summary: str
    new_articles: list[ChangedArticleOut]
    new_outlets: list[ChangedOutletOut]
    edits: list[EditOut]
    developing: list[DevelopingChangeOut]
    story_developing: str | None = Field(description="set, cleared, or null when as it was")
    statement_count: int
    statements: list[StatementOut]
    new_speakers: list[str]
    new_places: list[PlaceOut]


class TagRecord(TagOut):
    id: int


class TagPage(Schema):
    results: list[TagRecord]
    next_cursor: str | None


class EntityPage(Schema):
    results: list[EntityOut]
    next_cursor: str | None


class SourcePage(Schema):
    results: list[SourceOut]
    next_cursor: str | None


class FeedOut(Schema):
    id: int
    url: str
    title: str
    source: str
    source_id: int
    health: str
    last_success_at: str | None
    next_fetch_at: str | None
    consecutive_errors: int
    last_error: str | None
    disabled_reason: str | None


class FeedPage(Schema):
    results: list[FeedOut]
    next_cursor: str | None


class CommentOut(Schema):
    id: int
    author: str | None
    body: str
    body_html: str
    status: str
    parent_id: int | None
    reply_to_id: int | None
    created_at: str | None
    edited_at: str | None


class CommentPage(Schema):
    results: list[CommentOut]
    next_cursor: str | None


class CommentIn(Schema):
    body: str = Field(min_length=1, max_length=5000)
    parent: int | None = Field(default=None, ge=1, le=2**63 - 1)


# --- the reader's own -------------------------------------------------------------------------


class Me(Schema):
    id: int
    username: str
    email: str
    token: str | None = Field(description="the name of the token this request came with, if any")


class FollowOut(Schema):
    id: int
    kind: str
    target_id: int
    target_name: str
    created_at: str | None


class FollowPage(Schema):
    results: list[FollowOut]
    next_cursor: str | None


class FollowIn(Schema):
    kind: str = Field(description="source, feed, tag, entity or story")
    target: int = Field(ge=1, le=2**63 - 1, description="the id of the outlet, feed, tag, entity or story")


class SavedOut(Schema):
    saved_at: str | None
    article: ArticleOut


class SavedPage(Schema):
    results: list[SavedOut]
    next_cursor: str | None


class ReadStateOut(Schema):
    article_id: int
    read: bool
    read_at: str | None
    opened_at: str | None


class ReadStatePage(Schema):
    results: list[ReadStateOut]
    next_cursor: str | None


class AlertOut(Schema):
    id: int
    name: str
    kind: str
    keyword: str | None
    tag: str | None
    entity: str | None
    source: str | None
    email: str
    webhook_url: str | None
    active: bool
    created_at: str | None


class AlertPage(Schema):
    results: list[AlertOut]
    next_cursor: str | None


class AlertIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    kind: str = Field(description="keyword, tag, entity or source")
    keyword: str = Field(default="", max_length=100)
    tag_name: str = Field(default="", max_length=100, description="for a tag rule")
    entity_name: str = Field(default="", max_length=300, description="for an entity rule")
    source_name: str = Field(default="", max_length=253, description="for an outlet rule: name or domain")
    email: str = Field(default="off", description="off, instant or digest")
    webhook_url: str = Field(default="", max_length=2000)
    active: bool = True


class FolderOut(Schema):
    id: int
    name: str
    subscriptions: int


class FolderPage(Schema):
    results: list[FolderOut]
    next_cursor: str | None


class FolderIn(Schema):
    name: str = Field(min_length=1, max_length=200)


class SubscriptionOut(Schema):
    id: int
    name: str
    title: str | None
    folder_id: int | None
    folder: str | None
    feed: FeedOut


class SubscriptionPage(Schema):
    results: list[SubscriptionOut]
    next_cursor: str | None


class SubscriptionIn(Schema):
    feed: int = Field(ge=1, le=2**63 - 1, description="the id of a feed the desk already fetches")
    title: str = Field(default="", max_length=500)
    folder: int | None = Field(default=None, ge=1, le=2**63 - 1)


class SubscriptionChange(Schema):
    title: str | None = Field(default=None, max_length=500)
    folder: int | None = Field(default=None, ge=0, le=2**63 - 1, description="0: out of any folder")


class SearchHit(Schema):
    article: ArticleOut
    score: float
    story_id: int | None
    title_html: str = Field(description="the title, HTML-escaped, matches in <mark>")
    snippet_html: str = Field(description="the best passage, HTML-escaped, matches in <mark>")


class SearchPage(Schema):
    results: list[SearchHit]
    next_cursor: str | None


# --- statements (news/statements.py) -------------------------------------------------------------


class WordChangeOut(Schema):
    op: str = Field(description="equal, replace, delete or insert (difflib's opcodes)")
    earliest: str = Field(description="the words of the earliest direct appearance")
    these: str = Field(description="the words of this appearance")


class AppearanceOut(Schema):
    quote_id: int
    article_id: int
    source: str
    published: str
    kind: str = Field(description="verbatim, trimmed or paraphrased, against the statement's earliest words")
    direct: bool
    text: str
    context: str = Field(description="the words before the quote in its article")
    difference: list[WordChangeOut] = Field(
        description="word-level difference from the earliest direct appearance (a misquote); empty when none"
    )


class StatementGroupOut(Schema):
    speaker: str
    speaker_id: int | None
    anonymous: bool
    text: str = Field(description="the earliest appearance's words")
    outlets: int
    misquoted: bool
    first_reported: AppearanceOut
    appearances: list[AppearanceOut] = Field(description="earliest first")


class OutletSourcesOut(Schema):
    outlet: str
    named: int
    anonymous: int


class StoryStatementsOut(Schema):
    story: StoryRef
    statements: list[StatementGroupOut] = Field(description="reported by most outlets first")
    sources: list[OutletSourcesOut] = Field(description="named and anonymous sources quoted, per outlet")
    more: int = Field(description="statements left out (those reported by fewest outlets)")


class EntityStatementsOut(Schema):
    entity: EntityOut
    statements: list[StatementGroupOut] = Field(description="newest first reported first")


# --- copy chains (news/lineage.py) ---------------------------------------------------------------


class LineageReportOut(Schema):
    id: int
    title: str
    source_id: int
    outlet: str
    published: str
    in_story: bool = Field(description="false: an original outside this story that a member copies")


class WordPieceOut(Schema):
    op: str = Field(description="equal, insert or delete (a word-level diff against the parent)")
    text: str


class LineageCopyOut(LineageReportOut):
    parent_id: int = Field(description="the report this one copies (the original, or a copy of it)")
    depth: int = Field(description="1: copies the original; 2: copies a copy; ...")
    read: bool = Field(description="false: beyond the texts compared, so no diff or credit")
    credits_original: bool | None = Field(description="the copy credits the original's outlet")
    credited: str | None = Field(description="the outlet the copy credits, when one")
    change: float = Field(description="share of words changed against its parent, 0 to 1")
    kind: str | None = Field(description="verbatim, edited or rewritten")
    diff: list[WordPieceOut]


class CopyGroupOut(Schema):
    original: LineageReportOut
    reason: str = Field(
        description="why it is the original: credited (its copies credit its outlet) or earliest"
    )
    stored_original_id: int | None = Field(
        description="the original the near-copy finder linked, when it differs"
    )
    copies: list[LineageCopyOut]


class StoryLineageOut(Schema):
    story_id: int
    articles: int
    independent: int = Field(description="reports that copy no other: the story's sources")
    copies: int = Field(description="near-copies (reprints, lightly edited wire copy)")
    group_count: int
    groups: list[CopyGroupOut] = Field(description="the largest groups of copies first")


# --- reliance (news/reliance.py) -----------------------------------------------------------------


class RelianceSourceOut(Schema):
    id: int
    name: str
    domain: str
    country: str | None
    ownership: str


class RelianceArticleOut(Schema):
    id: int
    title: str
    url: str
    published_at: str | None
    source: RelianceSourceOut
    story_id: int | None


class CitationOut(Schema):
    source: RelianceSourceOut
    cue: str | None = Field(description="the words that cite it ('according to')")
    kind: str = Field(description="report, credit, wire, interview or copy")
    strength: str = Field(
        description="rests (in the headline or lead, repeated, credited), mentions, or unknown"
    )
    article: RelianceArticleOut | None = Field(
        description="the cited outlet's report on the event, when found"
    )
    in_story: bool


class RelianceReportOut(Schema):
    article: RelianceArticleOut
    first: bool
    root: bool = Field(description="rests on no other outlet")
    anonymous_only: bool = Field(description="its quotes are all anonymous, and it cites no outlet")
    named: int
    anonymous: int
    cites: list[CitationOut]
    cited_by: list[int] = Field(description="ids of the story's reports that cite this one")


class RelianceEdgeOut(Schema):
    from_: int = Field(alias="from", description="the citing report")
    to: int | None = Field(description="the cited report; null when Newsdesk has none")
    source_id: int
    kind: str
    strength: str
    in_story: bool


class StoryRelianceOut(Schema):
    story_id: int
    first: RelianceArticleOut | None
    credited: list[RelianceSourceOut] = Field(description="outlets the story's copies credit")
    named: int
    anonymous: int
    reports: list[RelianceReportOut] = Field(description="oldest first")
    edges: list[RelianceEdgeOut]
    roots: list[int]
    anonymous_only: list[int]
    unfound: list[RelianceSourceOut] = Field(description="cited outlets whose report Newsdesk does not have")
    more: int


# --- framing (news/framing.py) -------------------------------------------------------------------


class TermOutletOut(Schema):
    outlet: str
    source_id: int | None
    preferred: str = Field(description="the term this outlet uses most")
    uses: dict[str, int]


class TermChoiceOut(Schema):
    id: str
    kind: str = Field(description="place, label (from the lexicon) or aligned (found in the texts)")
    description: str
    terms: list[str]
    divergent: bool = Field(description="the outlets' most used terms differ")
    outlets: list[TermOutletOut]
    example: str | None = None


class SayingOut(Schema):
    outlet: str
    source_id: int | None
    neutral: int
    loaded: int
    loaded_share: float
    loaded_verbs: dict[str, int]
    from_: str = Field(alias="from", description="text or quotes: where the verbs were read")


class FramingReadOut(Schema):
    articles: int
    outlets: int
    per_outlet: int
    max_outlets: int
    characters: int


class CountryCountOut(Schema):
    country: str | None
    name: str
    outlets: int


class OwnershipCountOut(Schema):
    ownership: str
    label: str
    outlets: int


class BlindspotOut(Schema):
    kind: str = Field(description="country or ownership")
    value: str
    label: str
    known: int
    outlets: int
    others_followed: int
    text: str


class BalanceOut(Schema):
    outlets: int
    by_country: list[CountryCountOut]
    by_ownership: list[OwnershipCountOut]
    blindspot: bool
    blindspots: list[BlindspotOut]
    one_country_desk: bool
    one_ownership_desk: bool


class StoryFramingOut(Schema):
    story: int
    read: FramingReadOut
    contested: list[TermChoiceOut]
    aligned: list[TermChoiceOut]
    saying: list[SayingOut]
    balance: BalanceOut
