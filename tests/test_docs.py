"""The README documents the public contract: every code, every flag, the two commands."""

from __future__ import annotations

from generator.errors import MESSAGES
from generator.score import FLAGS
from tests.support import REPO

README = (REPO / "README.md").read_text("utf-8")


def test_every_diagnostic_code_is_documented() -> None:
    assert [code for code in MESSAGES if f"| {code} |" not in README] == []


def test_every_flag_is_documented() -> None:
    assert [flag for flag in FLAGS if f"`{flag}`" not in README] == []


def test_ci_runs_the_readmes_test_command() -> None:
    assert "./run-tests.sh" in README and "./bulletin.sh" in README
    assert "./run-tests.sh" in (REPO / ".ci/run").read_text("utf-8")
