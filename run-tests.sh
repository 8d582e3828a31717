#!/usr/bin/env bash
# The whole test suite: lint, then every test. Extra arguments go to pytest.
source "$(dirname "$0")/scripts/bootstrap.sh"
ruff check .
python -m pytest "$@"
