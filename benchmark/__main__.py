"""`python -m benchmark`: build or reuse the benchmark's store, measure, print and save."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analytics.config import DATA_DIR_ENV, STORE_ENV
from analytics.errors import AuditDataError
from benchmark.measure import print_table, run_bench


def build_parser() -> argparse.ArgumentParser:
    """Return the benchmark's parser."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmark", description="the performance benchmark"
    )
    parser.add_argument(
        "--data-dir", default=None,
        help="where to build the benchmark's synthetic store (default .bench/scale-K): an empty "
        "or new folder, one the benchmark built, or postgres:… data_path=… "
        f"(${STORE_ENV} and ${DATA_DIR_ENV} are not read: the benchmark never measures a real "
        "store)",
    )  # fmt: skip
    parser.add_argument("--responses", type=int, required=True, help="store size to measure")
    parser.add_argument("--json", required=True, help="where to save the figures")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query")
    parser.add_argument("--no-pages", action="store_true", help="skip the AppTest page runs")
    parser.add_argument("--no-server", action="store_true", help="skip cold start and memory")
    parser.add_argument("--no-extras", action="store_true", help="skip the import and the pack")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the table and save the JSON; 2 and a message on bad input."""
    args = build_parser().parse_args(argv)
    out = Path(args.json)

    def save(results: dict[str, Any]) -> None:
        out.write_text(json.dumps(results, indent=2) + "\n")

    try:
        results = run_bench(args.responses, args.data_dir or None, args.runs, not args.no_pages,
                            not args.no_server, not args.no_extras, save)  # fmt: skip
    except AuditDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    save(results)
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
