"""`python -m analytics report`: the question x quadrant table of one theme and round."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from analytics import queries
from analytics.cli.options import (
    AddCommand,
    add_as_of_option,
    add_filter_options,
    filters_from,
    print_frame,
)
from analytics.config import resolve_data_dir
from analytics.store import Store

REPORT_COLUMNS = [
    "theme_id", "round_id", "question_id", "quadrant", "n", "met", "partially_met", "not_met",
    "pct_met",
]  # fmt: skip


def add_parsers(add: AddCommand) -> None:
    """Add the `report` sub-command."""
    report = add("report", "the question x quadrant table of one theme and round")
    report.add_argument("--theme", required=True)
    add_filter_options(report)
    add_as_of_option(report)
    report.add_argument("--format", choices=("csv", "json", "table"), default="table")


def run_report(args: argparse.Namespace) -> int:
    """Print the question x quadrant table."""
    from analytics import views  # plotly: only for the commands that need it

    store = Store(resolve_data_dir(args.data_dir), as_of=args.as_of)
    filters = filters_from(args)
    # Refuse what would print an empty or all-zero table: a theme with no audited round, a
    # planned round, a team the theme does not have.
    round_id = queries.require_audited_round(store, args.theme, filters.round_id)
    queries.check_teams(store, filters.teams, args.theme)
    filters = replace(filters, round_id=round_id)
    frame = queries.quadrant_comparison(store, args.theme, filters)
    if filters.quadrants:
        frame = frame[frame["quadrant"].isin(filters.quadrants)]
    frame = frame[REPORT_COLUMNS]
    empty = views.no_cases_message(store, args.theme, filters)
    if empty is not None:  # said on stderr, so csv and json output stay machine-readable
        print(empty, file=sys.stderr)
        frame = frame.iloc[0:0]
    print_frame(frame, args.format)  # a plain table of no rows: the message above says it all
    return 0


COMMANDS = {"report": run_report}
