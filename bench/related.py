"""Related-articles query latency: nearest neighbours among N random vectors in the usearch index.

Builds a ``USearchIndex`` of ``--n`` random unit vectors (default 1,000,000 of 256 dimensions, in
a temporary folder), then times ``--queries`` single-vector searches for the 10 nearest, each
leaving out the query's own id as the related-articles call does. Reports build time, the
median and 95th percentile query latency, and how often a query made near a stored vector
finds that vector in its top 10 ("found").

Exits non-zero when the median latency is over the target (``--target-ms``, 10 ms).

    python bench/related.py                 # 1M vectors (a few minutes to build on 2 cores)
    python bench/related.py --n 100000      # quick
    python bench/related.py --limit 50000 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time

import numpy as np

from newsdesk.pipeline.vectorindex import USearchIndex


def random_unit_rows(count: int, dimensions: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, dimensions), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", "--limit", dest="n", type=int, default=1_000_000, help="vectors in the index")
    parser.add_argument("--dimensions", type=int, default=256)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--target-ms", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    vectors = random_unit_rows(args.n, args.dimensions, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        index = USearchIndex(args.dimensions, folder)
        start = time.perf_counter()
        batch = 50_000
        for offset in range(0, args.n, batch):
            index.add(list(range(offset, min(offset + batch, args.n))), vectors[offset : offset + batch])
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        index.save()
        save_s = time.perf_counter() - start

        rng = np.random.default_rng(2)
        picks = rng.integers(0, args.n, size=args.queries)
        # Queries near stored articles, as a related-articles call asks about an article it holds.
        queries = vectors[picks] + 0.3 * random_unit_rows(args.queries, args.dimensions, seed=3)
        latencies: list[float] = []
        results = []
        for own, query in zip(picks.tolist(), queries, strict=True):
            start = time.perf_counter()
            results.append(index.search(query, args.k, exclude=[own]))
            latencies.append((time.perf_counter() - start) * 1000)

        # Uniform random vectors have no neighbourhoods (all other vectors are about equally far),
        # so recall against exact search means little here; what must hold is that a query near a
        # stored vector finds it: the share of queries whose source vector comes back in the top k.
        sample = min(200, args.queries)
        found = sum(
            own in {item for item, _ in index.search(query, args.k)}
            for own, query in zip(picks[:sample].tolist(), queries[:sample], strict=True)
        )
        recall = found / sample

    median = statistics.median(latencies)
    p95 = float(np.percentile(latencies, 95))
    report = {
        "vectors": args.n,
        "dimensions": args.dimensions,
        "build_s": round(build_s, 2),
        "build_per_s": round(args.n / build_s),
        "save_s": round(save_s, 2),
        "median_ms": round(median, 3),
        "p95_ms": round(p95, 3),
        "found_at_k": round(recall, 3),
        "target_ms": args.target_ms,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"{'vectors':>9} {'dims':>5} {'build s':>8} {'adds/s':>8} {'median ms':>10} {'p95 ms':>7} {'found@' + str(args.k):>9}"
        )
        print(
            f"{args.n:>9} {args.dimensions:>5} {build_s:>8.1f} {args.n / build_s:>8.0f} {median:>10.3f} {p95:>7.3f} {recall:>9.3f}"
        )
    if median > args.target_ms:
        print(f"FAIL: median {median:.2f} ms > target {args.target_ms} ms", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
