"""Schemathesis against /api/openapi.json: every operation, valid and hostile input, through the
real WSGI application; no 5xx, and every answer matches the documented status, type and schema.

The examples per operation are bounded (``EXAMPLES``) so the suite stays fast; the Hypothesis
profile ``dev`` or ``long`` (NEWSDESK_HYPOTHESIS_PROFILE) searches further.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from newsdesk.api.site import api
from tests.api.conftest import Desk

pytestmark = pytest.mark.django_db

EXAMPLES = {"dev": 100, "long": 1000}.get(os.environ.get("NEWSDESK_HYPOTHESIS_PROFILE", ""), 12)

schema = schemathesis.openapi.from_dict(copy.deepcopy(api.get_openapi_schema()))
schema.app = get_wsgi_application()

#: The token the current test's desk issued (set by the ``bearer`` fixture).
CURRENT: dict[str, str] = {}


@schema.auth()
class Bearer:
    """Every generated call carries the desk reader's personal token, as a client would."""

    def get(self, case: schemathesis.Case, context: object) -> str:
        return CURRENT.get("token", "")  # empty while pytest collects

    def set(self, case: schemathesis.Case, data: str, context: object) -> None:
        if data:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def bearer(desk: Desk) -> Iterator[Desk]:
    """The desk's token for every call, and the test's connection kept open across calls.

    The WSGI application closes "old" connections when a request starts and ends; inside the test's
    transaction that really closes a PostgreSQL connection (SQLite's in-memory one survives) and
    the next query fails. Django's test client unhooks the same signal handler for each request.
    """
    CURRENT["token"] = desk.token
    cache.clear()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield desk
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_document_is_openapi_3_and_names_every_operation() -> None:
    document = api.get_openapi_schema()
    assert document["openapi"].startswith("3.")
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert ("GET", "/api/articles") in operations and ("POST", "/api/me/alerts") in operations
    assert ("GET", "/api/search") in operations and ("DELETE", "/api/me/saved/{article_id}") in operations
    for sourcing in ("lineage", "reliance", "framing", "statements", "changes"):
        assert ("GET", f"/api/stories/{{story_id}}/{sourcing}") in operations
    assert ("POST", "/api/ask") in operations and ("GET", "/api/stories/{story_id}/briefing") in operations
    assert len(operations) == 47
    assert document["components"]["securitySchemes"]["Access"]["scheme"] == "bearer"


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_as_documented(case: schemathesis.Case, bearer: Desk) -> None:
    cache.clear()  # the rate limit is not what this test probes
    # Every check but two: "a schema-valid request is accepted" (a cursor is opaque: any string is
    # valid in the schema, only one this API gave out decodes, so refusing made-up ones is right)
    # and "a schema-violating request is refused" (unknown query keys are ignored, as by most
    # APIs: the views read only the keys they declare, tests/web/test_params.py). Hostile input
    # still runs: no 5xx, and every answer, 4xx included, must match the document.
    case.call_and_validate(
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )


def test_made_things_link_to_what_opens_them() -> None:
    links = api.get_openapi_schema()["paths"]["/api/me/folders"]["post"]["responses"][201]["links"]
    assert set(links) == {"folder_rename", "folder_remove"}
    assert links["folder_rename"]["parameters"] == {"folder_id": "$response.body#/id"}


Workflow = schema.as_state_machine()


def test_stateful_runs_follow_the_links_with_no_5xx_and_answers_as_documented(bearer: Desk) -> None:
    """Make a folder, rule, subscription or follow, then change and remove it through its link."""

    class Steps(Workflow):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            cache.clear()  # the rate limit is not what this test probes
            return {}

        def validate_response(self, response: object, case: schemathesis.Case, **kwargs: object) -> None:
            case.validate_response(
                response, excluded_checks=[positive_data_acceptance, negative_data_rejection]
            )

    Steps.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=4,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
