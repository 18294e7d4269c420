"""Bad input is a 4xx (JSON under /api/, a page elsewhere); a server error is logged with a request id."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import path

from newsdesk.desk import urls as desk_urls

pytestmark = pytest.mark.django_db

MALFORMED = [
    "/api/articles?limit=%C2%B2",
    "/api/articles?limit=0",
    "/api/articles?limit=-5",
    "/api/articles?source=99999999999999999999999999",
    "/api/articles?source=%D9%A3",
    "/api/articles?story=99999999999999999999999999",
    "/api/articles?story=abc",
    "/api/articles?since=9999-12-31T23:59:59-23:59",
    "/api/articles?since=0001-01-01T00:00:00%2B23:59",
    "/api/articles?since=yesterday",
    "/api/articles?cursor=%00%00",
    "/api/stories?offset=99999999999999999999",
    "/api/stories?offset=%C2%B2",
    "/api/stories?limit=%C2%B2",
    "/api/stories?cursor=nonsense",
]


@pytest.mark.parametrize("url", MALFORMED)
def test_it_answers_a_malformed_parameter_with_a_json_400(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["error"]


@pytest.mark.parametrize("url", ["/api/nothing", "/api/articles/99999999999999999999999", "/api/stories/0/x"])
def test_it_answers_an_unknown_api_path_with_a_json_404(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json") and json.loads(response.content)["error"]


def test_it_answers_an_unknown_page_in_the_sites_layout(client: Client) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"] and "Newsdesk" in response.content.decode()


@pytest.mark.django_db
def test_a_bad_page_parameter_says_what_was_wrong_in_the_sites_layout(client: Client) -> None:
    response = client.get("/feeds/?page=%E1%8D%A9")  # an Ethiopic digit: no page number
    assert response.status_code == 400
    body = response.content.decode()
    assert "text/html" in response["Content-Type"] and "whole number" in body and "Newsdesk" in body


def boom(request: object) -> None:
    raise RuntimeError("the database fell over")


@pytest.fixture
def failing_urls(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


urlpatterns = [
    path("api/boom", boom),
    path("boom", boom),
    *desk_urls.urlpatterns,
]
handler500 = desk_urls.handler500
handler404 = desk_urls.handler404


@pytest.mark.parametrize(("url", "kind"), [("/api/boom", "application/json"), ("/boom", "text/html")])
def test_it_logs_a_server_error_with_the_request_id_it_shows(
    failing_urls: None, url: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(raise_request_exception=False)
    response = client.get(url, HTTP_X_REQUEST_ID="probe-request-0001")
    assert response.status_code == 500 and response["Content-Type"].startswith(kind)
    assert response["X-Request-ID"] == "probe-request-0001"
    assert "probe-request-0001" in response.content.decode()
    assert "the database fell over" not in response.content.decode()  # nothing internal shown
    logged = [r for r in caplog.records if r.name == "newsdesk.errors"]
    assert logged and "probe-request-0001" in logged[0].getMessage() and logged[0].exc_info


def test_it_trusts_proxy_headers_only_when_told(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from newsdesk.community.throttle import client_address

    request = client.get("/healthz").wsgi_request
    request.META["HTTP_X_FORWARDED_FOR"] = "203.0.113.9, 198.51.100.7"
    assert client_address(request) == "127.0.0.1"  # by default the header is anyone's claim
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, trust_proxy_headers=True)
    assert client_address(request) == "198.51.100.7"  # the address our proxy appended
    # /metrics then sees the forwarded client, not the proxy on loopback.
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 403
