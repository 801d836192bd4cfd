#!/bin/sh
# The instance's settings are placed in DAGSTER_HOME (a volume) on first start; an existing
# dagster.yaml is kept (docs/operations.md, "Upgrade": compare it with deploy/dagster.yaml).
# Then the instance's storage is created or upgraded (idempotent) before the command starts;
# compose starts the webserver once the code server is healthy and the daemon once the
# webserver is, so they never do it at once.
set -eu
if [ ! -f "$DAGSTER_HOME/dagster.yaml" ]; then
    cp /app/deploy/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
fi
python -m pipeline.service prepare
exec "$@"
