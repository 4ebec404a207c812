"""The options several sub-commands share, and the printer of their tables."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Protocol

import pandas as pd

from analytics.domain import QUADRANTS, Filters


def _threshold(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 2:  # under 1 would hide nothing: the dashboard's switch starts at 2 too
        raise argparse.ArgumentTypeError(f"must be 2 or more, got {value}")
    return value


def add_suppression_option(parser: argparse.ArgumentParser) -> None:
    """Add --suppress-below N (for circulation) to a sub-command that makes files."""
    parser.add_argument(
        "--suppress-below", type=_threshold, default=None, metavar="N",
        help="for circulation: show counts under N as c (with secondary suppression)",
    )  # fmt: skip


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """Add the shared filters (--round, --quadrant, --team) to a sub-command."""
    parser.add_argument("--round", dest="round_id", help="round id (default: the latest)")
    parser.add_argument(
        "--quadrant", action="extend", nargs="+", default=[], choices=QUADRANTS,
        help="one or more (--quadrant NE SW, or --quadrant NE --quadrant SW)",
    )  # fmt: skip
    parser.add_argument(
        "--team", action="extend", nargs="+", default=[], help="one or more, as for --quadrant"
    )


def add_as_of_option(parser: argparse.ArgumentParser) -> None:
    """Add --as-of SNAPSHOT|DATETIME: read the store as it was at that snapshot or time."""
    parser.add_argument(
        "--as-of", dest="as_of", default=None, metavar="SNAPSHOT|DATETIME",
        help="the store as it was: a snapshot id (`snapshots` lists them) or a UTC date and "
        "time, e.g. 2026-12-07T09:30 (default: the newest)",
    )  # fmt: skip


def filters_from(args: argparse.Namespace) -> Filters:
    """Return the shared filters given on the command line."""
    return Filters(quadrants=tuple(args.quadrant), round_id=args.round_id, teams=tuple(args.team))


def print_frame(frame: pd.DataFrame, fmt: str, *, text_left: bool = False) -> None:
    """Print a frame as csv, json (records; dates ISO) or a plain table (nothing if empty;
    `text_left`: text columns aligned left, for sentences)."""
    if fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif fmt == "json":
        records = frame.to_json(orient="records", date_format="iso")
        json.dump(json.loads(records), sys.stdout, indent=1)
        print()
    elif not frame.empty:
        texts = [c for c in frame.columns if text_left and pd.api.types.is_string_dtype(frame[c])]
        widths = {c: int(frame[c].astype(str).str.len().max()) for c in texts}
        left = {c: (lambda w: lambda v: f"{v!s:<{w}}")(widths[c]) for c in texts}
        with pd.option_context("display.max_colwidth", None):  # whole values, never cut
            printed = frame.to_string(
                index=False, float_format=lambda v: f"{v:.3f}", formatters=left or None,
                justify="left" if texts else None,
            )  # fmt: skip
        print(printed)


class AddCommand(Protocol):
    """Adds one sub-command's parser (with --data-dir unless told otherwise) and returns it."""

    def __call__(
        self, name: str, help_text: str, *, data_dir: bool = True
    ) -> argparse.ArgumentParser: ...
