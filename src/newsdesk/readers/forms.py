"""Forms of the readers' pages: following a thing, alert rules, and subscriptions with their folders and rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from newsdesk.news.models import Entity, Source, Tag
from newsdesk.readers import rules, subscriptions
from newsdesk.readers.delivery import DeliveryError, check_webhook_url
from newsdesk.readers.models import AlertKind, AlertRule, FollowKind


class FollowForm(forms.Form):
    """What a follow or unfollow button posts."""

    kind = forms.ChoiceField(choices=FollowKind.choices)
    target = forms.IntegerField(min_value=1)


class AlertRuleForm(forms.ModelForm):
    """A rule: its kind picks which of keyword, hashtag, entity and outlet counts."""

    tag_name = forms.CharField(
        label="Hashtag", required=False, max_length=100, help_text="For a hashtag rule, e.g. #elections."
    )
    entity_name = forms.CharField(
        label="Person, organisation or place",
        required=False,
        max_length=300,
        help_text="For an entity rule: the name as Newsdesk shows it.",
    )
    source_name = forms.CharField(
        label="Outlet", required=False, max_length=253, help_text="For an outlet rule: its name or domain."
    )
    webhook_url = forms.URLField(
        label="Webhook URL",
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text="Optional: Newsdesk POSTs each match as JSON there, signed with this rule's secret.",
    )

    class Meta:
        model = AlertRule
        fields = ["name", "kind", "keyword", "email", "webhook_url", "active"]
        labels = {"email": "Email"}
        help_texts = {
            "keyword": "For a keyword rule: a word or phrase, matched as whole words in the title or text.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rule = self.instance
        if rule.pk:
            self.initial.setdefault("tag_name", rule.tag.name if rule.tag else "")
            self.initial.setdefault("entity_name", rule.entity.name if rule.entity else "")
            self.initial.setdefault("source_name", rule.source.name if rule.source else "")

    def clean_webhook_url(self) -> str:
        url: str = self.cleaned_data.get("webhook_url") or ""
        if url:
            try:
                check_webhook_url(url)
            except DeliveryError as refused:
                raise forms.ValidationError(str(refused)) from None
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        rule = self.instance
        rule.tag = rule.entity = rule.source = None
        if kind == AlertKind.KEYWORD:
            if not (data.get("keyword") or "").strip():
                self.add_error("keyword", "Say which word or phrase to look for.")
            data["keyword"] = (data.get("keyword") or "").strip()
        else:
            data["keyword"] = ""
        if kind == AlertKind.TAG:
            rule.tag = self._find("tag_name", _tag, "No hashtag of that name yet.")
        elif kind == AlertKind.ENTITY:
            rule.entity = self._find(
                "entity_name", _entity, "No person, organisation or place of that name yet."
            )
        elif kind == AlertKind.SOURCE:
            rule.source = self._find("source_name", _source, "No outlet of that name or domain yet.")
        return data

    def _find(self, field: str, lookup: Any, missing: str) -> Any:
        name = (self.cleaned_data.get(field) or "").strip()
        if not name:
            self.add_error(field, "This rule needs it.")
            return None
        found = lookup(name)
        if found is None:
            self.add_error(field, missing)
        return found


def _tag(name: str) -> Tag | None:
    name = name.lstrip("#")
    return Tag.objects.filter(Q(slug__iexact=name) | Q(name__iexact=name)).first()


def _entity(name: str) -> Entity | None:
    # The most mentioned first: "Paris" the city before a rare namesake.
    return Entity.objects.filter(name__iexact=name).order_by("-article_count", "id").first()


def _source(name: str) -> Source | None:
    return Source.objects.filter(Q(domain__iexact=name) | Q(name__iexact=name)).first()


# --- subscriptions -------------------------------------------------------------------------------

#: The largest OPML file an import reads (a list of thousands of feeds is well under it).
OPML_MAX_BYTES = 2 * 1024 * 1024


class MarksErrors(forms.Form):
    """A form whose fields with errors say so to assistive technology, the first taking the focus."""

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        marked = [name for name in self.errors if name in self.fields]
        focused = any("autofocus" in self.fields[name].widget.attrs for name in self.fields)
        for name in marked:
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            if not focused:
                attrs["autofocus"] = True
                focused = True


class FolderNameField(forms.CharField):
    """A folder's name, typed (an existing one from the list the page offers, or a new one)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", subscriptions.FOLDER_NAME_MAX)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Folder")
        kwargs.setdefault("help_text", "An existing folder or a new name; empty: no folder.")
        kwargs.setdefault("widget", forms.TextInput(attrs={"list": "folder-names", "autocomplete": "off"}))
        super().__init__(**kwargs)


class AddSubscriptionForm(MarksErrors):
    """Subscribe by address: a feed's, or a page's that announces one."""

    url = forms.CharField(
        label="Feed or website address",
        max_length=subscriptions.URL_MAX,
        help_text="A feed (RSS, Atom, JSON Feed) or a page that links to one, e.g. https://example.org/.",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url", "placeholder": "https://"}),
    )
    folder = FolderNameField()


class SubscriptionForm(MarksErrors):
    """The reader's name for a subscription and its folder."""

    title = forms.CharField(
        label="Name",
        required=False,
        max_length=subscriptions.TITLE_MAX,
        help_text="Empty: the feed's own title.",
    )
    folder = FolderNameField()


class RulesForm(MarksErrors):
    """Block, keep and rewrite rules, checked line by line (readers.rules) before anything is kept."""

    block_rules = forms.CharField(
        label="Hide items that match",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One rule a line: a word or phrase, /a regular expression/, or author:NAME.",
    )
    keep_rules = forms.CharField(
        label="Show only items that match",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Same rules; empty shows everything that is not hidden.",
    )
    rewrite_rules = forms.CharField(
        label="Rewrite what I am shown",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line: strip-images, remove: CSS SELECTOR, replace: /REGEX/ => TEXT.",
    )

    def clean_block_rules(self) -> str:
        return self._checked("block_rules", rules.parse_filter_rules)

    def clean_keep_rules(self) -> str:
        return self._checked("keep_rules", rules.parse_filter_rules)

    def clean_rewrite_rules(self) -> str:
        return self._checked("rewrite_rules", rules.parse_rewrite_rules)

    def _checked(self, name: str, parse: Any) -> str:
        text: str = self.cleaned_data.get(name) or ""
        try:
            parse(text)
        except rules.RuleError as error:
            raise forms.ValidationError(str(error)) from None
        return text


class FetchOptionsForm(MarksErrors):
    """How the feed is fetched, for everyone who reads it (only staff or its only subscriber may change it)."""

    user_agent = forms.CharField(
        label="User agent",
        required=False,
        max_length=300,
        help_text="Sent when fetching this feed and its pages; empty: Newsdesk's own.",
    )
    fetch_full_text = forms.BooleanField(
        label="Fetch each item's page for its full text",
        required=False,
        help_text="Off: keep the text the feed carries.",
    )
    body_selector = forms.CharField(
        label="CSS selector of the article body",
        required=False,
        max_length=500,
        help_text="e.g. article .story-body; empty: Newsdesk finds the body itself.",
    )

    def clean_user_agent(self) -> str:
        try:
            return subscriptions.checked_user_agent(self.cleaned_data.get("user_agent") or "")
        except subscriptions.SubscriptionError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_body_selector(self) -> str:
        selector = (self.cleaned_data.get("body_selector") or "").strip()
        if selector:
            try:
                rules.checked_selector(selector, "The selector")
            except rules.RuleError as error:
                raise forms.ValidationError(str(error)) from None
        return selector


class FolderForm(MarksErrors):
    name = forms.CharField(label="Folder name", max_length=subscriptions.FOLDER_NAME_MAX)


class OpmlImportForm(MarksErrors):
    opml = forms.FileField(
        label="OPML file",
        help_text="Exported from another reader; its folders become yours.",
        widget=forms.ClearableFileInput(attrs={"accept": ".opml,.xml,text/x-opml,application/xml,text/xml"}),
    )

    def clean_opml(self) -> bytes:
        upload = self.cleaned_data["opml"]
        if upload.size > OPML_MAX_BYTES:
            raise forms.ValidationError(f"That file is larger than {OPML_MAX_BYTES // (1024 * 1024)} MB.")
        content: bytes = upload.read()
        return content
