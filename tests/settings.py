"""Test settings: the real settings module, with a throwaway home and loopback fetching allowed.

Safe under pytest-xdist: the workers inherit the controller's environment (its home included), so
each worker keeps its home in a folder of its own inside it, and on PostgreSQL each run's test
database is named after the database it points at (pytest-django adds _gw0, _gw1, ... per worker).
"""

import atexit
import os
import shutil
import tempfile

_home = os.environ.get("NEWSDESK_HOME", "")
if not _home:
    # Made here, so removed here when this process ends (the xdist workers' folders are inside it).
    _home = tempfile.mkdtemp(prefix="newsdesk-test-")
    atexit.register(shutil.rmtree, _home, ignore_errors=True)
# The run's home, as the controller (or a run without xdist) saw it. Only a worker that inherited
# exactly that home moves into its own folder: a process a test starts with a home of its own, or
# with the worker's, keeps the home it was given.
_run_home = os.environ.setdefault("NEWSDESK_TEST_RUN_HOME", _home)
if os.environ.get("PYTEST_XDIST_WORKER") and _home == _run_home:
    _home = os.path.join(_run_home, os.environ["PYTEST_XDIST_WORKER"])
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
