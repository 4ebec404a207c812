"""`python -m analytics export`: the files the dashboard's export buttons make, from a shell."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from analytics import queries, views
from analytics.cli import EXTRA_PARSERS, add_filter_options, command, filters_from
from analytics.config import resolve_data_dir
from analytics.errors import AuditDataError, UnknownValueError
from analytics.export.formats import FORMATS, export_bytes
from analytics.export.pack import DEFAULT_MARKING
from analytics.store import Store

CHARTS: tuple[str, ...] = tuple(getattr(views, "VIEW_NAMES", views.CHART_NAMES))
NEEDS_THEME = ("quadrant_comparison", "round_trend", "cohort_profile")


def _threshold(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be 2 or more, got {value}")
    return value


def add_export_parser(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add the `export` sub-command to the command line."""
    parser = add("export", "a chart (png, svg), its data (csv, xlsx) or the slide pack (pptx)")
    parser.add_argument(
        "--theme", default=None, help="theme id (a pptx without --theme covers every theme)"
    )
    add_filter_options(parser)
    parser.add_argument("--chart", choices=CHARTS, default="quadrant_comparison")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
    parser.add_argument("--out", required=True, help="the file to write")
    parser.add_argument(
        "--suppress-below",
        type=_threshold,
        default=None,
        metavar="N",
        help="for circulation: show counts under N as c (with secondary suppression)",
    )
    parser.add_argument("--marking", default=DEFAULT_MARKING, help="protective marking (pptx)")


EXTRA_PARSERS.append(add_export_parser)


@command("export")
def run_export(args: argparse.Namespace) -> int:
    """Write one export file."""
    out = Path(args.out)
    if out.is_dir():
        raise AuditDataError(f"--out: {out} is a folder; give a file name.")
    if not out.parent.is_dir():
        raise AuditDataError(f"--out: the folder {out.parent} does not exist.")
    if args.theme is None and args.round_id is not None:
        raise AuditDataError("--round needs --theme: each theme has its own rounds.")
    if args.theme is None and args.fmt != "pptx" and args.chart in NEEDS_THEME:
        raise AuditDataError(f"--theme is needed for the {args.chart} chart.")
    store = Store(resolve_data_dir(args.data_dir))
    if args.theme is not None:
        queries.check_theme(store, args.theme)
    known_teams = queries.teams(store, args.theme)
    for team in args.team:
        if team not in known_teams:
            raise UnknownValueError("team", team, known_teams)
    data = export_bytes(
        store,
        args.fmt,
        args.theme,
        filters_from(args),
        args.chart,
        args.suppress_below,
        args.marking,
    )
    out.write_bytes(data)
    print(f"Wrote {out} ({len(data):,} bytes, {args.fmt}).", file=sys.stdout)
    return 0
