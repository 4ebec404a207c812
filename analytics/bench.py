"""The performance benchmark: `python -m analytics bench --responses N --json PATH`.

Builds (or reuses) a synthetic store of about N responses with the generator's --scale, then
measures every named query the pages use, each page's full server run, a naive pandas baseline,
the dashboard's peak memory and cold start, a 10,000-case import and a slide pack.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from analytics import ingest, queries
from analytics.cli import EXTRA_PARSERS, command
from analytics.config import PROJECT_ROOT
from analytics.domain import COUNTY, Filters
from analytics.errors import AuditDataError
from analytics.export import build_pack
from analytics.generate import DEFAULT_SEED, generate_store
from analytics.images import image_export_available, stop_image_server
from analytics.ingest.trackers.sample_tracker import benchmark_tracker_import
from analytics.store import Store, read_manifest

SAMPLE_RESPONSES = 3179  # responses in the store at --scale 1
QUADRANT_SETS: tuple[tuple[str, ...], ...] = ((), ("NE",), ("NW", "SW"), ("SE",), ("SW",), ("NW",))
PAGES = {
    "overview": None,
    "theme": "pages/theme.py",
    "across_themes": "pages/across_themes.py",
    "actions": "pages/actions.py",
    "data": "pages/data.py",
}


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = round(width * done / total)
    print(f"\r  building store [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
          end="" if done < total else "\n", file=sys.stderr, flush=True)  # fmt: skip


def _generator_version() -> str:
    """Return a hash of the code and catalogue that shape a generated store (its layout too)."""
    digest = hashlib.sha256()
    sources = [
        PROJECT_ROOT / "analytics" / name for name in ("generate.py", "store.py", "contract.py")
    ]
    sources += sorted((PROJECT_ROOT / "analytics" / "catalogue").glob("*.csv"))
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def bench_store(responses: int, data_dir: Path | None) -> tuple[Path, int]:
    """Return a store of about `responses` responses: reused only when built by this very code
    (a stamp beside it records the generator's version), else built afresh."""
    scale = max(1, math.ceil(responses / SAMPLE_RESPONSES))
    path = data_dir or PROJECT_ROOT / ".bench" / f"scale-{scale}"
    stamp = path.parent / f".{path.name}.generator"
    version = _generator_version()
    manifest = read_manifest(path)
    same_code = stamp.is_file() and stamp.read_text() == version
    if manifest.get("scale") == scale and manifest.get("seed") == DEFAULT_SEED and same_code:
        print(f"Reusing the store at {path} (scale {scale}).", file=sys.stderr)
        return path, scale
    if path.is_dir() and any(path.iterdir()) and not stamp.is_file():
        # Never overwrite a store the benchmark did not build (the bundled sample, a real one).
        raise AuditDataError(
            f"{path} holds a store the benchmark did not build: give --data-dir an empty or new "
            "folder (the benchmark writes a synthetic store of the size asked for there)."
        )
    print(
        f"Building a store of ~{scale * SAMPLE_RESPONSES:,} responses at {path}.", file=sys.stderr
    )
    generate_store(path, scale=scale, progress=_progress_bar)
    stamp.write_text(version)
    return path, scale


def _timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2)}


def query_calls(store: Store) -> dict[str, Callable[[int], Any]]:
    """Return each named query the pages use as a call taking a run number (fresh parameters)."""
    themes = [t for t in queries.themes(store)["theme_id"] if queries.audited_rounds(store, t)]
    questions = {t: store.query("SELECT question_id FROM questions WHERE theme_id = $t "
                                "ORDER BY question_id", {"t": t})["question_id"].tolist()
                 for t in themes}  # fmt: skip

    def pick(i: int) -> tuple[str, Filters]:
        return themes[i % len(themes)], Filters(quadrants=QUADRANT_SETS[i % len(QUADRANT_SETS)])

    return {
        "quadrant_comparison": lambda i: queries.quadrant_comparison(store, *pick(i)),
        "finding_frequency": lambda i: queries.finding_frequency(store, *pick(i)),
        "finding_frequency_all_themes": lambda i: queries.finding_frequency(
            store, None, pick(i)[1]
        ),
        "round_trend": lambda i: queries.round_trend(store, "permanency", pick(i)[1]),
        "cohort_profile": lambda i: queries.cohort_profile(store, *pick(i)),
        "category_matrix": lambda i: queries.category_matrix(store, pick(i)[1]),
        "recurring_weaknesses": lambda i: queries.recurring_weaknesses(store, pick(i)[1]),
        "theme_summary": lambda i: queries.theme_summary(store, pick(i)[1]),
        "overview_table": lambda i: queries.overview_table(store, pick(i)[1]),
        "headline": lambda i: queries.headline(store, *pick(i)),
        "action_status": lambda i: queries.action_status(store),
        "quotes": lambda i: queries.quotes(store, *pick(i)),
        "cases_behind": lambda i: queries.cases_behind(
            store,
            pick(i)[0],
            questions[pick(i)[0]][i % len(questions[pick(i)[0]])],
            Filters(quadrants=(("NW", "NE", "SW", "SE")[i % 4],)),
        ),
        "store_contents": lambda i: queries.store_contents(store),
    }


def measure_queries(store: Store, runs: int) -> dict[str, dict[str, float]]:
    """Return p50/p95 milliseconds per named query over `runs` runs with rotating parameters."""
    results = {}
    for name, call in query_calls(store).items():
        call(0)  # warm the file metadata once; every timed run uses new parameters
        results[name] = _summary(
            [_timed(lambda i=i, call=call: call(i)) for i in range(1, runs + 1)]
        )
    return results


# --- the naive pandas baseline: read all the Parquet, merge, filter, group ----------------------


def _read_all(data_dir: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(data_dir / table)


def naive_answers(data_dir: Path) -> pd.DataFrame:
    """Return every answer with its case and its question: all the Parquet read and merged, as
    a dashboard without a query engine would do for every view (the baseline's first step)."""
    responses = _read_all(data_dir, "responses").drop(columns=["quadrant", "team"])
    cases = _read_all(data_dir, "cases")
    questions = _read_all(data_dir, "questions")
    keys = ["audit_id", "theme_id", "round_id"]
    for frame in (responses, cases):  # hive partition columns come back as categories
        frame[["theme_id", "round_id"]] = frame[["theme_id", "round_id"]].astype(str)
    return responses.merge(cases, on=keys).merge(questions, on=["theme_id", "question_id"])


def _met_and_n(chosen: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    applicable = chosen[chosen["response"] != "Not applicable"]
    grouped = applicable.groupby(by, observed=True)["response"]
    return pd.DataFrame({"n": grouped.size(), "met": grouped.agg(lambda s: (s == "Met").sum())})


def pandas_quadrant_comparison(data_dir: Path, theme: str, round_id: str) -> pd.DataFrame:
    """Return question x quadrant n and met the naive way."""
    answers = naive_answers(data_dir)
    chosen = answers[(answers["theme_id"] == theme) & (answers["round_id"] == round_id)]
    return _met_and_n(chosen, ["question_id", "quadrant"])


def pandas_category_matrix(data_dir: Path, theme_rounds: list[str]) -> pd.DataFrame:
    """Return category x theme n and met the naive way."""
    answers = naive_answers(data_dir)
    key = answers["theme_id"] + "|" + answers["round_id"]
    return _met_and_n(answers[key.isin(theme_rounds)], ["category", "theme_id"])


PROFILE_DIMENSIONS = ["age_band", "gender", "overall_grade", "quadrant", "team"]


def _profile(cases: pd.DataFrame) -> pd.Series:
    counted = [
        cases.groupby(d, observed=True).size().rename("cases").rename_axis("value").reset_index()
        .assign(dimension=d)
        for d in PROFILE_DIMENSIONS
    ]  # fmt: skip
    return pd.concat(counted).set_index(["dimension", "value"])["cases"].sort_index()


def pandas_cohort_profile(data_dir: Path, theme: str, round_id: str) -> pd.Series:
    """Return cases by dimension and value (the whole cohort profile) the naive way."""
    answers = naive_answers(data_dir)
    chosen = answers[(answers["theme_id"] == theme) & (answers["round_id"] == round_id)]
    return _profile(chosen.drop_duplicates("audit_id"))


def lean_pandas_cohort_profile(data_dir: Path, theme: str, round_id: str) -> pd.Series:
    """Return the cohort profile from the cases table alone: pandas at its best for this view
    (reported beside the naive baseline, so the harder comparison stays in sight)."""
    cases = _read_all(data_dir, "cases")
    return _profile(cases[(cases["theme_id"] == theme) & (cases["round_id"] == round_id)])


def _keyed(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, tuple[int, int]]:
    """Return {key: (n, met)}: the whole answer, for comparing two ways of computing it."""
    return {
        tuple(row[k] for k in keys): (int(row["n"]), int(row["met"]))
        for row in frame.to_dict("records")
    }


def measure_baseline(store: Store, data_dir: Path, runs: int) -> dict[str, dict[str, float]]:
    """Return the pandas baseline's p50 per query, after asserting it gives the same answers."""
    round_id = queries.resolve_round(store, "permanency", None)
    theme_rounds = queries.latest_theme_rounds(store)
    ours = queries.quadrant_comparison(store, "permanency")
    ours = _keyed(ours[(ours["quadrant"] != COUNTY) & (ours["n"] > 0)], ["question_id", "quadrant"])
    matrix = queries.category_matrix(store)
    matrix = matrix[(matrix["theme_id"] != "All themes") & (matrix["quadrant"] == COUNTY)]
    matrix = _keyed(matrix, ["category", "theme_id"])
    profile = queries.cohort_profile(store, "permanency").set_index(["dimension", "value"])
    profile = {key: int(cases) for key, cases in profile["cases"].items()}
    checks: dict[str, tuple[Callable[[], Any], Callable[[Any], bool]]] = {
        "quadrant_comparison": (
            lambda: pandas_quadrant_comparison(data_dir, "permanency", round_id),
            lambda got: _keyed(got.reset_index(), ["question_id", "quadrant"]) == ours,
        ),
        "category_matrix": (
            lambda: pandas_category_matrix(data_dir, theme_rounds),
            lambda got: _keyed(got.reset_index(), ["category", "theme_id"]) == matrix,
        ),
        "cohort_profile": (
            lambda: pandas_cohort_profile(data_dir, "permanency", round_id),
            lambda got: {key: int(cases) for key, cases in got.items()} == profile,
        ),
        "cohort_profile_lean": (
            lambda: lean_pandas_cohort_profile(data_dir, "permanency", round_id),
            lambda got: {key: int(cases) for key, cases in got.items()} == profile,
        ),
    }
    results = {}
    for name, (call, same) in checks.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            answer = call()
            times.append((time.perf_counter() - start) * 1000)
            if not same(answer):
                raise AssertionError(f"the pandas baseline disagrees with DuckDB on {name}")
        results[name] = {"p50_ms": round(statistics.median(times), 2)}
    return results


# --- pages, server, import, pack --------------------------------------------------------------


def measure_pages(data_dir: Path, runs: int) -> dict[str, dict[str, float]]:
    """Return each page's full AppTest run p50 in milliseconds, with Streamlit's caches cleared.

    Runs in a child process (ui/bench_pages.py) so the analytics package never imports Streamlit.
    """
    result = subprocess.run(
        [sys.executable, "-m", "ui.bench_pages", str(data_dir), str(runs)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"timing the pages failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def measure_server(data_dir: Path) -> dict[str, float | None]:
    """Return cold start to the first page served (s) and the server's peak RSS (MB) after
    every page of the navigation was opened.

    The browser starts before the server, so the cold start is the dashboard's alone: from
    launching the process to the overview drawn and its script run finished.
    """
    chromium = shutil.which("chromium")
    if chromium is None:
        return {"cold_start_s": None, "peak_rss_mb": None}
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "AUDIT_DATA_DIR": str(data_dir)}
    url = f"http://127.0.0.1:{port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"],
        )  # fmt: skip
        page = browser.new_page()
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.serve", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true"],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_healthy(url, process)
            page.goto(url)
            _wait_idle(page)
            cold_start = time.perf_counter() - start
            links = page.locator('[data-testid="stSidebarNav"] a')
            for href in [links.nth(i).get_attribute("href") for i in range(links.count())]:
                page.goto(f"{href}?quadrant=NE")
                _wait_idle(page)
            browser.close()
            return {"cold_start_s": round(cold_start, 2), "peak_rss_mb": _peak_rss_mb(process.pid)}
        finally:
            process.terminate()
            process.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("the dashboard exited before serving") from None
            time.sleep(0.05)
    raise RuntimeError("the dashboard did not become healthy in time")


def _wait_idle(page) -> None:
    # The app root says when its script run has finished (see tests/browser_helpers.py).
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=300_000)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=300_000
    )


def _peak_rss_mb(pid: int) -> float | None:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def run_bench(responses: int, data_dir: Path | None, runs: int, pages: bool, server: bool,
              extras: bool) -> dict[str, Any]:  # fmt: skip
    """Run every measurement and return the results (the JSON the command writes)."""
    path, scale = bench_store(responses, data_dir)
    store = Store(path)
    total = int(queries.store_contents(store)["responses"].sum())
    print(f"Store: {total:,} responses (scale {scale}). Timing queries…", file=sys.stderr)
    results: dict[str, Any] = {"responses": total, "scale": scale, "machine": _machine()}
    results["queries"] = measure_queries(store, runs)
    print("Timing the pandas baseline…", file=sys.stderr)
    baseline = measure_baseline(store, path, runs=3)
    lean = baseline.pop("cohort_profile_lean")
    results["baseline_pandas"] = baseline
    results["baseline_pandas_lean"] = {"cohort_profile": lean}
    speedups = {q: baseline[q]["p50_ms"] / results["queries"][q]["p50_ms"] for q in baseline}
    results["speedups"] = {q: round(v, 1) for q, v in speedups.items()}
    results["speedup_vs_pandas"] = round(min(speedups.values()), 1)
    results["speedup_vs_pandas_lean"] = round(
        lean["p50_ms"] / results["queries"]["cohort_profile"]["p50_ms"], 1
    )
    if pages:
        print("Timing pages…", file=sys.stderr)
        results["pages"] = measure_pages(path, runs=max(3, runs // 4))
    if server:
        print("Starting the dashboard for cold start and memory…", file=sys.stderr)
        results.update(measure_server(path))
    if extras:
        print("Timing an import and a slide pack…", file=sys.stderr)
        imports = measure_import(path)
        results["import_10k_cases_s"] = imports["xlsx"]
        results["import_10k_cases_csv_s"] = imports["csv"]
        tracker = benchmark_tracker_import(path, cases=10_000, standards=40)
        results["tracker_import_10k_cases_s"] = tracker["seconds"]
        results["tracker_import_peak_rss_mb"] = tracker["peak_rss_mb"]
        results["tracker_import"] = tracker
        pack = measure_pack(store)
        if pack is not None:
            results["pack_export_s"] = pack["first_s"]
            results["pack_export_next_s"] = pack["next_s"]
            results["pack_charts"] = pack["charts"]
    return results


def measure_import(data_dir: Path) -> dict[str, float]:
    """Return seconds to import a 10,000-case round (as a workbook, and as CSV files) into a
    hard-link copy of the store; the store itself is not changed."""
    return {
        kind: ingest.benchmark_import(data_dir, cases=10_000, kind=kind) for kind in ("xlsx", "csv")
    }


# Ten charts, as a director's pack of the five audited themes would hold.
PACK_CHARTS: tuple[str, ...] = ("quadrant_comparison", "finding_frequency")


def measure_pack(store: Store) -> dict[str, float] | None:
    """Return seconds to build a 10-chart slide pack: the first (starting the chart-image
    browser) and the next (browser running, as for every pack after a server's first), or None
    where chart images cannot be made here."""
    if not image_export_available()[0]:
        return None
    audited = [t for t in queries.themes(store)["theme_id"] if queries.audited_rounds(store, t)]
    charts = [(name, theme) for theme in audited for name in PACK_CHARTS][:10]
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        build_pack(store, None, queries.ALL, charts=charts)
        timings.append(round(time.perf_counter() - start, 2))
    stop_image_server()
    return {"charts": len(charts), "first_s": timings[0], "next_s": timings[1]}


def _machine() -> dict[str, Any]:
    import platform

    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}  # fmt: skip


def print_table(results: dict[str, Any]) -> None:
    """Print the results as a human-readable table."""
    print(f"\nresponses: {results['responses']:,}")
    print(f"{'query':32} {'p50 ms':>9} {'p95 ms':>9}")
    for name, figures in results["queries"].items():
        print(f"{name:32} {figures['p50_ms']:9.2f} {figures['p95_ms']:9.2f}")
    for name, figures in results.get("pages", {}).items():
        print(f"page {name:27} {figures['p50_ms']:9.1f}")
    for name, figures in results["baseline_pandas"].items():
        print(f"pandas {name:25} {figures['p50_ms']:9.1f}  x{results['speedups'][name]}")
    for name, figures in results.get("baseline_pandas_lean", {}).items():
        print(f"pandas, lean {name:19} {figures['p50_ms']:9.1f}")
    for key in ("speedup_vs_pandas", "speedup_vs_pandas_lean", "peak_rss_mb", "cold_start_s",
                "import_10k_cases_s", "import_10k_cases_csv_s", "tracker_import_10k_cases_s",
                "tracker_import_peak_rss_mb", "pack_export_s",
                "pack_export_next_s"):  # fmt: skip
        if key in results:
            print(f"{key:32} {results[key]}")


def _add_parser(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    parser = add("bench", "the performance benchmark")
    for action in parser._actions:  # the shared option means something else here
        if "--data-dir" in action.option_strings:
            action.help = (
                "where to build the benchmark's synthetic store (default .bench/scale-K); an "
                "empty or new folder, or one the benchmark built"
            )
    parser.add_argument("--responses", type=int, required=True, help="store size to measure")
    parser.add_argument("--json", required=True, help="where to save the figures")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query")
    parser.add_argument("--no-pages", action="store_true", help="skip the AppTest page runs")
    parser.add_argument("--no-server", action="store_true", help="skip cold start and memory")
    parser.add_argument("--no-extras", action="store_true", help="skip the import and the pack")


EXTRA_PARSERS.append(_add_parser)


@command("bench")
def run_bench_command(args: argparse.Namespace) -> int:
    """Run the benchmark, print the table and save the JSON."""
    data_dir = Path(args.data_dir) if args.data_dir else None
    results = run_bench(args.responses, data_dir, args.runs, not args.no_pages,
                        not args.no_server, not args.no_extras)  # fmt: skip
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    return 0
