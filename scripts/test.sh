#!/usr/bin/env bash
# Set up and run every check: formatting, lint, and the whole pytest suite (browser tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export BROWSER_PATH="${BROWSER_PATH:-$(command -v chromium || true)}"
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
