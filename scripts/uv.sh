#!/bin/sh
# Run uv, the tool that installs counterflow's locked environment, from any Python >= 3.11.
#
# Usage: sh scripts/uv.sh <uv arguments>     e.g.  sh scripts/uv.sh run --frozen --no-dev counterflow demo
#
# It uses the first of: `uv` on PATH, `python3 -m uv`, or uv in the project-local tools
# environment `.venv-tools/`, which it creates when none of them exists. A Python that refuses
# `pip install` outside a virtual environment (PEP 668, as Debian's and Ubuntu's do) is never
# asked to install anything: uv goes into `.venv-tools/`, and the project itself into `.venv/`.
# Only the package index is contacted (PyPI, or the index pip is configured to use).
#
# `sync`, and a `run` that creates `.venv/`, install with compiled bytecode: uv does not compile
# by default, and a Python that may not write `__pycache__` (PYTHONDONTWRITEBYTECODE, a read-only
# install) would otherwise compile every module again in every process, seconds per command.
# uv compiles what it installs into site-packages; counterflow's own packages are an editable
# install, so they are compiled here after uv is done. UV_COMPILE_BYTECODE=0 turns both off.
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
tools="$root/.venv-tools"
python=${PYTHON:-python3}
venv=${UV_PROJECT_ENVIRONMENT:-.venv}
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac

compile=
case "${1-}" in
    sync) compile=1 ;;
    run) [ -x "$venv/bin/python" ] || compile=1 ;;
esac
case "${UV_COMPILE_BYTECODE-}" in 0 | false | no) compile= ;; esac

if uv --version >/dev/null 2>&1; then
    set -- uv "$@"
elif "$python" -m uv --version >/dev/null 2>&1; then
    set -- "$python" -m uv "$@"
elif ! "$tools/bin/uv" --version >/dev/null 2>&1; then
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "error: no $python found; install Python 3.11 or newer (or set PYTHON to one)" >&2
        exit 2
    fi
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "error: $python is $("$python" -V 2>&1); counterflow needs Python 3.11 or newer (set PYTHON to one)" >&2
        exit 2
    fi
    if [ ! -x "$tools/bin/python" ]; then
        # Debian and Ubuntu ship venv's pip bootstrap (ensurepip) in a separate package.
        if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
            echo "error: $python cannot create a virtual environment (no ensurepip);" \
                "install the python3-venv package (sudo apt install python3-venv) and run this again" >&2
            exit 2
        fi
        echo "installing uv into $tools (once)..." >&2
        if ! "$python" -m venv "$tools"; then
            rm -rf "$tools"
            echo "error: '$python -m venv $tools' failed; on Debian or Ubuntu install python3-venv" >&2
            exit 2
        fi
    fi
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check uv
    set -- "$tools/bin/uv" "$@"
else
    set -- "$tools/bin/uv" "$@"
fi

if [ -z "$compile" ]; then
    exec "$@"
fi
UV_COMPILE_BYTECODE=1
export UV_COMPILE_BYTECODE
status=0
"$@" || status=$?
if [ -x "$venv/bin/python" ]; then
    set --
    for init in "$root"/*/__init__.py; do
        set -- "$@" "$(dirname -- "$init")"
    done
    "$venv/bin/python" -m compileall -q "$@" >/dev/null ||
        echo "warning: could not compile counterflow's modules to bytecode; commands start slower" >&2
fi
exit "$status"
