"""GET parameters of the subscriptions pages (newsdesk.readers.subscription_views): only the article
lists page; every other view is a page without parameters or a POST-only action (a GET is a 405)."""

from __future__ import annotations

from tests.web.rows import PAGE, READER, ViewParams

VIEWS: dict[str, ViewParams] = {
    "readers:subscriptions": ViewParams(clients=READER),
    "readers:subscription_add": ViewParams(clients=READER),
    "readers:opml_import": ViewParams(clients=READER),
    "readers:opml_export": ViewParams(clients=READER),
    "readers:subscription": ViewParams(clients=READER),
    "readers:subscription_edit": ViewParams(clients=READER),
    "readers:subscription_rules": ViewParams(clients=READER),
    "readers:subscription_options": ViewParams(clients=READER),
    "readers:subscription_refresh": ViewParams(clients=READER),
    "readers:subscription_remove": ViewParams(clients=READER),
    "readers:subscription_articles": ViewParams(params=PAGE, clients=READER),
    "readers:subscription_read": ViewParams(clients=READER),
    "readers:folder_create": ViewParams(clients=READER),
    "readers:folder": ViewParams(params=PAGE, clients=READER),
    "readers:folder_rename": ViewParams(clients=READER),
    "readers:folder_delete": ViewParams(clients=READER),
}
