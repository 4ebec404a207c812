#!/usr/bin/env bash
# Set up and start the dashboard on the bundled sample store (or $AUDIT_STORE / $AUDIT_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
data_dir="${AUDIT_STORE:-${AUDIT_DATA_DIR:-data}}"
[ -f "$data_dir/catalog.sqlite" ] || [[ "$data_dir" == postgres:* ]] || .venv/bin/python -m analytics generate --data-dir "$data_dir"
export BROWSER_PATH="${BROWSER_PATH:-$(command -v chromium || true)}"
exec .venv/bin/python -m ui.serve --server.address "${HOST:-127.0.0.1}" --server.port "${PORT:-8501}" "$@"
