"""The OpenAI-compatible backend: any server that speaks ``POST /v1/chat/completions``.

Ollama, llama.cpp's ``llama-server`` (and ``python -m llama_cpp.server``), vLLM, LM Studio and hosted
services all do. ``NEWSDESK_LLM_URL`` is the base URL (ending in ``/v1`` for most servers),
``NEWSDESK_LLM_MODEL`` the model name the server knows, ``NEWSDESK_LLM_API_KEY`` a bearer token where
the server wants one. The URL is the operator's setting, not an outlet's, so it may be on this
machine (the guarded fetcher, which refuses private addresses, is for outlets). A server on a
loopback address keeps article text on this machine; any other is a remote model, and pages say so.

Streaming reads the server-sent events of ``"stream": true``; errors name the status and the
server's own message, never the key.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from newsdesk.ai.language import LanguageModel, LanguageModelError, Message


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OpenAICompatibleModel(LanguageModel):
    name = "openai"
    can_stream = True

    def __init__(self, base_url: str, model: str = "", api_key: str = "", timeout: float = 120.0) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise LanguageModelError(f"NEWSDESK_LLM_URL={base_url!r} is not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.local = is_loopback(base_url)
        self._secret = api_key
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), headers=headers
        )

    @property
    def model_id(self) -> str:
        return self.model or "the server's default model"

    def _body(
        self, messages: Sequence[Message], max_tokens: int, temperature: float, stop: Sequence[str]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if self.model:
            body["model"] = self.model
        if stop:
            body["stop"] = list(stop)
        return body

    def _fail(self, response: httpx.Response) -> LanguageModelError:
        try:
            detail = response.read().decode("utf-8", "replace")[:300]
        except httpx.HTTPError:
            detail = ""
        if self._secret:  # a server or proxy that echoes the request never puts the key in a message
            detail = detail.replace(self._secret, "[API key]")
        return LanguageModelError(
            f"the language model server answered {response.status_code}: {detail}".strip()
        )

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> str:
        body = self._body(messages, max_tokens, temperature, stop)
        try:
            response = self._client.post(f"{self.base_url}/chat/completions", json=body)
        except httpx.HTTPError as error:
            raise LanguageModelError(f"the language model server cannot be reached: {error}") from error
        if response.status_code != 200:
            raise self._fail(response)
        try:
            return str(response.json()["choices"][0]["message"]["content"] or "")
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise LanguageModelError(f"the language model server sent no completion: {error}") from error

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        body = self._body(messages, max_tokens, temperature, stop) | {"stream": True}
        try:
            with self._client.stream("POST", f"{self.base_url}/chat/completions", json=body) as response:
                if response.status_code != 200:
                    raise self._fail(response)
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        delta = json.loads(data)["choices"][0].get("delta") or {}
                    except (ValueError, KeyError, IndexError, TypeError):
                        continue  # a keep-alive or an event of another kind
                    piece = delta.get("content")
                    if piece:
                        yield str(piece)
        except httpx.HTTPError as error:
            raise LanguageModelError(f"the language model server failed: {error}") from error
