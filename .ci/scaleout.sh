#!/bin/sh
# Scale-out tests need the `redis-server` binary (a private server on a free
# port for the Redis down/up case). Idempotent; bounded in time.
# The lead's .ci/run should also export DATABUILDER_TEST_REDIS_URL=redis://127.0.0.1:6379
set -eu
if ! command -v redis-server >/dev/null 2>&1; then
    timeout 300 apt-get install -y --no-install-recommends redis-server >/dev/null
fi
redis-server --version
