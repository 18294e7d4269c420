"""Hypothesis profiles shared by the property tests (tests/web) and the fuzz targets (tests/fuzz).

``NEWSDESK_HYPOTHESIS_PROFILE`` picks one: ``ci`` (the default: a few dozen examples a test,
derandomized so a run is repeatable), ``dev`` (more, random) or ``long`` (thousands, random, for a
search of its own). No profile keeps an example database: a failure prints its reproduction blob
(``@reproduce_failure``) instead of saving it (Hypothesis still caches unicode tables in a
``.hypothesis/`` folder, which ignores itself in git).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Data-heavy strategies (long strings, big documents) and the database fixture, which one test's
# examples share on purpose (the views only read), are expected here.
_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=_QUIET,
)
settings.register_profile(
    "dev", max_examples=200, deadline=None, database=None, print_blob=True, suppress_health_check=_QUIET
)
settings.register_profile(
    "long", max_examples=2000, deadline=None, database=None, print_blob=True, suppress_health_check=_QUIET
)

PROFILE = os.environ.get("NEWSDESK_HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
