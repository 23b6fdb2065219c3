#!/usr/bin/env bash
# Admin console CI step: the HTTP tests of the console on SQLite, MariaDB and
# PostgreSQL, then the headless-Chromium browser test. Run from the repository
# root after the databases are up; idempotent (installs only what is missing),
# bounded in time, non-zero on any failure.
set -euo pipefail

PLAYWRIGHT_VERSION=1.65.2

if ! command -v chromium >/dev/null 2>&1; then
  timeout 600 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium
fi
if ! python3 -c "import playwright, sys; sys.exit(0 if playwright.__version__ == '$PLAYWRIGHT_VERSION' else 1)" 2>/dev/null; then
  timeout 600 python3 -m pip install -q "playwright==$PLAYWRIGHT_VERSION"
fi

export DATABUILDER_TEST_MYSQL_URL="${DATABUILDER_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"
export DATABUILDER_TEST_POSTGRES_URL="${DATABUILDER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

timeout 2400 cargo test -j1 -p databuilder --test api -- admin::
DATABUILDER_TEST_BROWSER=1 timeout 1200 cargo test -j1 -p databuilder --test admin_browser -- --nocapture
ls target/screenshots/admin-*.png
