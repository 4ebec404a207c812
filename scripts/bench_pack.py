"""Benchmark: seconds to build a 10-chart slide pack, cold (browser start) and warm.

Run: .venv/bin/python scripts/bench_pack.py [--data-dir DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import time

from analytics import queries, views
from analytics.config import resolve_data_dir
from analytics.export import build_pack
from analytics.images import stop_image_server
from analytics.store import Store


def main() -> None:
    """Print the cold and warm build times of a 10-chart pack as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    store = Store(resolve_data_dir(args.data_dir))
    themes = list(views.theme_titles(store))
    charts = [(name, t) for t in themes for name in ("quadrant_comparison", "finding_frequency")]
    charts = charts[:10]
    timings = []
    for run in range(args.runs + 1):
        start = time.perf_counter()
        data = build_pack(store, None, queries.ALL, charts=charts)
        timings.append(time.perf_counter() - start)
        print(f"run {run}: {timings[-1]:.2f} s ({len(data) / 1e6:.1f} MB)", flush=True)
    stop_image_server()
    warm = sorted(timings[1:])
    print(json.dumps({"charts": len(charts), "cold_seconds": round(timings[0], 2),
                      "warm_seconds_median": round(warm[len(warm) // 2], 2),
                      "warm_seconds_all": [round(t, 2) for t in timings[1:]]}))  # fmt: skip


if __name__ == "__main__":
    main()
