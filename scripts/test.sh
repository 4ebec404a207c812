#!/usr/bin/env bash
# Set up and run every check: formatting, lint, the layers, types, and the whole pytest suite
# (browser tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export BROWSER_PATH="${BROWSER_PATH:-$(command -v chromium || true)}"
# The browser tests must run here: a missing chromium fails the run instead of skipping them.
export AUDIT_REQUIRE_BROWSER="${AUDIT_REQUIRE_BROWSER:-1}"
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/lint-imports          # the layers and no import cycle (pyproject.toml [tool.importlinter])
.venv/bin/mypy                  # strict on analytics/ (pyproject.toml [tool.mypy])
.venv/bin/python -m pytest "$@"
