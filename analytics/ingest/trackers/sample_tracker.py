"""A large synthetic tracker, and the benchmark that maps and imports it.

The tracker is laid out as a quadrant team keeps one: a sheet per quadrant named after it, a
title row above the header, one row per case, one column per standard headed by the standard's
numbered wording, answers Yes / No / Partially / N/A, UK day-first dates typed as text, an
"Overall grade" with RI, and a comments column after every tenth standard. Its standards are
the bench theme's questions plus enough borrowed wordings to make 40, added to a hard-link
copy of the store (as a new audit tool's questions would be) before the clock starts.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.access import local_operator
from analytics.config import PROJECT_ROOT
from analytics.domain import QUADRANT_LABELS, QUADRANTS
from analytics.errors import AuditDataError
from analytics.ingest.reading import Source
from analytics.ingest.sample_round import BENCH_THEME, store_clone
from analytics.lake.location import is_store, parse_location

TRACKER_ROUND = "2021-09-tracker-bench"
SETUP_ROUND = "2021-08-tracker-bench-setup"
EXTRA_ID = "PERM-B{:02d}"  # the borrowed standards' ids in the bench theme
ANSWER_WORDS = ("Yes", "No", "Partially", "N/A")
GRADE_WORDS = ("Outstanding", "Good", "RI", "Inadequate")


def bench_questions(questions: pd.DataFrame, standards: int) -> pd.DataFrame:
    """Return `standards` questions for the bench theme: its own, then other themes' wordings
    under new ids (question_id, text, category, is_new)."""
    own = questions[questions["theme_id"] == BENCH_THEME].assign(is_new=False)
    others = questions[questions["theme_id"] != BENCH_THEME].drop_duplicates("text")
    extra = others.head(max(0, standards - len(own))).reset_index(drop=True)
    extra = extra.assign(
        theme_id=BENCH_THEME,
        question_id=[EXTRA_ID.format(i) for i in range(len(own) + 1, len(own) + len(extra) + 1)],
        is_new=True,
    )
    chosen = pd.concat([own, extra], ignore_index=True).head(standards)
    if len(chosen) < standards:
        raise AuditDataError(
            f"The store has only {len(chosen)} distinct standards, not {standards}."
        )
    return chosen[["question_id", "text", "category", "is_new"]]


def tracker_workbook(n_cases: int, questions: pd.DataFrame, seed: int = 7) -> bytes:
    """Return an XLSX tracker of n_cases cases spread over one sheet per quadrant."""
    import xlsxwriter  # writes as Excel does (shared strings); in the test requirements

    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    headers = ["Child ref", "Date of audit", "Team", "Overall grade"]
    layout: list[tuple[str, int | None]] = []  # (header, index of the standard) per column
    for number, text in enumerate(questions["text"], start=1):
        layout.append((f"{number}. {text}", number - 1))
        if number % 10 == 0:
            layout.append((f"Q{number} comments", None))
    per_sheet = np.array_split(np.arange(n_cases), len(QUADRANTS))
    for quadrant, rows in zip(QUADRANTS, per_sheet, strict=True):
        sheet = book.add_worksheet(QUADRANT_LABELS[quadrant])
        sheet.write(0, 0, f"{QUADRANT_LABELS[quadrant]} permanency tracker (synthetic)")
        sheet.write_row(2, 0, headers + [h for h, _ in layout])
        n = len(rows)
        days = rng.integers(1, 29, n)
        columns = [
            [f"SYN-{i:06d}" for i in rows],
            [f"{d:02d}/09/2021" for d in days],
            rng.choice(["Looked After", "Family Safeguarding"], n).tolist(),
            rng.choice(GRADE_WORDS, n).tolist(),
        ]
        for _, index in layout:
            if index is None:
                columns.append(rng.choice(["Seen on file.", ""], n).tolist())
            else:
                columns.append(rng.choice(ANSWER_WORDS, n).tolist())
        for c, values in enumerate(columns):
            sheet.write_column(3, c, values)
    book.close()
    return buffer.getvalue()


def _setup_workbook(questions: pd.DataFrame) -> bytes:
    """Return a template workbook adding the borrowed standards to the bench theme (with the one
    case the template needs)."""
    from analytics.ingest.sample_round import workbook

    new = questions[questions["is_new"]]
    case = {
        "audit_id": "TRACKER-BENCH-SETUP", "theme_id": BENCH_THEME, "round_id": SETUP_ROUND,
        "quadrant": "NW", "child_ref": "SYN-SETUP-1", "audit_date": pd.Timestamp("2021-08-02"),
    }  # fmt: skip
    frames = {
        "cases": pd.DataFrame([case]),
        "responses": pd.DataFrame(
            {
                "audit_id": case["audit_id"],
                "question_id": questions["question_id"],
                "response": "Met",
            }
        ),
        "questions": new.assign(theme_id=BENCH_THEME)[
            ["theme_id", "question_id", "text", "category"]
        ],
    }
    return workbook(frames)


def map_and_import(store: str, tracker: str) -> dict[str, float]:
    """Read, propose and import a tracker file; return seconds, this process's peak RSS (MB) and
    the standards the proposal mapped (run in a fresh process: its peak is the import's)."""
    from analytics import ingest
    from analytics.ingest.state import store_state
    from analytics.ingest.trackers.layout import read_trackers
    from analytics.ingest.trackers.propose import propose
    from analytics.store import Store

    source = Source("synthetic_tracker.xlsx", Path(tracker).read_bytes())
    start = time.perf_counter()
    read = read_trackers([source])
    db = Store(Path(store))
    try:
        questions = store_state(db).questions
    finally:
        db.close()
    proposal = propose(read, questions[questions["theme_id"] == BENCH_THEME], BENCH_THEME,
                       "Synthetic bench tracker")  # fmt: skip
    if proposal.mapping is None:
        raise AuditDataError("The bench tracker could not be mapped.")
    theme_ids = set(questions.loc[questions["theme_id"] == BENCH_THEME, "question_id"])
    mapped = int(proposal.columns["maps_to"].isin(theme_ids).sum())
    result = ingest.import_files(
        store, [source], actor=local_operator("benchmark"),
        tracker=ingest.TrackerImport(proposal.mapping, TRACKER_ROUND),
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if not result.changed:
        raise AuditDataError(f"The bench tracker was not imported: {result.message}")
    counts = dict(zip(result.preview.counts["what"], result.preview.counts["rows"], strict=True))
    return {"seconds": round(elapsed, 2), "peak_rss_mb": _peak_rss_mb(), "mapped": mapped,
            "cases": int(counts["cases"]), "responses": int(counts["responses"])}  # fmt: skip


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def benchmark_tracker_import(
    data_dir: Path, cases: int = 10_000, standards: int = 40
) -> dict[str, float]:
    """Return the seconds and peak RSS (MB) of a fresh process that reads, maps (proposal, no
    edit) and imports a `cases`-case tracker of `standards` standards, one sheet per quadrant,
    into a hard-link copy of the store; the store itself is never touched."""
    from analytics import ingest
    from analytics.store import Store

    data_dir = Path(data_dir).resolve()
    if not is_store(parse_location(data_dir)):
        raise AuditDataError(f"No audit store at {data_dir} to time a tracker import against.")
    db = Store(data_dir)
    try:
        questions = bench_questions(db.query("SELECT * FROM questions"), standards)
    finally:
        db.close()
    data = tracker_workbook(cases, questions)
    with store_clone(data_dir) as clone:
        setup = Source("tracker-bench-setup.xlsx", _setup_workbook(questions))
        ingest.import_files(clone, [setup], actor=local_operator("benchmark"))
        tracker = clone.parent / "synthetic_tracker.xlsx"
        tracker.write_bytes(data)
        child = subprocess.run(  # a process of its own, so its peak memory is the import's
            [sys.executable, "-m", __name__, str(clone), str(tracker)],
            capture_output=True, text=True, check=False, cwd=PROJECT_ROOT,
        )  # fmt: skip
        if child.returncode != 0:
            raise AuditDataError(f"The tracker benchmark failed: {child.stderr[-2000:]}")
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    return {
        "seconds": figures["seconds"], "peak_rss_mb": figures["peak_rss_mb"],
        "cases": figures["cases"], "responses": figures["responses"],
        "standards": standards, "standard_columns": standards * len(QUADRANTS),
        "standard_columns_mapped": figures["mapped"],
    }  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(map_and_import(sys.argv[1], sys.argv[2])))
