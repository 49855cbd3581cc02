#!/usr/bin/env bash
# The project's test command: builds the workspace, runs the Rust tests, then
# the Python suites (AWS CLI and boto3 against datapipeline-local).
#
#   bash tests/run.sh            # everything
#   bash tests/run.sh -k boto3   # extra arguments go to pytest
#
# It creates .venv (python3 -m venv) on first use and installs
# tests/python/requirements.txt into it; later runs reinstall only when that
# file changes.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

venv="$repo_root/.venv"
requirements="tests/python/requirements.txt"
stamp="$venv/.requirements.sha256"

section() {
    printf '\n==> %s\n' "$*"
}

section "tinyproxy (tests/proxy.rs's forward proxy)"
# The proxy tests need a real forward proxy with Basic authentication:
# Debian's tinyproxy-bin (the binary alone, no system service).
if command -v tinyproxy >/dev/null 2>&1; then
    tinyproxy -v
elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "tinyproxy is missing: installing tinyproxy-bin"
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y tinyproxy-bin
else
    echo "tinyproxy is missing and this is not root: install Debian's tinyproxy-bin (apt-get install tinyproxy-bin); tests/proxy.rs needs it" >&2
    exit 1
fi

section "chromium (tests/python/test_console.py's browser)"
# The web console's tests drive a real headless browser: Debian's chromium
# and its chromedriver, from /usr/bin (Selenium downloads nothing).
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    chromedriver --version
elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "chromium or chromedriver is missing: installing chromium and chromium-driver"
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
else
    echo "chromium or chromedriver is missing and this is not root: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver); tests/python/test_console.py needs them" >&2
    exit 1
fi

section "python environment (.venv)"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$wanted" > "$stamp"
    echo "installed $requirements"
else
    echo "up to date with $requirements"
fi

section "cargo build --workspace --bins"
cargo build --workspace --bins

section "cargo test --workspace"
cargo test --workspace

section "pytest tests/python"
export DATAPIPELINE_LOCAL_BIN="${DATAPIPELINE_LOCAL_BIN:-$repo_root/target/debug/datapipeline-local}"
# No .pytest_cache in the repository root.
"$venv/bin/python" -m pytest tests/python -q -p no:cacheprovider "$@"
