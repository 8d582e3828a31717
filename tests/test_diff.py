"""``jifen diff``: both revisions read straight from Git, in real repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support import DataDir, Result, event, events_file, run


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, DataDir]:
    root = tmp_path / "repo"
    data = DataDir(root / "data")
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    data.events(events_file(event("e1", "J3", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", member="m02", points=-3)))
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm",
        "base")
    git(root, "checkout", "-qb", "change")
    return root, data


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm",
        message)


def diff(root: Path, *args: str) -> Result:
    return run("diff", *args, "--as-of", "2025-12-31", "--today", "2026-01-15", cwd=root)


def test_a_change_to_one_members_events_names_that_member(repo: tuple[Path, DataDir]) -> None:
    root, data = repo
    data.events(events_file(event("e1", "J3", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", member="m02", points=-3),
                            event("e3", "K4.4", "2025-06-01", member="m02")))
    commit(root, "m02 disciplined")
    result = diff(root, "main", "HEAD", "--format", "json")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["records"] == [{"kind": "event", "id": "e3", "change": "added",
                                  "member": "m02", "fields": []}]
    assert report["members"] == [{"year": 2025, "id": "m02", "score": [77, 0],
                                  "quarter_score": [77, 0], "gained": ["laggard", "vetoed"],
                                  "lost": []}]
    assert set(report["labels"]) == {"跨越分数线", "一票否决"}
    text = diff(root, "main", "HEAD").stdout
    assert "| 李二（m02） | 甲公司党支部 | 77 → 0 | 77 → 0 | 后进、一票否决 |  |" in text


def test_the_working_tree_is_compared_and_left_alone(repo: tuple[Path, DataDir]) -> None:
    root, data = repo
    data.member("m01", name="张一", category="probationary")
    status_before = git(root, "status", "--porcelain")
    index_before = (root / ".git" / "index").read_bytes()
    report = json.loads(diff(root, "main", "--format", "json").stdout)
    assert report["head"] == "工作区"
    assert report["records"] == [{"kind": "member", "id": "m01", "change": "changed",
                                  "member": "m01", "fields": ["category"]}]
    assert report["members"][0]["gained"] == ["probation_cancelled"]
    assert git(root, "status", "--porcelain") == status_before
    assert (root / ".git" / "index").read_bytes() == index_before


def test_an_invalid_head_exits_1_and_names_the_new_error(repo: tuple[Path, DataDir]) -> None:
    root, data = repo
    data.events(events_file(event("e1", "J3", "2025-03-01"),
                            event("e2", "K7", "2025-03-02", member="m02", points=3)))
    commit(root, "bad sign")
    result = diff(root, "main", "HEAD")
    assert result.code == 1
    assert "修改后的数据有错误，不能合并" in result.stdout
    assert "data/events/2025-03.yaml:14:13` E401" in result.stdout


def test_a_rule_change_is_labelled(repo: tuple[Path, DataDir]) -> None:
    root, data = repo
    catalogue = (data.root / "rules/enterprise.yaml").read_text("utf-8")
    data.write("rules/enterprise.yaml", catalogue.replace(
        "    range: [-5, -2]\n", "    range: [-6, -3]\n"))
    commit(root, "K7 harsher")
    report = json.loads(diff(root, "main", "HEAD", "--format", "json").stdout)
    assert report["rules"] == ["K7"]
    assert "规则变动" in report["labels"]


def test_names_in_the_comment_are_escaped(repo: tuple[Path, DataDir]) -> None:
    root, data = repo
    data.member("m02", name="<img src=x onerror=alert(1)>|**李二**")
    commit(root, "rename")
    text = diff(root, "main", "HEAD").stdout
    assert "<img" not in text and "**李二**" not in text


def test_an_unknown_revision_is_a_usage_error(repo: tuple[Path, DataDir]) -> None:
    root, _ = repo
    result = diff(root, "no-such-branch")
    assert result.code == 2
    assert "找不到 Git 版本“no-such-branch”" in result.stderr


def test_thirty_pull_requests_from_one_base_merge_without_conflict(tmp_path: Path) -> None:
    """Each registration batch is its own file (events/<branch>/<month>/<batch>.yaml), so
    pull requests opened from the same base never touch the same file."""
    root = tmp_path / "repo"
    data = DataDir(root / "data")
    for i in range(30):
        data.member(f"m{i:02d}", branch=("b-a", "b-b")[i % 2])
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    for i in range(30):
        branch = ("b-a", "b-b")[i % 2]
        git(root, "checkout", "-q", "-b", f"pr{i}", "main")
        data.events("branch: " + branch + "\n" + events_file(
            event(f"ev-{branch}-2025-06-{i:02d}", "K7", "2025-06-10", member=f"m{i:02d}",
                  points=-2)), name=f"{branch}/2025-06/batch-{i:02d}.yaml")
        commit(root, f"registration batch {i}")
    git(root, "checkout", "-q", "main")
    for i in range(30):
        git(root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "merge",
            "--no-ff", "-q", "-m", f"Merge pull request #{i + 1}", f"pr{i}")
    result = run("score", "--data", "data", "--year", "2025", "--format", "json", "--today",
                 "2026-01-15", cwd=root)
    assert result.code == 0, result.stderr
    assert {m["score"] for m in json.loads(result.stdout)["members"]} == {78}


def test_a_nomination_change_is_listed_and_labelled(tmp_path: Path) -> None:
    import shutil

    from tests.support import REPO

    root = tmp_path / "repo"
    shutil.copytree(REPO / "data", root / "data")
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    path = root / "data" / "nominations" / "2025.yaml"
    path.write_text(path.read_text("utf-8").replace("党工委2026年第1次委员会议",
                                                    "党工委2026年第1次委员会议（补记）"), "utf-8")
    result = run("diff", "HEAD", "--today", "2026-11-25", "--format", "json", cwd=root)
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(r["kind"], r["id"], r["change"], r["fields"]) for r in report["records"]] == [
        ("nominations", "nominations/2025.yaml", "changed", ["confirmed"])]
    assert "积分运用" in report["labels"]


# --- changes to another year than today's ----------------------------------------------------

def year_repo(tmp_path: Path) -> tuple[Path, DataDir]:
    """A repository in 2026 with 2025 data: m01 at 82, m02 exactly at 60; 2025-Q4 closed."""
    root = tmp_path / "repo"
    data = DataDir(root / "data")
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    data.additions(events_file(event("e1", "J3", "2025-03-01")))
    data.events(events_file(event("e2", "K7", "2025-03-02", member="m02", points=-3),
                            event("e3", "K2.2", "2025-05-02", member="m02"),
                            event("e4", "K3.2", "2025-06-02", member="m02"),
                            event("e5", "K7", "2025-11-03", member="m02", points=-2)))
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-11-10, title: 11月主题党日}\n")
    git(root, "init", "-q", "-b", "main")
    commit(root, "2025")
    git(root, "checkout", "-qb", "change")
    return root, data


def test_a_change_to_last_years_records_is_reported_for_that_year(tmp_path: Path) -> None:
    """A pull request that adds an approved +5 and a late mark to 2025 records, diffed in
    2026: the 2025 totals change and one member falls below 60 (it used to say nobody's
    score changed, evaluating 2026 only)."""
    root, data = year_repo(tmp_path)
    data.additions(events_file(event("e1", "J3", "2025-03-01"),
                               event("e6", "J2", "2025-07-01", points=5)))
    data.meetings("meetings:\n  - {id: mt1, branch: b-a, date: 2025-11-10, title: 11月主题党日,"
                  " late: [m02]}\n")
    commit(root, "2025 records")
    result = run("diff", "main", "HEAD", "--today", "2026-03-02", "--format", "json", cwd=root)
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["year"], report["as_of"]) == (2026, "2026-03-02")
    assert [(y["year"], y["as_of"], y["last_published_quarter"]) for y in report["years"]] == [
        (2025, "2026-01-31", "2025年第四季度")]
    assert report["members"] == [
        {"year": 2025, "id": "m01", "score": [82, 87], "quarter_score": [82, 87],
         "gained": [], "lost": []},
        {"year": 2025, "id": "m02", "score": [60, 59], "quarter_score": [60, 59],
         "gained": ["laggard"], "lost": []}]
    assert "跨越分数线" in report["labels"]
    text = run("diff", "main", "HEAD", "--today", "2026-03-02", cwd=root).stdout
    assert "2025 年度，截至 2026-01-31 · 上一次季通报：2025年第四季度" in text
    assert "| 李二（m02） | 甲公司党支部 | 60 → 59 | 60 → 59 | 后进 |  |" in text
    assert "没有人的积分或标记因此改变" not in text


def test_a_january_correction_is_reported_for_the_year_it_corrects(tmp_path: Path) -> None:
    """The Q4 figure stays as published; the 2025 total and its year-end flags change."""
    root, data = year_repo(tmp_path)
    data.close(quarter="2025-Q4", meeting="2026-01-08", today="2026-01-08")
    commit(root, "close 2025-Q4")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "change")
    git(root, "checkout", "-q", "change")
    data.events("corrections:\n  - {id: cr1, corrects: e5, date: 2026-01-12, reason: 不属实}\n",
                name="b-a/2026-01.yaml")
    commit(root, "correct e5")
    result = run("diff", "main", "HEAD", "--today", "2026-01-20", "--format", "json", cwd=root)
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(y["year"], y["as_of"]) for y in report["years"]] == [(2025, "2026-01-20")]
    assert report["members"] == [
        {"year": 2025, "id": "m02", "score": [60, 62], "quarter_score": [60, 60],
         "gained": [], "lost": []}]
    assert "更正或异议" in report["labels"]


def test_a_terminal_gets_plain_text_without_character_references(
        repo: tuple[Path, DataDir]) -> None:
    """``--format text``: what a person reads at a terminal: field names as written
    (``approved_by``, not ``approved&#95;by``), names unescaped, tables aligned."""
    root, data = repo
    data.member("m02", name="李二 <小李>")
    data.events(events_file(event("e1", "J3", "2025-03-01", approved_by="党工委（第2次会议）"),
                            event("e2", "K7", "2025-03-02", member="m02", points=-5)))
    commit(root, "approver and points")
    result = diff(root, "main", "HEAD", "--format", "text")
    assert result.code == 0, result.stderr
    assert "&#" not in result.stdout and "&amp;" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[:2] == ["积分变动说明（jifen diff）",
                         "比较：main → HEAD · 2025 年度，截至 2025-12-31 · 上一次季通报：2025年第四季度"]
    assert "积分登记  e1    m01   修改  approved_by" in lines
    assert lines[-2:] == [
        "党员                党支部        2025 年度积分  2025年第四季度积分  新增标记  去掉的标记",
        "李二 <小李>（m02）  甲公司党支部        77 → 75             77 → 75"]
    # a file or a pipe (here: the in-process runner) gets the comment's Markdown
    assert diff(root, "main", "HEAD").stdout.startswith("## 积分变动说明（jifen diff）")


def test_the_default_format_is_text_at_a_terminal_and_markdown_in_ci(
        repo: tuple[Path, DataDir]) -> None:
    """Run as a person runs it: the console script with its output on a terminal (a
    pseudo-terminal); with ``CI`` set (a pipeline's log), Markdown."""
    import os
    import pty
    import sys

    root, data = repo
    data.events(events_file(event("e1", "J3", "2025-03-01", approved_by="党工委（补记）"),
                            event("e2", "K7", "2025-03-02", member="m02", points=-3)))
    jifen = Path(sys.executable).parent / "jifen"

    def at_terminal(env: dict[str, str]) -> str:
        main, side = pty.openpty()
        process = subprocess.Popen([str(jifen), "diff", "main", "--as-of", "2025-12-31",
                                    "--today", "2026-01-15"], cwd=root, stdout=side,
                                   stderr=subprocess.PIPE, env=env)
        os.close(side)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal closed: the process has finished writing
                break
            if not chunk:
                break
            shown += chunk
        os.close(main)
        assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
        return shown.decode("utf-8").replace("\r\n", "\n")

    quiet = {k: v for k, v in os.environ.items()
             if k not in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "GITEA_ACTIONS")}
    shown = at_terminal(quiet)
    assert shown.startswith("积分变动说明（jifen diff）\n")
    assert "approved_by" in shown and "&#" not in shown
    assert at_terminal({**quiet, "CI": "true"}).startswith("## 积分变动说明（jifen diff）")
