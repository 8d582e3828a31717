"""The README is run, not just read: every ```sh block of its daily-use chapter (“日常使用”
and its sections) runs, command by command, against a fresh copy of the example data in
a real Git repository, and must do what the text says: each command succeeds, every
``--out`` file is made, a ```text output block shows exactly what the command before
it printed, and the stories end where their comments say. “两条命令” gives exactly
two commands, and the first builds the bulletin on a copy of the repository.

``jifen`` runs in this process (``tests.support.run``); other lines (``mkdir``,
``cp``) run in a shell; ``export`` sets the environment of what follows (the README's
``export JIFEN_TODAY=…`` pins the example data's today for every block);
``source .venv/bin/activate`` must find the environment the set-up made, with ``jifen``
in it. A block that needs the data-model branch is an expected failure until it lands.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support import REPO, run

README = REPO / "README.md"
RUN_CHAPTER = "日常使用"
TWO_COMMANDS = "两条命令"


@dataclass(frozen=True)
class Block:
    chapter: str  # the ## heading
    section: str  # the ### heading ("" in the chapter's own text)
    info: str  # the fence's info string: "sh", "text output", ...
    text: str
    line: int  # where the block starts in the README

    @property
    def name(self) -> str:
        return f"{self.section or self.chapter}（第 {self.line} 行）"


def blocks(readme: str) -> list[Block]:
    found: list[Block] = []
    chapter = section = ""
    fence: tuple[str, int, list[str]] | None = None
    for number, line in enumerate(readme.splitlines(), 1):
        if fence is not None:
            if line.startswith("```"):
                found.append(Block(chapter, section, fence[0], "\n".join(fence[2]), fence[1]))
                fence = None
            else:
                fence[2].append(line)
        elif line.startswith("```"):
            fence = (line[3:].strip(), number, [])
        elif line.startswith("## "):
            chapter, section = line[3:].strip(), ""
        elif line.startswith("### "):
            section = line[4:].strip()
    return found


def commands(block: Block) -> list[str]:
    """The commands of a shell block: continued lines joined, comments and blank lines
    dropped, ``a && b`` as two commands."""
    joined = block.text.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        group: list[str] = []
        for word in [*shlex.split(line, comments=True), "&&"]:
            if word != "&&":
                group.append(word)
            elif group:
                found.append(shlex.join(group))
                group = []
    return found


ALL = blocks(README.read_text("utf-8"))
DAILY = [b for b in ALL if b.chapter == RUN_CHAPTER]
RUN = [b for b in DAILY if b.info == "sh"]


def pinned_today() -> str:
    """The day the README pins for the example data (``export JIFEN_TODAY=…``)."""
    for block in RUN:
        for command in commands(block):
            if command.startswith("export JIFEN_TODAY="):
                return command.split("=", 1)[1]
    raise AssertionError("README 的“日常使用”中没有 export JIFEN_TODAY=…")


def _key(block: Block) -> str:
    same = [b for b in RUN if b.section == block.section]
    return block.section if same.index(block) == 0 else f"{block.section}#{same.index(block) + 1}"


def _param(block: Block) -> object:
    return pytest.param(block, id=_key(block) or block.chapter)


# --- the workspace: a copy of the example data in a Git repository ----------------------------

GIT_ENV = {"GIT_AUTHOR_NAME": "登记员", "GIT_AUTHOR_EMAIL": "r@example.invalid",
           "GIT_COMMITTER_NAME": "登记员", "GIT_COMMITTER_EMAIL": "r@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True, timeout=60).stdout


def workspace(root: Path) -> Path:
    """A repository as a committee's would be on a registrar's machine: the example data,
    the private store's template and .gitignore, committed, with origin/main."""
    root.mkdir()
    shutil.copytree(REPO / "data", root / "data")
    for name in ("private.example.yaml", ".gitignore"):
        shutil.copy(REPO / name, root / name)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "示例数据")
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    return root


@dataclass
class Ran:
    command: str
    code: int
    stdout: str
    stderr: str


def run_block(block: Block, root: Path) -> list[Ran]:
    env: dict[str, str | None] = {"JIFEN_TODAY": pinned_today(), "JIFEN_PRIVATE": None}
    done: list[Ran] = []
    for command in commands(block):
        words = shlex.split(command)
        where = f"{block.name}：{command}"
        if words[0] == "export":
            name, value = words[1].split("=", 1)
            env[name] = value
            continue
        if words[0] == "source":
            assert words[1:] == [".venv/bin/activate"], where
            venv = REPO / ".venv"
            if (venv / ".jifen-installed").is_file():  # made by the set-up (run-tests.sh)
                assert (venv / "bin/activate").is_file(), f"{where}：找不到 .venv/bin/activate"
                assert os.access(venv / "bin/jifen", os.X_OK), f"{where}：启用的环境中没有 jifen"
            continue
        if words[0] == "jifen":
            result = run(*words[1:], cwd=root, env=env)
            ran = Ran(command, result.code, result.stdout, result.stderr)
        else:
            shell = subprocess.run(command, shell=True, cwd=root, capture_output=True,
                                   text=True, timeout=120, check=False, env={
                                       **os.environ, **GIT_ENV,
                                       **{k: v for k, v in env.items() if v is not None}})
            ran = Ran(command, shell.returncode, shell.stdout, shell.stderr)
        assert ran.code == 0, f"{where}\n退出码 {ran.code}\n{ran.stdout}{ran.stderr}"
        assert "Traceback" not in ran.stderr, where
        if "--out" in words:
            out = root / words[words.index("--out") + 1]
            made = [out] if out.is_file() else sorted(out.glob("*")) if out.is_dir() else []
            assert made and all(f.is_file() and f.stat().st_size > 0 for f in made), (
                f"{where}：没有生成 {out}")  # a file, or a folder of files
        done.append(ran)
    return done


# --- what the stories say -----------------------------------------------------------------------

def _yaml(path: Path) -> dict[str, object]:
    """A data file's value, every scalar as written (dates stay text)."""
    value = yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)
    return value if isinstance(value, dict) else {}


def _record(root: Path, folder: str, ident: str) -> dict[str, object]:
    for path in sorted((root / "data" / folder).rglob("*.yaml")):
        value = _yaml(path)
        for key in ("events", "corrections"):
            records = value.get(key)
            for record in records if isinstance(records, list) else ():
                if record.get("id") == ident:
                    return dict(record)
    raise AssertionError(f"找不到 {ident}")


def _registering(root: Path) -> None:
    added = _record(root, "additions", "ev-b-xinyuan-2026-11-06")
    assert (added["member"], added["status"], added["approved_on"]) == (
        "m-xy-03", "approved", "2026-11-25")
    assert _record(root, "additions", "ev-b-xinyuan-2026-11-01")["status"] == "approved"
    assert _record(root, "events", "ev-b-xinyuan-2026-11-07")["member"] == "m-xy-05"  # by name
    assert _record(root, "events", "ev-b-xinyuan-2026-11-02")["status"] == "void"


def _correcting(root: Path) -> None:
    objection = _yaml(root / "data/objections/b-lvzhou/obj-b-lvzhou-2026-q3-01.yaml")
    assert (objection["outcome"], objection["correction"], objection["event"]) == (
        "upheld", "cr-ev-b-lvzhou-2026-08-05", "ev-b-lvzhou-2026-08-05")
    correction = _record(root, "events", "cr-ev-b-lvzhou-2026-08-05")
    assert (correction["corrects"], correction["objection"]) == (
        "ev-b-lvzhou-2026-08-05", "obj-b-lvzhou-2026-q3-01")


def _members(root: Path) -> None:
    members = root / "data" / "members"
    assert (members / "b-xinyuan" / "m-xy-15.yaml").is_file()
    assert _yaml(members / "b-lvzhou" / "m-lz-09.yaml")["category"] == "full"  # by name
    assert not (members / "b-xinyuan" / "m-xy-07.yaml").exists()
    assert _yaml(members / "b-hengfeng" / "m-xy-07.yaml")["branch"] == "b-hengfeng"
    assert "left" in _yaml(members / "b-xinyuan" / "m-xy-13.yaml")


STORIES: dict[str, Callable[[Path], None]] = {
    "登记命令：不手写 YAML 也能登记": _registering,
    "更正和异议：季度审定公布之后": _correcting,
    "党员档案的变动：新增、转正、转支部、离开": _members,
}


@pytest.mark.parametrize("block", [_param(b) for b in RUN])
def test_every_daily_use_block_does_what_the_readme_says(block: Block, tmp_path: Path) -> None:
    root = workspace(tmp_path / "repo")
    done = run_block(block, root)
    # a ```text output block after this one (before the next shell block of its section)
    # shows what the first command that printed its first line printed
    later = DAILY[DAILY.index(block) + 1:]
    following = next((b for b in later if b.info == "sh" or b.section != block.section), None)
    shown = later[:later.index(following)] if following else later
    for output in (b for b in shown if b.info == "text output"):
        first = output.text.splitlines()[0]
        printed = [r.stdout for r in done if r.stdout.startswith(first)]
        assert printed, f"{output.name}：上面的命令没有输出“{first}”"
        assert printed[0].rstrip("\n") == output.text.rstrip("\n"), output.name
    check = STORIES.get(_key(block))
    if check is not None:
        check(root)


def test_the_daily_use_chapter_is_run() -> None:
    """The runner finds what it is meant to run: every section of the chapter that shows
    commands, and the output example."""
    sections = {b.section for b in RUN}
    assert {"", "登记命令：不手写 YAML 也能登记", "更正和异议：季度审定公布之后",
            "党员档案的变动：新增、转正、转支部、离开", "合并请求：这次修改对积分有什么影响",
            "联系电话和身份证号码：私密信息文件", "导出电子表格（.xlsx）"} <= sections
    assert [b.section for b in DAILY if b.info == "text output"] == [
        "登记命令：不手写 YAML 也能登记"]
    every = [shlex.split(c) for b in RUN for c in commands(b)]
    assert {words[0] for words in every} == {"source", "export", "jifen", "mkdir", "cp"}
    assert ["jifen", "form", "laggard", "case-b-lvzhou-2026-01", "--out", "呈报表.docx"] in every
    assert not [w for w in every if "-i" in w], "a question cannot be answered here"


def test_two_commands_are_two_and_the_first_builds_the_bulletin(tmp_path: Path) -> None:
    """“两条命令”: exactly two set-up-free commands (``--serve`` is a variant of the first,
    in the text), both scripts in the repository; ``./bulletin.sh`` builds the site on a
    copy of the repository with nothing on PATH but the system's."""
    shown = [b for b in ALL if b.chapter == TWO_COMMANDS and b.info == "sh"]
    assert len(shown) == 1
    assert commands(shown[0]) == ["./bulletin.sh", "./run-tests.sh"]
    text = README.read_text("utf-8")
    section = text[text.index(f"## {TWO_COMMANDS}"):text.index(f"## {RUN_CHAPTER}")]
    assert "./bulletin.sh --serve" in section
    for script in ("bulletin.sh", "run-tests.sh"):
        assert os.access(REPO / script, os.X_OK), script
    venv = REPO / ".venv"
    if not (venv / ".jifen-installed").is_file():
        pytest.skip("the repository's .venv was not made by scripts/bootstrap.sh "
                    "(run ./run-tests.sh): it is what ./bulletin.sh reuses here")
    copy = tmp_path / "checkout"
    tracked = git(REPO, "ls-files", "-z").split("\0")
    for name in filter(None, tracked):
        source = REPO / name
        if source.is_file() or source.is_symlink():
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                target.symlink_to(os.readlink(source))
            else:
                shutil.copy2(source, target)
    (copy / ".venv").symlink_to(venv)  # the set-up made once; installing again needs a network
    built = subprocess.run(["./bulletin.sh"], cwd=copy, capture_output=True, text=True,
                           timeout=600, check=False,
                           env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                "JIFEN_CACHE_DIR": str(tmp_path / "cache")})
    assert built.returncode == 0, built.stdout + built.stderr
    assert (copy / "site" / "index.html").is_file()
    assert re.search("党员积分", (copy / "site" / "index.html").read_text("utf-8"))
