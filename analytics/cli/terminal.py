"""What the command line prints goes to a terminal: control characters escaped, and a reader
that stops reading (`| head`) ends the command quietly."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from analytics import unseen

# The exit code of a command whose reader stopped reading (`| head`): what a shell reports for a
# process ended by SIGPIPE, as other command-line tools end.
READER_GONE = 128 + 13


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
def terminal_streams() -> Iterator[None]:
    """Send everything printed through terminal_text: values from files and the store are
    printed in problem tables, mapping names, headers and messages."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalStream(sys.stdout), _TerminalStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def quiet_stdout() -> None:
    """Point stdout at /dev/null: Python flushes it once more at exit, and into a closed pipe
    that prints a second error."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
