#!/usr/bin/env bash
# Set up everything Audit Insight needs on a fresh Debian machine: Debian's chromium (chart image
# export and browser tests), Python's venv module where Debian splits it out, a virtual
# environment and the pinned pip packages; for the tests also postgresql, and npm with axe-core at
# its pinned version.
# Usage: scripts/setup.sh run|test   (test also installs the test requirements)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
requirements=requirements.txt
[ "$mode" = test ] && requirements=requirements-test.txt

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3

# Debian packages, installed as root or with passwordless sudo. Never a downloaded browser.
apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

wanted=()
command -v chromium >/dev/null 2>&1 || wanted+=(chromium)
# Debian ships venv's pip bootstrap separately (python3-venv); a fresh machine may lack it.
if [ ! -x .venv/bin/python ] && ! "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then
  wanted+=(python3-venv)
fi
# The store tests start a throwaway PostgreSQL cluster; Debian keeps initdb and pg_ctl off PATH,
# in /usr/lib/postgresql/N/bin.
if [ "$mode" = test ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
  && ! { command -v initdb && command -v pg_ctl; } >/dev/null 2>&1; then
  wanted+=(postgresql)
fi
# The accessibility tests run axe-core, installed from the npm registry.
if [ "$mode" = test ] && ! command -v npm >/dev/null 2>&1; then
  wanted+=(npm)
fi
if [ ${#wanted[@]} -gt 0 ] && ! apt_install "${wanted[@]}"; then
  echo "warning: cannot install ${wanted[*]} as this user (apt-get install ${wanted[*]})." >&2
  echo "         The dashboard runs without chromium and says that PNG/SVG export needs it;" >&2
  echo "         the browser tests need it; the PostgreSQL store tests need postgresql;" >&2
  echo "         the test command stops without npm (it installs axe-core, which the" >&2
  echo "         accessibility tests run)." >&2
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
# Reinstall only when the pinned requirements change.
stamp=".venv/.installed-$(cat requirements*.txt | sha256sum | cut -c1-16)-$mode"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi

# axe-core at the version pinned in tests/browser/axe/package-lock.json (reinstalled when it changes).
if [ "$mode" = test ]; then
  axe=tests/browser/axe
  axe_stamp="$axe/node_modules/.installed-$(sha256sum "$axe/package-lock.json" | cut -c1-16)"
  if [ ! -f "$axe_stamp" ]; then
    npm ci --prefix "$axe" --no-audit --no-fund --silent
    touch "$axe_stamp"
  fi
fi
