#!/bin/sh
# The instance's settings are placed in DAGSTER_HOME (a volume) on first start; an existing
# dagster.yaml is kept (docs/operations.md, "Upgrade": compare it with deploy/dagster.yaml).
set -eu
if [ ! -f "$DAGSTER_HOME/dagster.yaml" ]; then
    cp /app/deploy/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
fi
exec "$@"
