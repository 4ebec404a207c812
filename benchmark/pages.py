"""Time each page's full AppTest run (caches cleared): `python -m benchmark.pages STORE RUNS`.

Called by the benchmark (measure_pages); prints {page: {"p50_ms": …}} as JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from benchmark.measure import PAGES

ROOT = Path(__file__).resolve().parent.parent


def time_pages(data_dir: str, runs: int) -> dict[str, dict[str, float]]:
    """Return the p50 of each page's uncached AppTest run, wall and CPU time, in milliseconds."""
    os.environ["AUDIT_DATA_DIR"] = data_dir
    results = {}
    for name, path in PAGES.items():
        times, cpu = [], []
        for _ in range(runs):
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
            if path:
                at.run()
                st.cache_data.clear()
            start, cpu_start = time.perf_counter(), time.process_time()
            at = at.switch_page(path).run() if path else at.run()
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)  # the work, without waiting
            if at.exception:
                raise RuntimeError(f"page {name} raised: {at.exception[0].value}")
        results[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "cpu_p50_ms": round(statistics.median(cpu), 1),
        }
    return results


if __name__ == "__main__":
    print(json.dumps(time_pages(sys.argv[1], int(sys.argv[2]))))
