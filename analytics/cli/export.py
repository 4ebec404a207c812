"""`python -m analytics export`: the files the dashboard's export buttons make, from a shell."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analytics import queries, views
from analytics.access import local_operator
from analytics.atomic import write_file
from analytics.chart_specs import CHARTS
from analytics.cli.options import (
    AddCommand,
    add_as_of_option,
    add_filter_options,
    add_suppression_option,
    filters_from,
)
from analytics.config import resolve_data_dir
from analytics.domain import DEFAULT_MARKING
from analytics.errors import AuditDataError, UnknownValueError
from analytics.export.formats import FORMATS, export_bytes
from analytics.export.recorded import recorded_export
from analytics.store import Store

DEFAULT_CHART = "quadrant_comparison"


def add_parsers(add: AddCommand) -> None:
    """Add the `export` sub-command to the command line."""
    parser = add("export", "a chart (png, svg), its data (csv, xlsx) or the slide pack (pptx)")
    parser.add_argument(
        "--theme", default=None, help="theme id (a pptx without --theme covers every theme)"
    )
    add_filter_options(parser)
    add_as_of_option(parser)
    parser.add_argument(
        "--chart", choices=list(CHARTS), default=None, help=f"default {DEFAULT_CHART}; not for pptx"
    )
    parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
    parser.add_argument("--out", required=True, help="the file to write")
    add_suppression_option(parser)
    parser.add_argument("--marking", default=DEFAULT_MARKING, help="protective marking (pptx)")


def _warn_ignored(args: argparse.Namespace) -> None:
    # Options that this export does not use: said on stderr, so nobody thinks they took effect.
    if args.fmt == "pptx" and args.chart is not None:
        print(f"Note: --chart {args.chart} is ignored for pptx: the pack has its own charts.",
              file=sys.stderr)  # fmt: skip
    if args.fmt != "pptx" and args.chart and CHARTS[args.chart].scope == "every_theme":
        ignored = [f"--{name} {value}" for name, value in (("theme", args.theme),
                   ("round", args.round_id)) if value is not None]  # fmt: skip
        if ignored:
            print(
                f"Note: {' and '.join(ignored)} ignored: the {args.chart} chart spans every theme, "
                f"each at its latest audited round.",
                file=sys.stderr,
            )


def run_export(args: argparse.Namespace) -> int:
    """Write one export file."""
    _warn_ignored(args)
    args.chart = args.chart or DEFAULT_CHART
    out = Path(args.out)
    if out.is_dir():
        raise AuditDataError(f"--out: {out} is a folder; give a file name.")
    if not out.parent.is_dir():
        raise AuditDataError(f"--out: the folder {out.parent} does not exist.")
    if args.theme is None and args.round_id is not None:
        raise AuditDataError("--round needs --theme: each theme has its own rounds.")
    if args.theme is None and args.fmt != "pptx" and CHARTS[args.chart].scope == "theme":
        raise AuditDataError(f"--theme is needed for the {args.chart} chart.")
    store = Store(resolve_data_dir(args.data_dir), as_of=args.as_of)
    if args.theme is not None:
        queries.check_theme(store, args.theme)
    known_teams = queries.teams(store, args.theme)
    for team in args.team:
        if team not in known_teams:
            raise UnknownValueError("team", team, known_teams)
    filters = filters_from(args)
    if args.fmt == "pptx":
        empty = views.no_cases_message(store, args.theme, filters)
    else:
        empty = views.empty_message(store, args.chart, args.theme, filters)
    if empty is not None:  # not an error: the file holds an empty chart that says so
        print(empty)
    data = recorded_export(
        store,
        local_operator(),
        lambda: export_bytes(
            store, args.fmt, args.theme, filters, args.chart, args.suppress_below, args.marking
        ),
        what=out.name,
        theme=args.theme,
        filters=filters,
        threshold=args.suppress_below,
    )
    write_file(out, data)  # whole or not at all: a full disk leaves no partial file
    print(f"Wrote {out} ({len(data):,} bytes, {args.fmt}).", file=sys.stdout)
    return 0


COMMANDS = {
    "export": run_export,
}
