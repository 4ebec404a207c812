"""The command line, `python -m analytics <command>`: the engine without a browser.

Every sub-command lives in one module of this package, which says what it adds to the parser
(`add_parsers`) and which handler runs each name (`COMMANDS`); this module lists those modules,
builds the parser and runs one command. Every command but `bench` and `migrate-store` takes
--data-dir.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from analytics.cli import bench, export, ingest, report, report_doc, store
from analytics.cli.options import AddCommand
from analytics.cli.terminal import READER_GONE, quiet_stdout, terminal_streams
from analytics.config import DATA_DIR_ENV, STORE_ENV
from analytics.errors import AuditDataError

Handler = Callable[[argparse.Namespace], int]

# The command modules, in the order --help lists their commands.
COMMAND_MODULES = (store, report, ingest, export, report_doc)
COMMANDS: dict[str, Handler] = {
    name: handler for module in COMMAND_MODULES for name, handler in module.COMMANDS.items()
}

# Options whose values may start with a dash (team names are the audit tool's own).
VALUE_OPTIONS = ("--team",)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="python -m analytics", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str, *, data_dir: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        if data_dir:
            p.add_argument(
                "--data-dir",
                help=f"the store: a folder, or postgres:… data_path=… (default: ${STORE_ENV}, "
                f"else ${DATA_DIR_ENV}, else data/)",
                default=None,
            )
        return p

    adder: AddCommand = add
    for module in (*COMMAND_MODULES, bench):
        module.add_parsers(adder)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit code (2 and a message on bad input)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] == ["bench"]:  # the benchmark parses its own arguments
        return bench.run_bench(arguments[1:])
    try:
        with terminal_streams():
            return _main(arguments)
    except BrokenPipeError:
        quiet_stdout()
        return READER_GONE


def _main(argv: list[str]) -> int:
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
