#!/usr/bin/env bash
# The whole test suite: lint, then every test. Extra arguments go to pytest.
source "$(dirname "$0")/scripts/bootstrap.sh"
ruff check .
mypy  # the package's type hints, checked (configuration in pyproject.toml)
# The GitHub and Gitea workflows: no security finding (offline: no network, no token).
zizmor --offline --quiet .github/workflows/bulletin.yml .gitea/workflows/bulletin.yml
python -m pytest "$@"
