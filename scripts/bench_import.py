"""Time the import of one large audit round into a copy of the sample store.

Usage: .venv/bin/python scripts/bench_import.py [--cases 10000] [--repeat 3] [--data-dir DIR]

Builds a permanency round of N cases (10 questions each: 10 N responses) as an XLSX workbook
(shared strings, as Excel writes) and as CSV files (analytics.ingest.sample_round, which
`python -m analytics bench` uses too), then times analytics.ingest.import_files into a fresh
hard-link copy of the store for each, and prints the seconds. Without --data-dir, the sample
store is generated into a temporary folder first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics import ingest
from analytics.access import local_operator
from analytics.generate import generate_store
from analytics.ingest.sample_round import import_files_for, round_frames, store_clone


def time_imports(data_dir: Path, cases: int, repeat: int) -> None:
    """Import the round as a workbook and as CSV files `repeat` times each; print the timings."""
    frames = round_frames(cases)
    print(f"{cases} cases, {len(frames['responses'])} responses")
    for kind in ("xlsx", "csv"):
        sources = import_files_for(frames, kind)
        size = sum(len(s.data) for s in sources) / 1e6
        times = []
        for _attempt in range(repeat):
            with store_clone(data_dir) as clone:
                start = time.perf_counter()
                result = ingest.import_files(clone, sources, replace=True, actor=local_operator())
                times.append(time.perf_counter() - start)
            assert result.changed and len(result.preview.problems) == 0
        print(f"{kind:5} {size:5.1f} MB  import: best {min(times):.2f} s, "
              f"median {sorted(times)[len(times) // 2]:.2f} s")  # fmt: skip


def main() -> None:
    """Build the files, import each into a fresh copy of the store, print timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None, help="a store to copy (untouched)")
    args = parser.parse_args()
    if args.data_dir is not None:
        time_imports(args.data_dir, args.cases, args.repeat)
        return
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "sample"
        generate_store(sample)
        time_imports(sample, args.cases, args.repeat)


if __name__ == "__main__":
    main()
