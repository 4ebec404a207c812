"""Time the import of one large audit round into a copy of the sample store.

Usage: .venv/bin/python scripts/bench_import.py [--cases 10000] [--repeat 3]

Builds a permanency round of N cases (10 questions each: 10 N responses) as an XLSX workbook
(shared strings, as Excel writes) and as CSV files, then times analytics.ingest.import_files
into a fresh copy of the generated sample store for each, and prints the seconds.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics import ingest
from analytics.domain import GRADES, QUADRANTS, RESPONSES
from analytics.generate import generate_store


def round_frames(n_cases: int) -> dict[str, pd.DataFrame]:
    """Return cases and responses of one synthetic permanency round."""
    rng = np.random.default_rng(1)
    ids = np.array([f"BENCH-{i:06d}" for i in range(n_cases)], dtype=object)
    cases = pd.DataFrame(
        {
            "audit_id": ids,
            "theme_id": "permanency",
            "round_id": "2021-03-bench",
            "quadrant": rng.choice(QUADRANTS, n_cases),
            "team": rng.choice(["Looked After", "Family Safeguarding"], n_cases),
            "child_ref": [f"SYN-{v:08X}" for v in rng.integers(0, 2**32, n_cases)],
            "audit_date": pd.Timestamp("2021-03-01")
            + pd.to_timedelta(rng.integers(0, 28, n_cases), unit="D"),
            "gender": rng.choice(["Female", "Male"], n_cases),
            "age_band": rng.choice(["0-4", "5-9", "10-15"], n_cases),
            "overall_grade": rng.choice(GRADES, n_cases),
        }
    )
    questions = [f"PERM-{i:02d}" for i in range(1, 11)]
    responses = pd.DataFrame(
        {
            "audit_id": np.repeat(ids, len(questions)),
            "question_id": np.tile(questions, n_cases),
            "response": rng.choice(RESPONSES, n_cases * len(questions)),
            "comment": rng.choice(
                ["Clearly evidenced on the case record.", "No evidence found.", ""],
                n_cases * len(questions),
            ),
        }
    )
    return {"cases": cases, "responses": responses}


def workbook(frames: dict[str, pd.DataFrame]) -> bytes:
    """Return the frames as an XLSX workbook written the way Excel writes (shared strings)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, frame in frames.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, list(frame.columns))
        for c, column in enumerate(frame.columns):
            values = frame[column]
            if pd.api.types.is_datetime64_any_dtype(values):
                for r, value in enumerate(values, start=1):
                    sheet.write_datetime(r, c, value.to_pydatetime(), date_format)
            else:
                sheet.write_column(1, c, values.astype(str).tolist())
    book.close()
    return buffer.getvalue()


def main() -> None:
    """Build the files, import each into a fresh copy of the sample store, print timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frames = round_frames(args.cases)
    files = {
        "xlsx": [ingest.Source("round.xlsx", workbook(frames))],
        "csv": [
            ingest.Source(f"{name}.csv", frame.to_csv(index=False, date_format="%Y-%m-%d").encode())
            for name, frame in frames.items()
        ],
    }
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "sample"
        generate_store(sample)
        print(f"{args.cases} cases, {len(frames['responses'])} responses")
        for kind, sources in files.items():
            size = sum(len(s.data) for s in sources) / 1e6
            times = []
            for attempt in range(args.repeat):
                target = Path(folder) / f"{kind}-{attempt}" / "data"
                shutil.copytree(sample, target)
                start = time.perf_counter()
                result = ingest.import_files(target, sources)
                times.append(time.perf_counter() - start)
                assert result.changed and len(result.preview.problems) == 0
            print(f"{kind:5} {size:5.1f} MB  import: best {min(times):.2f} s, "
                  f"median {sorted(times)[len(times) // 2]:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
