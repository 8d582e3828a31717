from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import DataDir


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never touch the user's cache."""
    os.environ["JIFEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture
def data(tmp_path: Path) -> DataDir:
    return DataDir(tmp_path / "data")
