"""A small run of the benchmark, so `python -m analytics bench` never rots. No timing is
asserted: the figures are the benchmark's to report, not the tests' to judge."""

from __future__ import annotations

import json
import subprocess
import sys

from browser_helpers import BROWSER_MARKS
from paths import ROOT

from analytics.store import Store
from benchmark.measure import PAGES, query_calls

pytestmark = BROWSER_MARKS  # the cold start and memory are measured in Debian's chromium


def test_a_small_benchmark_run_reports_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    store = tmp_path / "store"
    result = subprocess.run(
        [sys.executable, "-m", "analytics", "bench", "--responses", "4000", "--runs", "3",
         "--json", str(out), "--data-dir", str(store)],
        cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["responses"] == 6358  # scale 2: twice the sample's 3,179
    assert set(figures["queries"]) == set(query_calls(Store(store)))
    assert all(0 < q["p50_ms"] <= q["p95_ms"] for q in figures["queries"].values())
    assert all(q["cpu_p50_ms"] > 0 for q in figures["queries"].values())
    # Cold: each query's first run on a newly opened store, its set-up included.
    assert set(figures["queries_cold"]) == set(figures["queries"])
    assert all(0 < q["p50_ms"] <= q["p95_ms"] for q in figures["queries_cold"].values())
    setup = figures["snapshot_setup"]
    assert set(setup) == {"open_catalog", "set_up_snapshot"}
    assert all(0 < part["p50_ms"] <= part["p95_ms"] for part in setup.values())
    assert figures["catalog"] == "sqlite"
    assert set(figures["load_average"]) == {"start", "queries", "queries_cold", "baseline",
                                            "pages", "server", "import", "tracker_import", "pack"}  # fmt: skip
    assert set(figures["pages"]) == set(PAGES)
    assert set(figures["baseline_pandas"]) == {
        "quadrant_comparison",
        "category_matrix",
        "cohort_profile",
    }
    assert figures["speedup_vs_pandas"] > 0
    for key in ("peak_rss_mb", "cold_start_s", "import_10k_cases_s", "import_10k_cases_csv_s",
                "tracker_import_10k_cases_s", "tracker_import_peak_rss_mb", "pack_export_s",
                "pack_export_next_s"):  # fmt: skip
        assert figures[key] > 0, key
    # The tracker: one sheet per quadrant, 40 standards each, every one mapped with no edit.
    tracker = figures["tracker_import"]
    assert (tracker["cases"], tracker["standards"], tracker["responses"]) == (10_000, 40, 400_000)
    assert tracker["standard_columns_mapped"] == tracker["standard_columns"] == 160
    assert figures["pack_charts"] == 10
    assert figures["pages_opened"] >= 13  # every page of the navigation: peak memory counts them
    assert "speedup_vs_pandas" in result.stdout  # the human-readable table
    # A second run reuses the store it built (same generator): no rebuild.
    again = subprocess.run(
        [sys.executable, "-m", "analytics", "bench", "--responses", "4000", "--runs", "3",
         "--json", str(out), "--data-dir", str(store), "--no-pages", "--no-server", "--no-extras"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert again.returncode == 0 and "Reusing the store" in again.stderr
