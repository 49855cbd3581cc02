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

section "Debian packages the tests use"
# Real servers and programs, never mocks, and never a silent skip:
# - tinyproxy-bin: a forward proxy with Basic authentication (tests/proxy.rs);
# - chromium, chromium-driver: the web console's headless browser
#   (tests/python/test_console.py; Selenium downloads nothing);
# - postgresql, mariadb-server: database servers that crates/taskrunner-sql's
#   tests start in temp directories (no system service is started).
missing=()
command -v tinyproxy >/dev/null 2>&1 || missing+=(tinyproxy-bin)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v mariadbd >/dev/null 2>&1 || missing+=(mariadb-server)
if (( ${#missing[@]} == 0 )); then
    echo "all present: tinyproxy, chromium, chromedriver, postgres, mariadbd"
elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
else
    echo "missing Debian packages, and this is not root: apt-get install ${missing[*]}" >&2
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
