"""Provenance: the commit that last changed each record, from one pass over git log."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    data.close("b-a", "2025-Q1", "2025-04-08", today="2026-01-10")  # public once 审定
    commit(repo, "b-a: close 2025-Q1")

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


def init(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")


def commit_file(repo: Path, message: str) -> str:
    """Commit everything with ``message`` taken verbatim from a file (no cleanup)."""
    (repo.parent / "message.txt").write_bytes(message.encode())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--cleanup=verbatim", "-F", str(repo.parent / "message.txt"))
    return git(repo, "rev-parse", "HEAD").strip()


def test_a_commit_message_cannot_claim_another_files_records(tmp_path: Path) -> None:
    """A commit that changes only policy.yaml, with a message that reads like a diff of
    the events file (and the separators the old parser split on), owns no event."""
    repo = tmp_path / "repo"
    data = DataDir(repo / "data")
    data.member("m01", name="张一")
    data.events(events_file(event("e1", "J3", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", points=-3)))
    data.close("b-a", "2025-Q1", "2025-04-08", today="2026-01-10")  # public once 审定
    init(repo)
    first = commit(repo, "三月登记")
    with (repo / "data" / "policy.yaml").open("a", encoding="utf-8") as policy:
        policy.write("# 说明\n")
    target = "data/events/2025-03.yaml"
    subject = "调整政策\x1f\x1e <script>alert(1)</script> | *x*"
    message = (f"{subject}\n\n\x1e\x1f\ndiff --git a/{target} b/{target}\n"
               f"--- a/{target}\n+++ b/{target}\n@@ -1,40 +1,40 @@\n+  - id: e1\n\x1e\n")
    forged = commit_file(repo, message)

    provenance = for_data(repo / "data")
    assert provenance is not None
    path = str(repo / target)
    assert provenance.of(path, "e1").sha == first  # type: ignore[union-attr]
    assert provenance.of(path, "e2").sha == first  # type: ignore[union-attr]
    newest = provenance.history.commits[0]
    assert newest.sha == forged and newest.subject == subject  # data, kept as it is
    assert f"+++ b/{target}" in newest.body
    assert provenance.history.lines["data/policy.yaml"][-1].sha == forged

    for flag, site in (((), "site"), (("--internal",), "site-internal")):
        done = subprocess.run([str(JIFEN), "build", *flag, "--data", "data", "--as-of",
                               "2025-12-31", "--today", "2026-01-10"], cwd=repo,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        ledger = (repo / site / "members/m01/2025/index.html").read_text("utf-8")
        assert f"<code>{first[:7]}</code>" in ledger and forged[:7] not in ledger
        changes = (repo / site / "changes/index.html").read_text("utf-8")
        assert forged[:7] in changes and "<script>alert" not in changes
        # the message is shown internally only, as text
        assert ("<script>alert(1)</script> | *x*" in html.unescape(changes)) == bool(flag)


def test_a_line_of_data_cannot_pass_for_a_diff_header(tmp_path: Path) -> None:
    """Removed and added lines that read "--- a/<events>" and "+++ /dev/null" once made the
    replay forget the events file."""
    repo = tmp_path / "repo"
    data = DataDir(repo / "data")
    data.member("m01")
    data.events(events_file(event("e1", "J3", "2025-03-01")))
    (repo / "data" / "notes.txt").write_text("-- a/data/events/2025-03.yaml\n", "utf-8")
    init(repo)
    first = commit(repo, "登记")
    (repo / "data" / "notes.txt").write_text("++ /dev/null\n", "utf-8")
    commit(repo, "备注")
    provenance = for_data(repo / "data")
    assert provenance is not None
    found = provenance.of(str(repo / "data/events/2025-03.yaml"), "e1")
    assert found is not None and found.sha == first  # type: ignore[union-attr]


def test_spans_of_flow_style_and_widely_indented_records() -> None:
    text = ("branch: b-a\n"
            "events:\n"
            "  - {id: e1, member: m01, rule: J3,\n"
            "     date: 2025-03-01}\n"
            "  -   id: e2\n"
            "      member: m01\n"
            "      note: |\n"
            "        两行\n"
            "        说明\n"
            "\n"
            "  - id: 'e3'\n"
            "    note: \"x\u2028y\\\n"
            "      z\"\r\n"
            "  - {id: e4}\n"
            "  -\n"
            "    id: e5\n"
            "    leave: [m01,\n"
            "            m02]\n"
            "# the end\n")
    expected = {"e1": (3, 4), "e2": (5, 9), "e3": (11, 13), "e4": (14, 14), "e5": (16, 18)}
    assert spans(text) == expected
    # without the characters YAML counts as line breaks and Git does not
    assert spans(text.replace("\u2028", " ").replace("\r\n", "\n")) == expected
    assert spans("events: [\n") == {} and spans("") == {}


def test_flow_style_and_widely_indented_records_are_attributed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    data = DataDir(repo / "data")
    data.member("m01")
    before = ("events:\n"
              "  - {id: e1, member: m01, rule: K7, date: 2025-03-01, points: -2}\n"
              "  -   id: e2\n"
              "      member: m01\n"
              "      rule: K7\n"
              "      date: 2025-03-02\n"
              "      points: -2\n"
              "  - {id: e3, member: m01, rule: K7,\n"
              "     date: 2025-03-03, points: -2}\n")
    data.events(before)
    init(repo)
    first = commit(repo, "登记")
    data.events(before.replace("2025-03-01, points: -2", "2025-03-01, points: -3"))
    second = commit(repo, "改正 e1")
    data.events(before.replace("2025-03-01, points: -2", "2025-03-01, points: -3")
                .replace("      points: -2", "      points: -4"))
    third = commit(repo, "改正 e2")
    provenance = for_data(repo / "data")
    assert provenance is not None
    path = str(repo / "data/events/2025-03.yaml")
    assert {ident: provenance.of(path, ident).sha  # type: ignore[union-attr]
            for ident in ("e1", "e2", "e3")} == {"e1": second, "e2": third, "e3": first}


def test_records_in_files_with_unusual_names(tmp_path: Path) -> None:
    """Names with spaces, Chinese, a newline, a tab, quotes and a backslash come quoted (or
    with a trailing tab) from Git; a name that is not UTF-8 may sit in the history too."""
    repo = tmp_path / "repo"
    data = DataDir(repo / "data")
    data.member("m01")
    names = ["三月 登记.yaml", "a\nb.yaml", 't\t"q"\\.yaml', "plain.yaml"]
    for i, name in enumerate(names):
        data.events(events_file(event(f"e{i}", "K7", "2025-03-01", points=-2)),
                    name=f"b-a/{name}")
    (repo / "data" / "events").joinpath(os.fsdecode(b"b-a/bad\xff.txt")).write_bytes(b"x\n")
    init(repo)
    first = commit(repo, "登记")
    for i, name in enumerate(names[:3]):
        data.events(events_file(event(f"e{i}", "K7", "2025-03-01", points=-3)),
                    name=f"b-a/{name}")
    second = commit(repo, "改正")
    provenance = for_data(repo / "data")
    assert provenance is not None
    found = {name: provenance.of(str(repo / "data/events/b-a" / name), f"e{i}")
             for i, name in enumerate(names)}
    assert {name: c.sha for name, c in found.items()} == {  # type: ignore[union-attr]
        names[0]: second, names[1]: second, names[2]: second, names[3]: first}
    assert os.fsdecode(b"data/events/b-a/bad\xff.txt") in provenance.history.lines


def test_line_owners_match_git_blame_whatever_the_git_configuration(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings that change what ``git log -p`` prints are overridden on its command line."""
    config = tmp_path / "gitconfig"
    config.write_text("[diff]\n noprefix = true\n renames = copies\n interHunkContext = 5\n"
                      " context = 4\n suppressBlankEmpty = true\n relative = true\n"
                      "[core]\n quotePath = false\n[color]\n ui = always\n"
                      "[log]\n showRoot = false\n diffMerges = combined\n", "utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    repo = tmp_path / "r"
    (repo / "data").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    path = repo / "data" / "三月 f.yaml"
    texts = ["a\n\nb\nc\nd\n", "a\n\nB\nc\nd\ne\n", "x\na\n\nB\nd\ne\n", "a\n\nB\nf\ng\n"]
    for i, text in enumerate(texts):
        path.write_text(text)
        commit(repo, f"edit {i}")
    owners = [c.sha for c in history(repo, "data").lines["data/三月 f.yaml"]]
    blame = [line.split()[0] for line in git(repo, "blame", "--porcelain", "data/三月 f.yaml")
             .splitlines() if len(line.split()) >= 3 and len(line.split()[0]) == 40]
    assert owners == blame
