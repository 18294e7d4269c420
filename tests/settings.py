"""Test settings: the real settings module, with a throwaway home and loopback fetching allowed.

Safe under pytest-xdist: the workers inherit the controller's environment (its home included), so
each worker keeps its home in a folder of its own inside it, and on PostgreSQL each run's test
database is named after the database it points at (pytest-django adds _gw0, _gw1, ... per worker).
"""

import os
import tempfile

_home = os.environ.get("NEWSDESK_HOME") or tempfile.mkdtemp(prefix="newsdesk-test-")
if os.environ.get("PYTEST_XDIST_WORKER"):
    _home = os.path.join(_home, os.environ["PYTEST_XDIST_WORKER"])
os.environ["NEWSDESK_HOME"] = _home
os.environ.setdefault("NEWSDESK_ALLOW_PRIVATE_ADDRESSES", "true")
os.environ.setdefault("NEWSDESK_PER_HOST_DELAY", "0")
os.environ.setdefault("NEWSDESK_FETCH_TIMEOUT", "5")

from newsdesk.desk.settings import *  # noqa: E402,F403
from newsdesk.desk.settings import DATABASES  # noqa: E402

if not DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # test_<database>, not one fixed name: two runs pointed at different databases never share one.
    DATABASES["default"]["TEST"] = {
        **DATABASES["default"].get("TEST", {}),
        "NAME": f"test_{DATABASES['default']['NAME']}",
    }
