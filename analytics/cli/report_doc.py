"""`python -m analytics report-doc`: the thematic overview report from the command line."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from analytics import views
from analytics.access import local_operator
from analytics.atomic import write_file
from analytics.cli.options import (
    AddCommand,
    add_as_of_option,
    add_filter_options,
    add_suppression_option,
    filters_from,
)
from analytics.config import resolve_data_dir
from analytics.domain import DEFAULT_MARKING
from analytics.errors import AuditDataError
from analytics.store import Store


def add_parsers(add: AddCommand) -> None:
    """Add the report-doc sub-command to the command line."""
    parser = add("report-doc", "the thematic overview report (DOCX), drafted from the data")
    parser.add_argument(
        "--theme", action="append", default=[], help="repeat for several (default: every audited)"
    )
    add_filter_options(parser)
    add_as_of_option(parser)
    parser.add_argument("--out", required=True, help="where to write the .docx")
    add_suppression_option(parser)
    parser.add_argument("--no-charts", action="store_true", help="leave the charts out (faster)")
    parser.add_argument(
        "--marking", default=DEFAULT_MARKING, help="protective marking, top and bottom of each page"
    )


def run_report_doc(args: argparse.Namespace) -> int:
    """Write the report and say where, with its size and how long it took."""
    from analytics.export import recorded_export
    from analytics.report_doc.document import build_report

    out = Path(args.out)
    if not out.parent.is_dir():
        raise AuditDataError(f"--out: the folder {out.parent} does not exist.")
    if out.is_dir():
        raise AuditDataError(f"--out: {out} is a folder; give a file name ending .docx.")
    store = Store(resolve_data_dir(args.data_dir), as_of=args.as_of)
    started = time.perf_counter()
    filters = filters_from(args)
    themes = args.theme or None
    for theme in themes or [None]:  # not an error: the report says there is nothing to report
        empty = views.no_cases_message(store, theme, filters)
        if empty is not None:
            print(empty)
    data = recorded_export(  # a document for circulation: recorded like the dashboard's button
        store,
        local_operator(),
        lambda: build_report(
            store,
            themes,
            filters,
            threshold=args.suppress_below,
            charts=not args.no_charts,
            marking=args.marking,
        ),
        what=out.name,
        theme=themes[0] if themes and len(themes) == 1 else None,
        filters=filters,
        threshold=args.suppress_below,
    )
    write_file(out, data)  # whole or not at all: a full disk leaves no partial file
    print(f"Wrote {out} ({len(data) / 1024:.0f} KB) in {time.perf_counter() - started:.1f} s.")
    return 0


COMMANDS = {
    "report-doc": run_report_doc,
}
