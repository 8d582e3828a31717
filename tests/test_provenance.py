"""Provenance: the commit that last changed each record, from one pass over git log."""

from __future__ import annotations

import html
import subprocess
import sys
from pathlib import Path

from generator.provenance import for_data, history, spans
from tests.support import DataDir, event, events_file

JIFEN = Path(sys.executable).parent / "jifen"
AS = ("-c", "user.name=登记员", "-c", "user.email=r@example.invalid")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *AS, *args], capture_output=True,
                          text=True, check=True).stdout


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD").strip()


def test_line_owners_match_git_blame(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    path = repo / "data" / "f.yaml"
    path.parent.mkdir()
    texts = ["a\nb\nc\nd\n", "a\nB\nc\nd\ne\n", "x\na\nB\nd\ne\n", "x\na\nB\nd\ne\nf\ng\n",
             "a\nB\nf\ng\n"]
    for i, text in enumerate(texts):
        path.write_text(text)
        commit(repo, f"edit {i}")
    owners = [c.sha for c in history(repo, "data").lines["data/f.yaml"]]
    blame = [line.split()[0] for line in git(repo, "blame", "--porcelain", "data/f.yaml")
             .splitlines() if len(line.split()) >= 3 and len(line.split()[0]) == 40]
    assert owners == blame


def test_spans_of_records() -> None:
    text = "branch: b\nevents:\n  - id: e1\n    rule: J3\n  - id: e2\n    rule: K7\n"
    assert spans(text) == {"e1": (3, 4), "e2": (5, 6)}


def test_ledger_lines_name_the_pull_request_that_changed_them(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    data = DataDir(repo / "data")
    data.member("m01", name="张一")
    data.events(events_file(event("e1", "J3", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", points=-3)))
    git(repo, "init", "-q", "-b", "main")
    first = commit(repo, "三月登记")
    git(repo, "checkout", "-qb", "fix")
    data.events(events_file(event("e1", "J3", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", points=-4)))
    commit(repo, "改正扣分")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "--no-ff", "-q", "-m", "Merge pull request #12 from branch/fix", "fix")
    merge = git(repo, "rev-parse", "HEAD").strip()

    provenance = for_data(repo / "data")
    assert provenance is not None
    path = str(repo / "data/events/2025-03.yaml")
    assert provenance.of(path, "e1").sha == first  # type: ignore[union-attr]
    second = provenance.of(path, "e2")
    assert second.sha == merge and second.pull_request == 12  # type: ignore[union-attr]

    for flag, site in (((), "site"), (("--internal",), "site-internal")):
        done = subprocess.run([str(JIFEN), "build", *flag, "--data", "data", "--as-of",
                               "2025-12-31", "--today", "2026-01-10"], cwd=repo,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        ledger = (repo / site / "members/m01/2025/index.html").read_text("utf-8")
        assert f"<code>{first[:7]}</code>" in ledger
        assert f"<code>{merge[:7]}</code>" in ledger and "#12" in ledger
        changes = html.unescape((repo / site / "changes/index.html").read_text("utf-8"))
        assert merge[:7] in changes and "#12" in changes and "登记员" in changes
        # the commit message is shown only internally
        assert ("Merge pull request #12" in changes) == bool(flag)


def test_an_uncommitted_file_is_marked(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    data = DataDir(repo / "data")
    data.member("m01")
    data.events(events_file(event("e1", "J3", "2025-03-01")))
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "登记")
    data.events(events_file(event("e1", "J3", "2025-03-02")))
    provenance = for_data(repo / "data")
    assert provenance is not None
    assert provenance.of(str(repo / "data/events/2025-03.yaml"), "e1") == "uncommitted"


def test_no_provenance_outside_git(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    assert for_data(data.root) is None
