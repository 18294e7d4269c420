"""Test settings: the real settings module, with a throwaway home and loopback fetching allowed."""

import os
import tempfile

os.environ.setdefault("NEWSDESK_HOME", tempfile.mkdtemp(prefix="newsdesk-test-"))
os.environ.setdefault("NEWSDESK_ALLOW_PRIVATE_ADDRESSES", "true")
os.environ.setdefault("NEWSDESK_PER_HOST_DELAY", "0")
os.environ.setdefault("NEWSDESK_FETCH_TIMEOUT", "5")

from newsdesk.desk.settings import *  # noqa: E402,F403
