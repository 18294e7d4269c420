"""The local model's own process: llama.cpp loads the GGUF file here and answers JSON lines.

Started by ``ai/local.py`` (``python -m newsdesk.ai.local_worker PATH THREADS CONTEXT built|plain``),
never by hand. It runs apart from the desk's processes for two reasons found on this project's
machines: a C++ library loaded there first (usearch, the vector index) makes llama.cpp's tokenizer
fail to load (``std::bad_cast``), and llama.cpp built for a CPU that lists AMX it cannot run dies by
a signal, which must not take a web server or a worker with it.

Protocol: one JSON object a line each way. It first writes ``{"ready": true}`` (or ``{"error"}``
and exits); then for ``{"op": "chat", "messages", "max_tokens", "temperature", "stop"}`` it writes
``{"piece": ...}`` lines and ``{"done": true}``; for ``{"op": "tokens", "text"}`` ``{"tokens": n}``;
any failure of a request is ``{"error": ...}``. ``plain`` loads the model without llama.cpp's extra
buffer types (AMX tiles, weight repacking): the same model on the plain CPU kernels.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO


def _plain_cpu_buffers() -> None:
    """Models loaded from now on use no extra buffer types (llama-cpp-python has no argument for it)."""
    import llama_cpp.llama

    low_level: Any = llama_cpp.llama.llama_cpp
    defaults = low_level.llama_model_default_params

    def plain() -> Any:
        params = defaults()
        params.use_extra_bufts = False
        return params

    low_level.llama_model_default_params = plain


def _answer(llama: Any, request: dict[str, Any], out: TextIO) -> None:
    if request.get("op") == "tokens":
        tokens = llama.tokenize(str(request["text"]).encode("utf-8"), add_bos=False, special=False)
        _emit(out, {"tokens": len(tokens)})
        return
    temperature = float(request.get("temperature", 0.0))
    chunks = llama.create_chat_completion(
        messages=request["messages"],
        max_tokens=int(request.get("max_tokens", 256)),
        temperature=temperature,
        top_k=1 if temperature == 0 else 40,
        repeat_penalty=1.15,
        stop=list(request.get("stop") or []) or None,
        seed=0,
        stream=True,
    )
    for chunk in chunks:
        piece = chunk["choices"][0].get("delta", {}).get("content")
        if piece:
            _emit(out, {"piece": piece})
    _emit(out, {"done": True})


def _emit(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def main(argv: list[str]) -> int:
    path, threads, context, mode = argv[0], int(argv[1]), int(argv[2]), argv[3]
    # The protocol keeps the real stdout; whatever the C code prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        if mode == "plain":
            _plain_cpu_buffers()
        from llama_cpp import Llama

        llama = Llama(
            model_path=path, n_ctx=context, n_threads=threads, n_threads_batch=threads, verbose=False
        )
    except Exception as error:  # anything that stops the load is the parent's error message
        _emit(out, {"error": f"cannot load: {error}"})
        return 1
    _emit(out, {"ready": True})
    for line in sys.stdin:
        try:
            _answer(llama, json.loads(line), out)
        except Exception as error:  # one failed request leaves the process serving
            _emit(out, {"error": str(error) or type(error).__name__})
    llama.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
