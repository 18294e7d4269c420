"""The fuzz targets of tests/fuzz/targets.py, a bounded number of examples each (the Hypothesis profile's).

``python bench/fuzz.py --seconds 60`` runs the same targets for longer.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

import tests.hypothesis_setup  # noqa: F401  (profiles)
from tests.fuzz.targets import TARGETS, run_one

# A parser's example costs milliseconds (a view's, tens): four times the profile's count.
EXAMPLES = settings().max_examples * 4


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_parser_keeps_its_contract_on_hostile_input(name: str) -> None:
    target = TARGETS[name]

    @settings(max_examples=EXAMPLES)
    @given(target.strategy)
    def check(case: Any) -> None:
        run_one(target, case)

    check()
