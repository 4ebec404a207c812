"""`python -m analytics bench`: hands the whole command line over to `python -m benchmark`.

The benchmark is a tool at the edge (it times the dashboard's pages too), so this package never
imports it: it runs it as its own process, with the same arguments.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from analytics.cli.options import AddCommand
from analytics.config import PROJECT_ROOT


def add_parsers(add: AddCommand) -> None:
    """Add `bench`, listed for --help; its arguments are the benchmark's own."""
    parser = add(
        "bench", "the performance benchmark (python -m benchmark --help for its options)",
        data_dir=False,
    )  # fmt: skip
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def run_bench(arguments: list[str]) -> int:
    """Run `python -m benchmark ARGUMENTS` from the project's folder; return its exit code."""
    command = [sys.executable, "-m", "benchmark", *arguments]
    return subprocess.run(command, cwd=PROJECT_ROOT, check=False).returncode
