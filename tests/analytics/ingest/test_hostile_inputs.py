"""The hostile-input battery: every kind of bad input in tests/hostile_cases.py, each in its own
process (forked from one preloaded server, tests/hostile_runner.py), refused or handled within
5 s of CPU (15 s wall) and 500 MB, with no traceback, and the store unchanged by a refusal.

The summary (case, outcome, CPU and wall seconds, peak MB, counts per category) is printed, and
written to tests/artifacts/hostile_summary.txt when every case ran.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from paths import ROOT, TESTS

from tests.hostile_cases import CASES, Case
from tests.ingest_helpers import copy_store, latest_snapshot, tree_hashes

RUNNER = TESTS / "hostile_runner.py"
SUMMARY = TESTS / "artifacts" / "hostile_summary.txt"
# Each case: generous bounds, not benchmarks. Time is the child's CPU time (user + system), which
# other jobs on a shared 2-core runner do not inflate; wall time is bounded too, with room for them.
MAX_SECONDS = 5.0
MAX_WALL_SECONDS = 15.0
MAX_PEAK_MB = 500.0  # the case's process, pages inherited from the preloaded server included
KILL_AFTER_S = 20.0  # a stalled case is stopped here rather than stalling the battery
KILL_AT_MB = 1500.0
CATEGORIES = ("structure", "values", "identity", "dates", "text", "sizes", "personal",
              "formulas", "trackers")  # fmt: skip
MIN_KINDS, MIN_PER_CATEGORY = 100, 6

RESULTS: list[tuple[str, str, float, float, float]] = []  # id, outcome, cpu s, wall s, peak MB


class CaseServer:
    """The preloaded interpreter that forks one child per case."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
        self.process = subprocess.Popen(
            [sys.executable, str(RUNNER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            cwd=ROOT, env=env, text=True,
        )  # fmt: skip
        ready = json.loads(self.process.stdout.readline())
        self.baseline_mb = float(ready["baseline_mb"])

    def run(self, action: dict) -> dict:
        request = {"action": action, "time_cap_s": KILL_AFTER_S, "memory_cap_mb": KILL_AT_MB}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the case server died"
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def server():
    started = time.perf_counter()
    serving = CaseServer()
    yield serving
    serving.close()
    write_summary(serving.baseline_mb, time.perf_counter() - started)


def write_summary(baseline_mb: float, seconds: float) -> None:
    """Write the table of every case run, with the counts per category."""
    if not RESULTS:
        return
    lines = [f"hostile-input battery: {len(RESULTS)} cases in {seconds:.1f} s; preloaded server "
             f"{baseline_mb:.0f} MB (every child's peak includes it)", "",
             f"{'case':58} {'outcome':9} {'cpu s':>6} {'wall s':>7} {'peak MB':>8}"]  # fmt: skip
    for case_id, outcome, cpu, wall, peak in RESULTS:
        lines.append(f"{case_id:58} {outcome:9} {cpu:6.2f} {wall:7.2f} {peak:8.0f}")
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for case_id, outcome, *_ in RESULTS:
        counts[case_id.split("/")[0]][outcome] += 1
    lines += ["", f"{'category':12} {'kinds':>5} {'refused':>8} {'handled':>8} {'other':>6}"]
    for category, counted in counts.items():
        other = sum(counted.values()) - counted["refused"] - counted["handled"]
        lines.append(f"{category:12} {sum(counted.values()):5} {counted['refused']:8} "
                     f"{counted['handled']:8} {other:6}")  # fmt: skip
    slowest = max(RESULTS, key=lambda r: r[2])
    largest = max(RESULTS, key=lambda r: r[4])
    lines += ["", f"slowest: {slowest[0]} {slowest[2]:.2f} s CPU ({slowest[3]:.2f} s wall)",
              f"largest: {largest[0]} {largest[4]:.0f} MB"]  # fmt: skip
    print("\n" + "\n".join(lines))
    if len(RESULTS) == len(CASES):  # a run of a few cases leaves the whole battery's table
        SUMMARY.parent.mkdir(exist_ok=True)
        SUMMARY.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_catalogue_has_enough_distinct_kinds_in_every_category():
    by_category = collections.Counter(case.id.split("/")[0] for case in CASES)
    assert set(by_category) == set(CATEGORIES)
    assert len(CASES) >= MIN_KINDS
    assert min(by_category.values()) >= MIN_PER_CATEGORY, by_category


def full_text(result: dict) -> str:
    """The message and every problem's cells: all that the user is shown."""
    return (
        result.get("message", "")
        + "\n"
        + json.dumps(result.get("problems", []), ensure_ascii=False)
    )


def problem_at(result: dict, where: dict[str, object]) -> bool:
    def same(key: str, value: object, got: object) -> bool:
        if key == "row":
            return got is not None and int(float(str(got))) == value
        return got == value

    return any(all(same(k, v, p.get(k)) for k, v in where.items())
               for p in result.get("problems", []))  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, server: CaseServer, sample_dir: Path, tmp_path: Path):
    store = copy_store(sample_dir, tmp_path / "store")
    folder = tmp_path / "input"
    folder.mkdir()
    action = case.build(folder, store)
    if action["way"] in ("api", "tracker", "url"):
        action.setdefault("store", str(store))
    before, snapshot_before = tree_hashes(store), latest_snapshot(store)
    result = server.run(action)
    result["action"] = action
    RESULTS.append((case.id, result["outcome"], result["cpu_seconds"], result["wall_seconds"],
                    result["peak_mb"]))  # fmt: skip
    text = full_text(result)
    summary = (
        f"{case.id}: {result['outcome']} in {result['cpu_seconds']:.2f} s CPU, "
        f"{result['wall_seconds']:.2f} s wall, {result['peak_mb']:.0f} MB\n{text[:3000]}"
    )

    assert result["outcome"] != "killed", summary
    assert not result.get("traceback") and "Traceback" not in text, (
        f"{summary}\n{result.get('traceback', '')}"
    )
    assert result["outcome"] in ("refused", "handled"), summary
    if case.expect != "either":
        assert result["outcome"] == case.expect, summary
    assert result["cpu_seconds"] <= MAX_SECONDS, summary
    assert result["wall_seconds"] <= MAX_WALL_SECONDS, summary
    assert result["peak_mb"] <= MAX_PEAK_MB, summary
    for phrase in case.phrases if result["outcome"] == "refused" or case.expect != "either" else ():
        assert phrase.lower() in text.lower(), f"{phrase!r} not said\n{summary}"
    for phrase in case.absent:
        assert phrase not in text, f"{phrase!r} shown to the user\n{summary}"
    if result["outcome"] == "refused":
        assert tree_hashes(store) == before, "a refused input changed the store"
        assert latest_snapshot(store) == snapshot_before, "a refused input committed a snapshot"
        if case.where and "problems" in result:
            assert problem_at(result, case.where), f"no problem at {case.where}\n{summary}"
    if case.check is not None and (result["outcome"] == "handled" or case.expect == "refused"):
        case.check(store, result)
