#!/usr/bin/env bash
# Build the 党务公开栏 from the data in data/ into site/; with --serve, preview it
# at http://127.0.0.1:8000/ and rebuild whenever a data file changes.
# Other options go to `jifen build` / `jifen serve` (e.g. --internal, --as-of 2025-12-31).
source "$(dirname "$0")/scripts/bootstrap.sh"
if [ "${1:-}" = "--serve" ]; then
  shift
  exec jifen serve --data data "$@"
fi
jifen build --data data "$@"
