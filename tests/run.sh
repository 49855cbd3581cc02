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

section "PostgreSQL and MariaDB (crates/taskrunner-sql's tests)"
# The SQL activity tests start real database servers in temp directories:
# Debian's postgresql (initdb, postgres) and mariadb-server (mariadb-install-db,
# mariadbd). No system service is started.
if compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && command -v mariadbd >/dev/null 2>&1; then
    ls -d /usr/lib/postgresql/*/bin/postgres
    mariadbd --version
elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "postgresql or mariadb-server is missing: installing them"
    DEBIAN_FRONTEND=noninteractive apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql mariadb-server
else
    echo "postgresql or mariadb-server is missing and this is not root: install Debian's postgresql and mariadb-server (apt-get install postgresql mariadb-server); crates/taskrunner-sql's tests need them" >&2
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
