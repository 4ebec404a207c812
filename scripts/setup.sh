#!/usr/bin/env bash
# Set up everything Audit Insight needs on a fresh Debian machine: Debian's chromium (chart image
# export and browser tests), a virtual environment and the pinned pip packages.
# Usage: scripts/setup.sh run|test   (test also installs the test requirements)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
requirements=requirements.txt
[ "$mode" = test ] && requirements=requirements-test.txt

# Debian's chromium: never a downloaded browser. Without root the app still runs and says which
# feature needs it.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: chromium is not installed and this user cannot install it (apt-get install chromium);" >&2
    echo "         PNG/SVG chart export and the browser tests need it." >&2
  fi
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
# Reinstall only when the pinned requirements change.
stamp=".venv/.installed-$(cat requirements*.txt | sha256sum | cut -c1-16)-$mode"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi
