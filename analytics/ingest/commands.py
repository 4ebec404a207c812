"""The importer's sub-commands: ingest, undo-import, imports, accept-round, template."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analytics.access import local_operator
from analytics.cli import EXTRA_PARSERS, command
from analytics.config import resolve_data_dir
from analytics.errors import ImportRefused


def size_limit(text: str) -> float:
    """Parse --max-mb: a finite number of megabytes above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of megabytes") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a size in megabytes above 0, e.g. 50")
    return value


def csv_path(text: str) -> str:
    """Parse --errors-csv: a file to write, not a folder."""
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: name a file, e.g. problems.csv")
    return text


def _add_parsers(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    from analytics.ingest.reading import DEFAULT_MAX_MB

    ingest = add("ingest", "import audit rounds (an XLSX workbook, or CSV files) all-or-nothing")
    ingest.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="one .xlsx workbook, or cases.csv, responses.csv [rounds.csv] "
        "[questions.csv]: one import",
    )
    ingest.add_argument(
        "--replace", action="store_true", help="replace rounds that are already loaded"
    )
    ingest.add_argument(
        "--max-mb",
        type=size_limit,
        default=DEFAULT_MAX_MB,
        help=f"refuse files larger than this (default {DEFAULT_MAX_MB})",
    )
    ingest.add_argument(
        "--accept-incomplete",
        action="store_true",
        help="accept rounds with under the completeness threshold of standards answered (else "
        "they are held back from the default round, the overview and trends until accept-round)",
    )
    ingest.add_argument(
        "--errors-csv",
        type=csv_path,
        default=None,
        metavar="PATH",
        help="also write every problem of a refused file to this CSV",
    )
    undo = add("undo-import", "revert one import exactly")
    undo.add_argument("import_id", metavar="ID", help="e.g. imp-0003 (see: imports)")
    add("imports", "list the import history, newest first")
    accept = add("accept-round", "accept an incomplete round held back since its import")
    accept.add_argument("--theme", required=True, metavar="THEME")
    accept.add_argument("--round", required=True, metavar="ROUND", dest="round_id")
    template = add("template", "write the import template workbook (XLSX)")
    template.add_argument("--out", required=True, metavar="PATH")
    template.add_argument("--theme", default=None, help="drop-downs for one theme's questions")


EXTRA_PARSERS.append(_add_parsers)


def format_problems(problems: pd.DataFrame) -> str:
    """Return the problem table as left-aligned text: every row, every word (nothing cut)."""
    cells = [[str(c) for c in problems.columns]]
    cells += [["" if pd.isna(v) else str(v) for v in row] for row in problems.itertuples(False)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


@command("ingest")
def run_ingest(args: argparse.Namespace) -> int:
    """Import files; print a summary, or every problem and exit 2."""
    from analytics.ingest import import_files, problems_csv

    data_dir = resolve_data_dir(args.data_dir)
    try:
        result = import_files(
            data_dir, args.files, replace=args.replace, actor=local_operator(), max_mb=args.max_mb,
            accept_incomplete=args.accept_incomplete,
        )  # fmt: skip
    except ImportRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        print(format_problems(refused.problems), file=sys.stderr)
        if args.errors_csv:
            try:
                Path(args.errors_csv).write_bytes(problems_csv(refused.problems))
            except OSError as error:
                reason = error.strerror or type(error).__name__
                print(f"error: the problems could not be written to {args.errors_csv}: {reason}",
                      file=sys.stderr)  # fmt: skip
            else:
                print(f"Every problem is also in {args.errors_csv}.", file=sys.stderr)
        return 2
    print(result.message)
    ignored = result.preview.ignored_columns
    if ignored:
        print("Columns not in the template, not imported: " + "; ".join(ignored))
    if result.changed:
        print(
            f"Undo with: python -m analytics undo-import {result.import_id} --data-dir {data_dir}"
        )
    return 0


@command("undo-import")
def run_undo(args: argparse.Namespace) -> int:
    """Revert one import."""
    from analytics.ingest import undo_import

    data_dir = resolve_data_dir(args.data_dir)
    print(undo_import(data_dir, args.import_id, actor=local_operator()).message)
    return 0


@command("accept-round")
def run_accept(args: argparse.Namespace) -> int:
    """Accept one incomplete round."""
    from analytics.ingest import accept_rounds

    data_dir = resolve_data_dir(args.data_dir)
    print(accept_rounds(data_dir, [(args.theme, args.round_id)], actor=local_operator()).message)
    return 0


@command("imports")
def run_imports(args: argparse.Namespace) -> int:
    """Print the import history."""
    from analytics.ingest import import_history

    history = import_history(resolve_data_dir(args.data_dir))
    if history.empty:
        print("No imports yet.")
        return 0
    columns = ["import_id", "imported_at", "user", "file_name", "cases", "theme_rounds", "state"]
    print(history[columns].to_string(index=False, max_colwidth=50))
    return 0


@command("template")
def run_template(args: argparse.Namespace) -> int:
    """Write the import template."""
    from analytics.ingest import write_template

    path = write_template(args.out, resolve_data_dir(args.data_dir), args.theme)
    print(f"Wrote the import template to {path}.")
    return 0
