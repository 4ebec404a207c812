"""What the benchmark measures, and how: `python -m benchmark` (or `python -m analytics bench`).

Builds (or reuses) a synthetic store of about N responses with the generator's --scale, then
measures every named query the pages use (cached, and cold: on a newly opened store), the
snapshot set-up, each page's full server run, a naive pandas baseline, the dashboard's peak
memory and cold start, a 10,000-case import and a slide pack. The store is a folder (SQLite
catalog) or a PostgreSQL catalog (`--data-dir "postgres:… data_path=…"`).
"""

from __future__ import annotations

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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analytics import ingest, queries
from analytics.access import local_operator
from analytics.config import PROJECT_ROOT, STORE_ENV
from analytics.domain import COUNTY, Filters
from analytics.errors import AuditDataError
from analytics.export import build_pack
from analytics.generate import DEFAULT_SEED, generate_store
from analytics.images import image_export_available, stop_image_server
from analytics.ingest.sample_round import benchmark_import, import_files_for, round_frames
from analytics.ingest.trackers.sample_tracker import benchmark_tracker_import
from analytics.lake.catalog import Lake
from analytics.lake.location import StoreLocation, is_store, parse_location
from analytics.store import Store

SAMPLE_RESPONSES = 3179  # responses in the store at --scale 1
QUADRANT_SETS: tuple[tuple[str, ...], ...] = ((), ("NE",), ("NW", "SW"), ("SE",), ("SW",), ("NW",))
PAGES = {
    "overview": None,
    "theme": "app_pages/theme.py",
    "across_themes": "app_pages/across_themes.py",
    "actions": "app_pages/actions.py",
    "data": "app_pages/data.py",
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
        PROJECT_ROOT / "analytics" / name
        for name in ("generate.py", "store.py", "contract.py", "lake/catalog.py")
    ]
    sources += sorted((PROJECT_ROOT / "analytics" / "catalogue").glob("*.csv"))
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _stamp_of(location: StoreLocation) -> Path:
    """Return the file recording which generator built the bench store: beside its folder, or
    for a PostgreSQL catalog under .bench/, named after the setting."""
    if location.folder is not None:
        return location.folder.parent / f".{location.folder.name}.generator"
    key = hashlib.sha256(location.setting.encode()).hexdigest()[:16]
    return PROJECT_ROOT / ".bench" / f".postgres-{key}.generator"


def _holds_store(location: StoreLocation) -> bool:
    """Return whether there is anything at the location (a folder's files, a catalog's tables)."""
    if location.folder is not None:
        return location.folder.is_dir() and any(location.folder.iterdir())
    lake = Lake(location)
    try:
        return lake.has_tables()
    finally:
        lake.close()


def _manifest_of(location: StoreLocation) -> dict[str, object]:
    """Return the manifest of the store at the location, or {} where there is none."""
    if not is_store(location) or not _holds_store(location):
        return {}
    with Store(location) as store:
        return store.manifest()


def bench_store(
    responses: int, data_dir: str | os.PathLike[str] | None
) -> tuple[StoreLocation, int]:
    """Return a store of about `responses` responses: reused only when built by this very code
    (a stamp records the generator's version), else built afresh."""
    scale = max(1, math.ceil(responses / SAMPLE_RESPONSES))
    location = parse_location(data_dir or PROJECT_ROOT / ".bench" / f"scale-{scale}")
    stamp = _stamp_of(location)
    version = _generator_version()
    manifest = _manifest_of(location)
    same_code = stamp.is_file() and stamp.read_text() == version
    if manifest.get("scale") == scale and manifest.get("seed") == DEFAULT_SEED and same_code:
        print(f"Reusing the store at {location} (scale {scale}).", file=sys.stderr)
        return location, scale
    if not stamp.is_file() and _holds_store(location):
        # Never overwrite a store the benchmark did not build (the bundled sample, a real one).
        raise AuditDataError(
            f"{location} holds a store the benchmark did not build: give --data-dir an empty "
            "or new folder or catalog (the benchmark writes a synthetic store of the size asked "
            "for there)."
        )
    print(
        f"Building a store of ~{scale * SAMPLE_RESPONSES:,} responses at {location}.",
        file=sys.stderr,
    )
    generate_store(location, scale=scale, progress=_progress_bar)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(version)
    return location, scale


def _setting(location: StoreLocation) -> str:
    """Return the store setting a child process is given (a folder as an absolute path)."""
    return str(location.folder) if location.folder is not None else location.setting


def _load() -> list[float]:
    """Return the machine's load average (1, 5 and 15 minutes): it is shared, so each figure
    is saved with the load it was measured under."""
    return [round(value, 2) for value in os.getloadavg()]


def _timed(call: Callable[[], Any]) -> tuple[float, float]:
    """Return the call's wall time and this process's CPU time (all its threads), in ms: on a
    busy machine the wall time waits for a core; the CPU time is the work itself."""
    start, cpu = time.perf_counter(), time.process_time()
    call()
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2)}


QueryParameters = tuple[list[str], dict[str, list[str]]]


def query_parameters(store: Store) -> QueryParameters:
    """Return the audited themes and each one's questions: what the timed calls rotate over."""
    themes = [t for t in queries.themes(store)["theme_id"] if queries.audited_rounds(store, t)]
    questions = {t: store.query("SELECT question_id FROM questions WHERE theme_id = $t "
                                "ORDER BY question_id", {"t": t})["question_id"].tolist()
                 for t in themes}  # fmt: skip
    return themes, questions


def query_calls(
    store: Store, parameters: QueryParameters | None = None
) -> dict[str, Callable[[int], Any]]:
    """Return each named query the pages use as a call taking a run number (fresh parameters);
    `parameters` found on another Store leave this one untouched until a call runs."""
    themes, questions = parameters or query_parameters(store)

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
        "weakest": lambda i: queries.weakest(store, pick(i)[1]),
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
        timed = [_timed(lambda i=i, call=call: call(i)) for i in range(1, runs + 1)]
        results[name] = {
            **_summary([wall for wall, _ in timed]),
            "cpu_p50_ms": round(statistics.median(cpu for _, cpu in timed), 2),
        }
    return results


def measure_cold(
    store: Store, runs: int
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Return each named query's first run on the same store newly opened (catalog
    attached, snapshot set up, then the query), p50/p95 over `runs`, and the set-up's two parts
    alone: opening the catalog, and setting up the snapshot (what a running dashboard pays
    after a new snapshot)."""
    location, parameters = store.where, query_parameters(store)
    opening: list[float] = []
    setting_up: list[float] = []
    cold = {}
    for name in query_calls(store, parameters):
        times = []
        for run in range(1, runs + 1):
            start = time.perf_counter()
            lake = Lake(location)
            try:
                opened = time.perf_counter()
                store = Store(location, lake=lake)
                ready = time.perf_counter()
                query_calls(store, parameters)[name](run)
                done = time.perf_counter()
            finally:
                lake.close()
            opening.append((opened - start) * 1000)
            setting_up.append((ready - opened) * 1000)
            times.append((done - start) * 1000)
        cold[name] = _summary(times)
    setup = {"open_catalog": _summary(opening), "set_up_snapshot": _summary(setting_up)}
    return cold, setup


# --- the naive pandas baseline: read all the Parquet, merge, filter, group ----------------------


TableFiles = Mapping[str, list[str] | None]


def table_files(store: Store) -> TableFiles:
    """Return each table's Parquet files at the store's snapshot, as its catalog lists them."""
    return store.lake.files_at(store.snapshot)


def _read_all(files: TableFiles, table: str) -> pd.DataFrame:
    listed = files.get(table)
    if listed is None:  # rows deleted by delete files: reading the files alone would be wrong
        raise AuditDataError(
            f"The {table} table has deleted rows the pandas baseline cannot read: build the "
            "benchmark's store afresh."
        )
    # The partition columns are inside the files: no hive discovery from the folder names.
    return pd.read_parquet(listed, partitioning=None)


def naive_answers(files: TableFiles) -> pd.DataFrame:
    """Return every answer with its case and its question: all the Parquet read and merged, as
    a dashboard without a query engine would do for every view (the baseline's first step)."""
    responses = _read_all(files, "responses").drop(columns=["quadrant", "team"])
    cases = _read_all(files, "cases")
    questions = _read_all(files, "questions")
    keys = ["audit_id", "theme_id", "round_id"]
    return responses.merge(cases, on=keys).merge(questions, on=["theme_id", "question_id"])


def _met_and_n(chosen: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    applicable = chosen[chosen["response"] != "Not applicable"]
    grouped = applicable.groupby(by, observed=True)["response"]
    return pd.DataFrame({"n": grouped.size(), "met": grouped.agg(lambda s: (s == "Met").sum())})


def pandas_quadrant_comparison(files: TableFiles, theme: str, round_id: str) -> pd.DataFrame:
    """Return question x quadrant n and met the naive way."""
    answers = naive_answers(files)
    chosen = answers[(answers["theme_id"] == theme) & (answers["round_id"] == round_id)]
    return _met_and_n(chosen, ["question_id", "quadrant"])


def pandas_category_matrix(files: TableFiles, theme_rounds: list[str]) -> pd.DataFrame:
    """Return category x theme n and met the naive way."""
    answers = naive_answers(files)
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


def pandas_cohort_profile(files: TableFiles, theme: str, round_id: str) -> pd.Series:
    """Return cases by dimension and value (the whole cohort profile) the naive way."""
    answers = naive_answers(files)
    chosen = answers[(answers["theme_id"] == theme) & (answers["round_id"] == round_id)]
    return _profile(chosen.drop_duplicates("audit_id"))


def lean_pandas_cohort_profile(files: TableFiles, theme: str, round_id: str) -> pd.Series:
    """Return the cohort profile from the cases table alone: pandas at its best for this view
    (reported beside the naive baseline, so the harder comparison stays in sight)."""
    cases = _read_all(files, "cases")
    return _profile(cases[(cases["theme_id"] == theme) & (cases["round_id"] == round_id)])


def _keyed(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, tuple[int, int]]:
    """Return {key: (n, met)}: the whole answer, for comparing two ways of computing it."""
    return {
        tuple(row[k] for k in keys): (int(row["n"]), int(row["met"]))
        for row in frame.to_dict("records")
    }


def measure_baseline(store: Store, runs: int) -> dict[str, dict[str, float]]:
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
    files = table_files(store)
    checks: dict[str, tuple[Callable[[], Any], Callable[[Any], bool]]] = {
        "quadrant_comparison": (
            lambda: pandas_quadrant_comparison(files, "permanency", round_id),
            lambda got: _keyed(got.reset_index(), ["question_id", "quadrant"]) == ours,
        ),
        "category_matrix": (
            lambda: pandas_category_matrix(files, theme_rounds),
            lambda got: _keyed(got.reset_index(), ["category", "theme_id"]) == matrix,
        ),
        "cohort_profile": (
            lambda: pandas_cohort_profile(files, "permanency", round_id),
            lambda got: {key: int(cases) for key, cases in got.items()} == profile,
        ),
        "cohort_profile_lean": (
            lambda: lean_pandas_cohort_profile(files, "permanency", round_id),
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


def measure_pages(location: StoreLocation, runs: int) -> dict[str, dict[str, float]]:
    """Return each page's full AppTest run p50 in milliseconds, with Streamlit's caches cleared.

    Runs in a child process (benchmark/pages.py): its own Streamlit, caches and memory.
    """
    result = subprocess.run(
        [sys.executable, "-m", "benchmark.pages", _setting(location), str(runs)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"timing the pages failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def measure_server(location: StoreLocation) -> dict[str, float | int | None]:
    """Return cold start to the first page served (s) and the server's peak RSS (MB) after
    every page of the navigation was opened.

    The browser starts before the server, so the cold start is the dashboard's alone: from
    launching the process to the overview drawn and its script run finished.
    """
    chromium = shutil.which("chromium")
    if chromium is None:
        return {"cold_start_s": None, "peak_rss_mb": None, "pages_opened": 0}
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, STORE_ENV: _setting(location)}
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
            pages = _page_links(page)
            for href in pages:
                page.goto(f"{href}?quadrant=NE")
                _wait_idle(page)
            browser.close()
            return {"cold_start_s": round(cold_start, 2), "peak_rss_mb": _peak_rss_mb(process.pid),
                    "pages_opened": len(pages)}  # fmt: skip
        finally:
            process.terminate()
            process.wait(timeout=30)


def _page_links(page: Any) -> list[str]:
    """Return every page's address from the header's navigation: its links, then the theme
    pages in its Themes menu."""
    links = page.locator('[data-testid="stTopNavLink"]')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    page.get_by_test_id("stTopNavSection").filter(has_text="Themes").click()
    themes = page.locator('[data-testid="stTopNavDropdownLink"]')
    themes.first.wait_for()
    hrefs += [themes.nth(i).get_attribute("href") for i in range(themes.count())]
    page.keyboard.press("Escape")
    return [href for href in hrefs if href]


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


Save = Callable[[dict[str, Any]], None]


def _measured(results: dict[str, Any], phase: str, save: Save) -> None:
    """Note the load average a phase ended under and save the results so far (a run stopped
    later keeps them)."""
    results["load_average"][phase] = _load()
    save(results)


def run_bench(responses: int, data_dir: str | os.PathLike[str] | None, runs: int, pages: bool,
              server: bool, extras: bool,
              save: Save = lambda _: None) -> dict[str, Any]:  # fmt: skip
    """Run every measurement and return the results (the JSON the command writes); `save` is
    given the results so far after each phase."""
    location, scale = bench_store(responses, data_dir)
    store = Store(location)
    total = int(queries.store_contents(store)["responses"].sum())
    print(f"Store: {total:,} responses (scale {scale}). Timing queries…", file=sys.stderr)
    results: dict[str, Any] = {"responses": total, "scale": scale, "machine": _machine(),
                               "catalog": "sqlite" if location.embedded else "postgres",
                               "load_average": {"start": _load()}}  # fmt: skip
    results["queries"] = measure_queries(store, runs)
    _measured(results, "queries", save)
    print("Timing the queries on newly opened stores…", file=sys.stderr)
    cold, setup = measure_cold(store, runs=max(3, runs // 4))
    results["queries_cold"] = cold
    results["snapshot_setup"] = setup
    _measured(results, "queries_cold", save)
    print("Timing the pandas baseline…", file=sys.stderr)
    baseline = measure_baseline(store, runs=3)
    lean = baseline.pop("cohort_profile_lean")
    results["baseline_pandas"] = baseline
    results["baseline_pandas_lean"] = {"cohort_profile": lean}
    speedups = {q: baseline[q]["p50_ms"] / results["queries"][q]["p50_ms"] for q in baseline}
    results["speedups"] = {q: round(v, 1) for q, v in speedups.items()}
    results["speedup_vs_pandas"] = round(min(speedups.values()), 1)
    results["speedup_vs_pandas_lean"] = round(
        lean["p50_ms"] / results["queries"]["cohort_profile"]["p50_ms"], 1
    )
    _measured(results, "baseline", save)
    if pages:
        print("Timing pages…", file=sys.stderr)
        results["pages"] = measure_pages(location, runs=max(3, runs // 4))
        _measured(results, "pages", save)
    if server:
        print("Starting the dashboard for cold start and memory…", file=sys.stderr)
        results.update(measure_server(location))
        _measured(results, "server", save)
    if extras:
        print("Timing an import and a slide pack…", file=sys.stderr)
        imports = measure_import(location)
        results["import_10k_cases_s"] = imports["xlsx"]
        results["import_10k_cases_csv_s"] = imports["csv"]
        _measured(results, "import", save)
        if location.folder is not None:  # it times a copy of the store: a folder's only
            tracker = benchmark_tracker_import(location.folder, cases=10_000, standards=40)
            results["tracker_import_10k_cases_s"] = tracker["seconds"]
            results["tracker_import_peak_rss_mb"] = tracker["peak_rss_mb"]
            results["tracker_import"] = tracker
            _measured(results, "tracker_import", save)
        pack = measure_pack(store)
        if pack is not None:
            results["pack_export_s"] = pack["first_s"]
            results["pack_export_next_s"] = pack["next_s"]
            results["pack_charts"] = pack["charts"]
            _measured(results, "pack", save)
    store.close()
    return results


def measure_import(location: StoreLocation) -> dict[str, float]:
    """Return seconds to import a 10,000-case round (as a workbook, and as CSV files): into a
    copy of an embedded store (the store itself is not changed); with a PostgreSQL catalog,
    which cannot be copied from here, into the benchmark's own store, then undone."""
    if location.embedded:
        return {
            kind: benchmark_import(location, cases=10_000, kind=kind) for kind in ("xlsx", "csv")
        }
    return {kind: _import_and_undo(location, cases=10_000, kind=kind) for kind in ("xlsx", "csv")}


def _import_and_undo(location: StoreLocation, cases: int, kind: str) -> float:
    """Return the seconds taken to import the benchmark round into the store; then undo that
    import (two more snapshots, the same rows as before)."""
    actor = local_operator("benchmark")
    sources = import_files_for(round_frames(cases), kind)
    start = time.perf_counter()
    result = ingest.import_files(location, sources, replace=True, actor=actor)
    elapsed = time.perf_counter() - start
    if not result.changed:
        raise AuditDataError(f"The benchmark round was not imported: {result.message}")
    ingest.undo_import(location, result.import_id, actor=actor)
    return round(elapsed, 2)


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
    print(f"\nresponses: {results['responses']:,} ({results['catalog']} catalog)")
    print(
        f"{'query':32} {'p50 ms':>9} {'p95 ms':>9} {'cpu p50':>9} {'cold p50':>9} {'cold p95':>9}"
    )
    for name, figures in results["queries"].items():
        cold = results["queries_cold"][name]
        shown = [figures["p50_ms"], figures["p95_ms"], figures["cpu_p50_ms"], cold["p50_ms"],
                 cold["p95_ms"]]  # fmt: skip
        print(f"{name:32} " + " ".join(f"{value:9.2f}" for value in shown))
    for name, figures in results["snapshot_setup"].items():
        print(f"set-up: {name:24} {figures['p50_ms']:9.1f} {figures['p95_ms']:9.1f}")
    for name, figures in results.get("pages", {}).items():
        print(f"page {name:27} {figures['p50_ms']:9.1f} (cpu {figures.get('cpu_p50_ms', 0):.1f})")
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
