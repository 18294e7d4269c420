"""403, 404 and 500 pages with DEBUG off: the site's layout and stylesheet, a way home, the request id,
nothing of the failure; JSON under /api/ as before; a 500 page even when the database and the
template context processors fail."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.web.error_urls import SECRET

pytestmark = pytest.mark.django_db

CSRF_VIEW = "newsdesk.desk.errors.csrf_failure"


@pytest.fixture(autouse=True)
def _production(settings: Any) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.web.error_urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def page(response: Any, status: int) -> str:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"].startswith("text/html")
    body: str = response.content.decode()
    assert "Traceback" not in body and SECRET not in body and 'File "' not in body
    assert re.search(r'<link rel="stylesheet" href="/static/newsdesk/newsdesk\.css', body), "the site's CSS"
    assert 'class="site-header"' in body and 'href="/"' in body  # the layout and a way home
    assert f"<title>{response.status_code}" in body or "· Newsdesk</title>" in body
    return body


def full_layout(body: str) -> None:
    """The whole header of news/base.html: search box and account links."""
    assert 'role="search"' in body and 'aria-label="Account"' in body and 'class="site-footer"' in body


def test_an_unknown_path_is_a_404_in_the_layout_with_a_way_home(client: Client) -> None:
    response = client.get("/no/such/page/", HTTP_X_REQUEST_ID="probe-request-0404")
    body = page(response, 404)
    full_layout(body)
    assert "Page not found" in body and "There is no page at this address." in body
    assert "Back to the latest news" in body and 'href="/feeds/"' in body
    assert "probe-request-0404" in body and response["X-Request-ID"] == "probe-request-0404"
    assert '<meta name="robots" content="noindex">' in body


def test_a_missing_article_is_a_404_page(client: Client) -> None:
    body = page(client.get("/articles/999999999/"), 404)
    full_layout(body)


def test_a_form_sent_without_its_csrf_token_is_a_styled_403(settings: Any) -> None:
    settings.CSRF_FAILURE_VIEW = CSRF_VIEW  # the project's settings name it (see the report)
    strict = Client(enforce_csrf_checks=True, raise_request_exception=False)
    body = page(strict.post("/test-errors/form/", {"x": "1"}), 403)
    full_layout(body)
    assert "Forbidden" in body and "reload the page" in body
    assert "CSRF verification failed" not in body  # not Django's own page
    # The real log-in form refuses the same way.
    body = page(strict.post("/accounts/login/", {"username": "a", "password": "b"}), 403)
    assert "reload the page" in body


def test_the_csrf_failure_view_answers_json_under_the_api(settings: Any) -> None:
    from django.test import RequestFactory

    from newsdesk.desk.errors import csrf_failure

    response = csrf_failure(RequestFactory().post("/api/me/saved"), reason="CSRF cookie not set.")
    assert response.status_code == 403 and response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["status"] == 403


def test_a_permission_denial_is_a_styled_403(client: Client) -> None:
    body = page(client.get("/test-errors/refuses/"), 403)
    full_layout(body)
    assert "You may not see this page." in body and "Log in" in body


def test_a_signed_in_reader_who_is_no_moderator_gets_a_403_page(client: Client) -> None:
    User.objects.create_user("reader", "reader@example.org", "pw-for-tests-only")
    client.login(username="reader", password="pw-for-tests-only")
    body = page(client.get("/moderation/"), 403)
    full_layout(body)
    assert "Log out" in body  # the reader's own header


@pytest.mark.parametrize("url", ["/test-errors/raises/", "/test-errors/database-down/"])
def test_a_view_that_raises_is_a_500_page_with_the_request_id(client: Client, url: str) -> None:
    response = client.get(url, HTTP_X_REQUEST_ID="probe-request-0500")
    body = page(response, 500)
    assert "Server error" in body and "probe-request-0500" in body
    assert "RuntimeError" not in body and "OperationalError" not in body


def test_a_500_under_the_api_stays_json(client: Client) -> None:
    response = client.get("/api/test-errors/raises", HTTP_X_REQUEST_ID="probe-request-0501")
    assert response.status_code == 500 and response["Content-Type"].startswith("application/json")
    assert json.loads(response.content) == {
        "error": "Something went wrong on our side; it has been logged.",
        "status": 500,
        "request_id": "probe-request-0501",
    }


def test_an_unknown_api_path_stays_a_json_404(client: Client) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


@pytest.fixture
def broken_context_processors(settings: Any) -> None:
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["context_processors"].append("tests.web.error_urls.failing_context_processor")
    settings.TEMPLATES = templates


@pytest.mark.usefixtures("broken_context_processors")
def test_the_500_page_renders_when_the_context_processors_fail(client: Client) -> None:
    body = page(client.get("/test-errors/database-down/", HTTP_X_REQUEST_ID="probe-request-0502"), 500)
    assert "probe-request-0502" in body


@pytest.mark.usefixtures("broken_context_processors")
def test_a_404_whose_layout_fails_falls_back_to_the_plain_page(client: Client) -> None:
    body = page(client.get("/no/such/page/", HTTP_X_REQUEST_ID="probe-request-0405"), 404)
    assert "Page not found" in body and "probe-request-0405" in body


def test_the_last_resort_page_when_no_template_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.test import RequestFactory

    from newsdesk.desk import errors

    def broken(*args: object, **kwargs: object) -> str:
        raise OSError("templates unreadable")

    monkeypatch.setattr(errors, "render_to_string", broken)
    request = RequestFactory().get("/x/<script>")
    request.request_id = "probe-request-0503"  # type: ignore[attr-defined]
    response = errors.server_error(request)
    body = page(response, 500)
    assert "probe-request-0503" in body and "<script>" not in body


@pytest.mark.parametrize(("url", "status"), [("/test-errors/refuses/", 403), ("/no/such/page/", 404)])
def test_a_4xx_is_an_answer_not_a_logged_failure(
    client: Client, url: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    assert client.get(url).status_code == status
    assert not [r for r in caplog.records if r.name == "newsdesk.errors"]


def test_a_500_is_logged_with_its_traceback(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    client.get("/test-errors/raises/", HTTP_X_REQUEST_ID="probe-request-0504")
    logged = [r for r in caplog.records if r.name == "newsdesk.errors"]
    assert logged and "probe-request-0504" in logged[0].getMessage() and logged[0].exc_info
