"""A row of tests/web/params.py's table and the parameter groups rows share.

Kept apart from params.py, which merges the areas' params_<area>.py modules: an area module imports
from here, so importing it first (tests/readerapi/test_hostile.py does) cannot leave the merged
table without its rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ViewParams:
    params: tuple[str, ...] = ()
    clients: tuple[str, ...] = ("anonymous", "reader")
    path: Mapping[str, str] = field(default_factory=dict)


PAGE = ("page",)  # Django's Paginator.get_page
KEYSET = ("before", "after")  # news.keyset.newest_first
NEXT = ("next",)  # where a form sends the visitor afterwards (auth views, community.safe_next)
READER = ("reader",)  # login_required pages: anonymous visitors only get the redirect to log in
ANY = ("anonymous", "reader")
