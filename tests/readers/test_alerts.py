"""Alert rules: matching on enrichment and story updates, in-app notifications, email, signed
webhooks to a real server on 127.0.0.1 with retries and backoff, and the daily digest."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news.models import Article, Entity, Source, Story, Tag
from newsdesk.news.signals import article_enriched, story_updated
from newsdesk.readers import alerts, delivery, digest, reading
from newsdesk.readers import tasks as reader_tasks
from newsdesk.readers.models import (
    AlertKind,
    AlertRule,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    EmailMode,
    Notification,
)
from tests.readers.conftest import InlineRunner, MakeArticle

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


class Hook:
    """A webhook receiver on 127.0.0.1 that answers with scripted statuses and keeps what it got."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Callable[..., Hook]]:
    running: list[Hook] = []

    def start(*statuses: int) -> Hook:
        made = Hook(list(statuses)).__enter__()
        running.append(made)
        return made

    yield start
    for made in running:
        made.__exit__()


def rule(user: User, kind: str, **extra: Any) -> AlertRule:
    return AlertRule.objects.create(user=user, name=extra.pop("name", f"{kind} rule"), kind=kind, **extra)


def enriched(article: Article) -> None:
    article_enriched.send(sender=Article, article=article, created=True)


# --- matching --------------------------------------------------------------------------------------


def test_it_matches_keyword_rules_on_whole_words_in_title_or_text(
    alice: User, bob: User, make_article: MakeArticle
) -> None:
    rule(alice, AlertKind.KEYWORD, keyword="harbour strike")
    rule(bob, AlertKind.KEYWORD, keyword="rain")
    article = make_article("Dockers walk out", text="The Harbour Strike began at dawn in Ukraine.")
    enriched(article)
    assert [n.user for n in Notification.objects.all()] == [alice]  # "rain" is not in "Ukraine"
    assert Notification.objects.get().reason == "mentions “harbour strike”"


def test_it_matches_hashtag_entity_and_outlet_rules(
    alice: User, bob: User, make_article: MakeArticle, tag: Tag, person: Entity, herald: Source
) -> None:
    by_tag = rule(alice, AlertKind.TAG, tag=tag)
    by_person = rule(alice, AlertKind.ENTITY, entity=person)
    by_outlet = rule(bob, AlertKind.SOURCE, source=herald)
    rule(bob, AlertKind.TAG, tag=Tag.objects.create(name="Other", slug="other"))
    enriched(make_article("Tagged", tags=[tag], entities=[person]))
    enriched(make_article("From the Herald", source=herald))
    got = {(n.rule_id, n.article.title) for n in Notification.objects.select_related("article")}
    assert got == {(by_tag.pk, "Tagged"), (by_person.pk, "Tagged"), (by_outlet.pk, "From the Herald")}


def test_it_never_notifies_a_rule_twice_of_one_article(
    alice: User, make_article: MakeArticle, tag: Tag
) -> None:
    rule(alice, AlertKind.TAG, tag=tag, email=EmailMode.INSTANT)
    article = make_article(tags=[tag])
    enriched(article)
    enriched(article)  # enriched again (a new version, a re-enrichment)
    assert Notification.objects.count() == 1
    assert Delivery.objects.count() == 1


def test_it_finds_matching_rules_in_one_query_however_many_rules(
    alice: User, bob: User, make_article: MakeArticle, tag: Tag, person: Entity
) -> None:
    article = make_article("Harbour strike", tags=[tag], entities=[person])
    for n in range(50):
        rule(bob, AlertKind.KEYWORD, keyword=f"word{n}")
        rule(bob, AlertKind.TAG, tag=Tag.objects.create(name=f"t{n}", slug=f"t{n}"))
    rule(alice, AlertKind.KEYWORD, keyword="strike")
    rule(alice, AlertKind.TAG, tag=tag)
    rule(alice, AlertKind.ENTITY, entity=person)
    rule(alice, AlertKind.SOURCE, source=article.source)
    with CaptureQueriesContext(connection) as queries:
        matched = list(alerts.rules_matching(article))
    assert len(queries) == 1
    assert {r.user for r in matched} == {alice} and len(matched) == 4


def test_it_skips_inactive_rules(alice: User, make_article: MakeArticle, tag: Tag) -> None:
    rule(alice, AlertKind.TAG, tag=tag, active=False)
    enriched(make_article(tags=[tag]))
    assert not Notification.objects.exists()


def test_it_tells_followers_of_a_story_when_it_gets_an_article_or_a_new_version(
    alice: User, bob: User, charlie: User, make_article: MakeArticle
) -> None:
    story = Story.objects.create(headline="Harbour strike")
    reading.follow(alice, story)
    reading.follow(bob, story)  # follows, but has no story rule
    rule(alice, AlertKind.STORY)
    rule(charlie, AlertKind.STORY)  # has the rule, does not follow this story
    article = make_article(story=story)
    story_updated.send(sender=Story, story=story, article=article, reason="new_article")
    notification = Notification.objects.get()
    assert notification.user == alice and "new article" in notification.reason
    newer = make_article("Second report", story=story)
    story_updated.send(sender=Story, story=story, article=newer, reason="new_version")
    assert "new version" in Notification.objects.get(article=newer).reason


def test_it_never_breaks_enrichment_when_alerts_fail(
    alice: User, make_article: MakeArticle, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(article: Article) -> None:
        raise RuntimeError("bad rule")

    monkeypatch.setattr(alerts, "evaluate", broken)
    enriched(make_article())  # logged, not raised


# --- in the app ---------------------------------------------------------------------------------------


def test_it_lists_notifications_with_a_badge_and_marks_them_read(
    client_for: ClientFor, alice: User, bob: User, make_article: MakeArticle, tag: Tag
) -> None:
    rule(alice, AlertKind.TAG, tag=tag, name="Harbour watch")
    enriched(make_article("Tagged news", tags=[tag]))
    client = client_for(alice)
    body = client.get("/notifications/").content.decode()
    assert "Harbour watch" in body and "Tagged news" in body and "tagged #Harbour" in body
    assert 'aria-label="1 unread">1</span>' in body  # the badge in the header
    assert "Tagged news" not in client_for(bob).get("/notifications/").content.decode()
    client.post("/notifications/read/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert (
        "aria-label" not in client.get("/notifications/").content.decode().split("Notifications", 1)[1][:80]
    )


def test_it_keeps_the_notifications_page_queries_constant(
    client_for: ClientFor, alice: User, make_article: MakeArticle, tag: Tag
) -> None:
    client = client_for(alice)
    rule(alice, AlertKind.TAG, tag=tag)
    enriched(make_article(tags=[tag]))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/notifications/").status_code == 200
        return len(queries)

    small = count()
    for n in range(25):
        source = Source.objects.create(name=f"Outlet {n}", domain=f"o{n}.example")
        rule(alice, AlertKind.SOURCE, source=source)
        enriched(make_article(f"News {n}", source=source, tags=[tag]))
    assert count() == small
    # session, user, page count, page with rules and articles, badge, the header's two permission queries
    assert small == 7


def test_it_creates_alert_rules_from_the_form(client_for: ClientFor, alice: User, tag: Tag) -> None:
    client = client_for(alice)
    assert 'value="harbour"' in client.get("/alerts/?kind=tag&tag_name=harbour").content.decode()
    missing = client.post("/alerts/", {"name": "x", "kind": "tag", "tag_name": "#nosuch", "email": "off"})
    assert "No hashtag of that name yet." in missing.content.decode()
    response = client.post(
        "/alerts/", {"name": "Harbour", "kind": "tag", "tag_name": "#Harbour", "email": "digest"}
    )
    made = AlertRule.objects.get(user=alice)
    assert response["Location"] == f"/alerts/{made.pk}/"
    assert made.tag == tag and made.email == EmailMode.DIGEST and len(made.secret) == 64
    keyword = client.post("/alerts/", {"name": "k", "kind": "keyword", "keyword": "  ", "email": "off"})
    assert "Say which word" in keyword.content.decode()


def test_it_refuses_webhooks_to_private_addresses_unless_allowed(
    client_for: ClientFor, alice: User, settings: Any
) -> None:
    settings.NEWSDESK = replace(settings.NEWSDESK, allow_private_addresses=False)
    form = {"name": "k", "kind": "keyword", "keyword": "strike", "email": "off"}
    for url in ("http://127.0.0.1:8000/hook", "http://10.0.0.5/hook", "http://[::1]/x", "ftp://example.org/"):
        response = client_for(alice).post("/alerts/", {**form, "webhook_url": url})
        assert response.status_code == 200 and not AlertRule.objects.exists(), url


def test_it_keeps_other_readers_rules_private(client_for: ClientFor, alice: User, bob: User) -> None:
    mine = rule(alice, AlertKind.KEYWORD, keyword="strike")
    bob_client = client_for(bob)
    assert bob_client.get(f"/alerts/{mine.pk}/").status_code == 404
    assert bob_client.post(f"/alerts/{mine.pk}/delete/").status_code == 404
    assert AlertRule.objects.filter(pk=mine.pk).exists()


# --- email and webhooks --------------------------------------------------------------------------------


def test_it_emails_a_match_from_a_task_after_the_commit(
    alice: User,
    make_article: MakeArticle,
    tag: Tag,
    runner: InlineRunner,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rule(alice, AlertKind.TAG, tag=tag, email=EmailMode.INSTANT, name="Harbour watch")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enriched(make_article("Harbour reopens", tags=[tag]))
    assert not mail.outbox and not runner.submitted  # nothing is sent inside the transaction
    for callback in callbacks:
        callback()
    assert runner.submitted == ["deliver_notifications"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"] and "Harbour watch" in message.subject
    assert "Harbour reopens" in message.body and "/articles/" in message.body
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_it_posts_a_signed_webhook_to_a_real_server(
    alice: User, make_article: MakeArticle, tag: Tag, hook: Callable[..., Hook]
) -> None:
    receiver = hook(200)
    alert = rule(alice, AlertKind.TAG, tag=tag, webhook_url=receiver.url)
    enriched(make_article("Harbour reopens", tags=[tag]))
    assert delivery.deliver_due().sent == 1
    ((headers, body),) = receiver.received
    expected = hmac.new(alert.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-newsdesk-signature"] == f"sha256={expected}"
    assert headers["content-type"] == "application/json"
    data = json.loads(body)
    assert data["rule"]["name"] == alert.name and data["article"]["title"] == "Harbour reopens"
    attempt = DeliveryAttempt.objects.get()
    assert attempt.ok and attempt.status_code == 200


def test_it_retries_a_failed_webhook_with_exponential_backoff(
    alice: User, make_article: MakeArticle, tag: Tag, hook: Callable[..., Hook], settings: Any
) -> None:
    settings.NEWSDESK = replace(settings.NEWSDESK, alert_backoff_seconds=60.0)
    receiver = hook(500, 503)
    rule(alice, AlertKind.TAG, tag=tag, webhook_url=receiver.url)
    enriched(make_article(tags=[tag]))
    before = timezone.now()
    assert delivery.deliver_due().retrying == 1
    pending = Delivery.objects.get()
    assert pending.attempts == 1 and pending.last_error == "HTTP 500"
    assert timedelta(seconds=59) < pending.next_attempt_at - before < timedelta(seconds=62)
    assert delivery.deliver_due().sent == 0  # not due yet: nothing is tried
    assert delivery.deliver_due(now=pending.next_attempt_at).retrying == 1
    pending.refresh_from_db()
    assert timedelta(seconds=119) < pending.next_attempt_at - before < timedelta(seconds=125)  # doubled
    assert delivery.deliver_due(now=pending.next_attempt_at).sent == 1
    pending.refresh_from_db()
    assert pending.state == DeliveryState.SENT and pending.attempts == 3
    assert [a.status_code for a in DeliveryAttempt.objects.order_by("id")] == [500, 503, 200]
    assert len(receiver.received) == 3
    bodies = {body for _, body in receiver.received}
    assert len(bodies) == 1  # each retry sends the same signed body


def test_it_gives_up_after_the_allowed_retries(
    alice: User, make_article: MakeArticle, tag: Tag, hook: Callable[..., Hook], settings: Any
) -> None:
    settings.NEWSDESK = replace(settings.NEWSDESK, alert_retries=1)
    receiver = hook(500, 500, 500)
    rule(alice, AlertKind.TAG, tag=tag, webhook_url=receiver.url)
    enriched(make_article(tags=[tag]))
    delivery.deliver_due()
    later = timezone.now() + timedelta(days=1)
    assert delivery.deliver_due(now=later).failed == 1
    assert Delivery.objects.get().state == DeliveryState.FAILED
    assert delivery.deliver_due(now=later + timedelta(days=1)).failed == 0  # given up: never tried again


def test_it_refuses_a_private_webhook_address_at_delivery_time(
    alice: User, make_article: MakeArticle, tag: Tag, settings: Any
) -> None:
    rule(alice, AlertKind.TAG, tag=tag, webhook_url="http://127.0.0.1:9/hook")
    enriched(make_article(tags=[tag]))
    settings.NEWSDESK = replace(settings.NEWSDESK, allow_private_addresses=False)
    assert delivery.deliver_due().failed == 1  # permanent: no retry
    # a reader learns that the address was refused, nothing about what is there
    assert Delivery.objects.get().last_error == delivery.REFUSED
    assert DeliveryAttempt.objects.get().status_code is None


def test_it_lets_one_worker_claim_a_delivery(alice: User, make_article: MakeArticle, tag: Tag) -> None:
    rule(alice, AlertKind.TAG, tag=tag, email=EmailMode.INSTANT)
    enriched(make_article(tags=[tag]))
    pending = Delivery.objects.get()
    now = timezone.now()
    assert delivery.claim(pending.pk, now) is True
    assert delivery.claim(pending.pk, now) is False
    assert delivery.deliver_due(now=now).sent == 0  # held by the first worker
    assert delivery.deliver_due(now=now + timedelta(seconds=delivery.CLAIM_SECONDS + 1)).sent == 1


def test_it_queues_retries_and_digests_from_the_scheduler_tick(
    alice: User, make_article: MakeArticle, tag: Tag, runner: InlineRunner
) -> None:
    assert reader_tasks.tick(runner) == []
    rule(alice, AlertKind.TAG, tag=tag, email=EmailMode.INSTANT)
    enriched(make_article(tags=[tag]))
    assert "deliver_notifications" in reader_tasks.tick(runner)
    assert Delivery.objects.get(channel=Channel.EMAIL).state == DeliveryState.SENT


# --- digest -------------------------------------------------------------------------------------------


def test_it_sends_one_digest_a_day_with_the_days_matches(
    alice: User, bob: User, make_article: MakeArticle, tag: Tag, settings: Any
) -> None:
    settings.NEWSDESK = replace(settings.NEWSDESK, digest_hour=7)
    rule(alice, AlertKind.TAG, tag=tag, email=EmailMode.DIGEST, name="Harbour digest")
    rule(bob, AlertKind.TAG, tag=tag)  # in the app only: no mail
    enriched(make_article("Morning news", tags=[tag]))
    enriched(make_article("Evening news", tags=[tag]))
    assert not Delivery.objects.exists()  # digest matches are not mailed one by one
    day = timezone.localtime().replace(hour=6, minute=0)
    assert digest.send_due_digests(day) == 0  # before the hour
    assert digest.send_due_digests(day.replace(hour=8)) == 1
    assert digest.send_due_digests(day.replace(hour=9)) == 0  # once a day
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"] and "2 matches" in message.subject
    assert "Morning news" in message.body and "Evening news" in message.body
    enriched(make_article("Late news", tags=[tag]))
    assert digest.send_due_digests(day.replace(hour=23)) == 0  # tomorrow's digest
    assert digest.send_due_digests(day.replace(hour=8) + timedelta(days=1)) == 1
    assert "Late news" in mail.outbox[1].body and "Morning news" not in mail.outbox[1].body
