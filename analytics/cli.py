"""The command line's parser and commands; every command takes --data-dir."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import pandas as pd

from analytics import queries, unseen
from analytics.config import DATA_DIR_ENV, STORE_ENV, resolve_data_dir
from analytics.domain import QUADRANTS, Filters
from analytics.errors import AuditDataError
from analytics.store import Store

REPORT_COLUMNS = [
    "theme_id", "round_id", "question_id", "quadrant", "n", "met", "partially_met", "not_met",
    "pct_met",
]  # fmt: skip

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable]:
    """Register a function as the handler of one sub-command."""

    def register(handler: Callable[[argparse.Namespace], int]) -> Callable:
        COMMANDS[name] = handler
        return handler

    return register


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


def filters_from(args: argparse.Namespace) -> Filters:
    """Return the shared filters given on the command line."""
    return Filters(quadrants=tuple(args.quadrant), round_id=args.round_id, teams=tuple(args.team))


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="python -m analytics", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument(
            "--data-dir",
            help=f"the store: a folder, or postgres:… data_path=… (default: ${STORE_ENV}, "
            f"else ${DATA_DIR_ENV}, else data/)",
            default=None,
        )
        return p

    gen = add("generate", "write the synthetic sample store")
    gen.add_argument("--scale", type=int, default=1, help="multiply every cohort by K")
    gen.add_argument("--seed", type=int, default=None, help="random seed (default: fixed)")

    report = add("report", "the question x quadrant table of one theme and round")
    report.add_argument("--theme", required=True)
    add_filter_options(report)
    add_as_of_option(report)
    report.add_argument("--format", choices=("csv", "json", "table"), default="table")

    migrate = sub.add_parser(
        "migrate-store", help="convert a store in the old layout (Parquet folders) to DuckLake"
    )
    migrate.add_argument("old_dir", metavar="OLD_DIR", help="the old store's folder (store.json)")
    migrate.add_argument(
        "--to", dest="new_dir", required=True, metavar="NEW_DIR",
        help="the new store: a new or empty folder, or postgres:… data_path=…",
    )  # fmt: skip
    migrate.add_argument(
        "--trail-dir", default=os.environ.get(OLD_TRAIL_DIR_ENV) or None, metavar="DIR",
        help=f"where the old deployment kept its audit trail, if {OLD_TRAIL_DIR_ENV} named a "
        f"folder (default: ${OLD_TRAIL_DIR_ENV}, if set)",
    )  # fmt: skip

    for extra in EXTRA_PARSERS:
        extra(add)
    return parser


# Later modules (ingest, export, report-doc, bench) add their sub-commands here.
EXTRA_PARSERS: list[Callable[[Callable[[str, str], argparse.ArgumentParser]], None]] = []


@command("generate")
def run_generate(args: argparse.Namespace) -> int:
    """Write the synthetic sample store."""
    from analytics.generate import DEFAULT_SEED, generate_store

    data_dir = resolve_data_dir(args.data_dir)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    generate_store(data_dir, scale=args.scale, seed=seed)
    contents = queries.store_contents(Store(data_dir))
    print(
        f"Wrote a synthetic store to {data_dir}: {int(contents['cases'].sum())} cases, "
        f"{int(contents['responses'].sum())} responses (scale {args.scale}, seed {seed})."
    )
    return 0


@command("migrate-store")
def run_migrate_store(args: argparse.Namespace) -> int:
    """Convert an old-layout store into a new DuckLake store."""
    from analytics.access import local_operator
    from analytics.lake.migrate import migrate_store

    migrated = migrate_store(
        args.old_dir, args.new_dir, author=local_operator().user, trail_dir=args.trail_dir
    )
    print(migrated.message)
    return 0


@command("report")
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


def terminal_text(text: str) -> str:
    """Return text safe to print on a terminal: each control character as an escape (\\x1b)."""
    return unseen.escape(text, unseen.ON_TERMINAL)


class _TerminalStream:
    """A text stream that escapes control characters in everything printed to it."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal_text(text))

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextmanager
def _terminal_streams() -> Iterator[None]:
    # Every printer of the command line goes through terminal_text: values from files and the
    # store are printed in problem tables, mapping names, headers and messages.
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalStream(sys.stdout), _TerminalStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _dash_values_attached(argv: Sequence[str]) -> list[str]:
    # argparse reads a value starting with "-" ("--team -2+3") as an option: the value right
    # after --team is always its value, so it is attached ("--team=-2+3").
    out: list[str] = []
    pending = False
    for token in argv:
        if pending and token.startswith("-") and not token.startswith("--"):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
        pending = token in VALUE_OPTIONS
    return out


# Where the old layout kept a deployment's shared audit trail (migrate-store reads it).
OLD_TRAIL_DIR_ENV = "AUDIT_TRAIL_DIR"

# Options whose values may start with a dash (team names are the audit tool's own).
VALUE_OPTIONS = ("--team",)


# The exit code of a command whose reader stopped reading (`| head`): what a shell reports for a
# process ended by SIGPIPE, as other command-line tools end.
READER_GONE = 128 + 13


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit code (2 and a message on bad input)."""
    try:
        with _terminal_streams():
            return _main(sys.argv[1:] if argv is None else list(argv))
    except BrokenPipeError:
        _quiet_stdout()
        return READER_GONE


def _quiet_stdout() -> None:
    # Python flushes stdout once more at exit: into the closed pipe, that prints a second error.
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _main(argv: list[str]) -> int:
    _load_extensions()
    args = build_parser().parse_args(_dash_values_attached(argv))
    try:
        return COMMANDS[args.command](args)
    except AuditDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print(f"error: file not found: {Path(error.filename or '')}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # the reader is gone, not an error of ours (main)
    except OSError as error:  # a read-only folder, a full disk, --out naming a folder
        where = f" ({error.filename})" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
        return 2


# Modules that register sub-commands (command() and EXTRA_PARSERS) when imported. They import
# this module, so main() loads them rather than the top of this file.
COMMAND_MODULES: tuple[str, ...] = (
    "analytics.ingest.commands",
    "analytics.export.command",
    "analytics.report_doc.command",
    "analytics.bench",
    "analytics.lake.commands",
)


def _load_extensions() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)
