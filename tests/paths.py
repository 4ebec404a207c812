"""Where things are, for a test in any folder below tests/."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent  # tests/: helpers, fixtures, artifacts
ROOT = TESTS.parent  # the project
