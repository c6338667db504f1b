#!/usr/bin/env bash
# Make sure the PostgreSQL the tests use is up: start an installed but stopped cluster.
# A missing server is reported, and under CI the test suite then fails rather than skips.
set -euo pipefail
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1; then
    echo "PostgreSQL client tools are not installed; the PostgreSQL half of the suite cannot run" >&2
    exit 0
fi
ready && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
        echo "starting PostgreSQL $version"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
fi
for _ in $(seq 1 30); do
    ready && exit 0
    sleep 1
done
echo "PostgreSQL is not answering on $host:$port" >&2
