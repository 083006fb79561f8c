#!/usr/bin/env bash
# Set up everything the tests need, then lint, type-check and run the whole suite.
# Usage: bash tests/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

# uv from PATH, `python3 -m uv`, or a project-local .venv-tools/ (works on a PEP 668 Python too).
sh scripts/uv.sh sync --frozen --quiet

# Page tests drive Debian's Chromium through Playwright (Playwright cannot download browsers here).
if [ -z "${COUNTERFLOW_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's chromium for the page tests..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "error: the page tests need Chromium; install Debian's chromium package or set COUNTERFLOW_CHROMIUM" >&2
        exit 2
    fi
fi

sh scripts/uv.sh run --frozen ruff check .
sh scripts/uv.sh run --frozen mypy
sh scripts/uv.sh run --frozen pytest "$@"
