#!/usr/bin/env bash
# CI step for the API Explorer (issue 9): make sure Debian's chromium and the
# pinned Python packages are there (installing only what is missing), then run
# the real-browser test against `serve --demo`. Idempotent; bounded in time;
# exits non-zero on failure. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

PLAYWRIGHT_VERSION=1.65.2
REQUESTS_VERSION=2.34.2

if [ ! -x /usr/bin/chromium ]; then
  echo "explorer.sh: installing chromium (apt)"
  timeout 900 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium
fi

py_has() { python3 -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('$1') == '$2' else 1)" 2>/dev/null; }
missing=()
py_has playwright "$PLAYWRIGHT_VERSION" || missing+=("playwright==$PLAYWRIGHT_VERSION")
py_has requests "$REQUESTS_VERSION" || missing+=("requests==$REQUESTS_VERSION")
if [ ${#missing[@]} -gt 0 ]; then
  echo "explorer.sh: installing ${missing[*]} (pip; no browser download: the test uses /usr/bin/chromium)"
  timeout 600 python3 -m pip install --quiet "${missing[@]}"
fi

export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
DATABUILDER_TEST_BROWSER=1 timeout 1800 cargo test -p databuilder --test browser -- --nocapture
