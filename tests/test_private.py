"""The private store (联系电话, 身份证号码): where it is found, what is checked, and that
nothing public ever reads it. One test per E9xx code is in tests/test_validation.py."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from generator.pipeline import check
from generator.private import (
    DEFAULT,
    ENV,
    PrivateStore,
    check_id_number,
    check_private,
    load_private,
    phone_ok,
    private_location,
    require_private,
)
from tests.support import REPO, DataDir, Result, event, events_file, run

JIFEN = Path(sys.executable).parent / "jifen"
TODAY = "2027-01-15"
# Fictional numbers (ID sequence 000 is never issued); each has a valid check character.
ID_1 = "110101199003070003"
ID_2 = "33010219800101000X"
PHONE_1 = "13900000001"
PHONE_2 = "0571-00000002"
PHONE_PATTERN = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_PATTERN = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def store_text(*rows: tuple[str, str, str]) -> str:
    text = "# 党员联系电话和身份证号码：只保存在本机，不得提交到 Git，不得公开。\nmembers:\n"
    for member, phone, number in rows:
        text += f'  - member: {member}\n    phone: "{phone}"\n    id_number: "{number}"\n'
    return text


STORE = store_text(("m01", PHONE_1, ID_1), ("m02", PHONE_2, ID_2))


def environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    return env | extra


def jifen(*args: str, cwd: Path, **env: str) -> Result:
    """In this process, with ``env`` and without the user's $JIFEN_PRIVATE."""
    return run(*args, cwd=cwd, env={ENV: None, **env})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository like the real one: data/ in Git, /private/ ignored, a store in it."""
    root = tmp_path / "proj"
    data = DataDir(root / "data")
    data.member("m01", name="张一")
    data.member("m02", name="李二", category="probationary")
    data.events(events_file(event("e1", "K7", "2025-03-02", member="m02", points=-5)),
                name="b-a/2025-03.yaml")
    (root / ".gitignore").write_text("/private/\n/build/\n/site/\n", "utf-8")
    git = ["git", "-C", str(root), "-c", "user.name=测试", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "data"], check=True)
    (root / "private").mkdir()
    (root / "private/members.yaml").write_text(STORE, "utf-8")
    return root


# --- the template and the schema ---------------------------------------------------------------

def test_the_template_is_valid_for_the_example_data(tmp_path: Path) -> None:
    template = REPO / "private.example.yaml"
    assert template.read_text("utf-8").startswith(
        "# 党员联系电话和身份证号码：只保存在本机，不得提交到 Git，不得公开。")
    copy = tmp_path / "members.yaml"  # outside Git: the template itself is tracked
    shutil.copy(template, copy)
    dataset, diagnostics, _ = check(REPO / "data", today="2026-11-25")
    assert not [d for d in diagnostics if d.is_error]
    store, problems = load_private(copy, dataset, today="2026-11-25")
    assert problems == []
    assert len(store) == 3 and "m-xy-01" in store
    # the members of the example's laggard cases, so that `jifen form laggard` works as written
    assert {case.member for case in dataset.cases} <= set(store.members)


def test_the_private_folder_is_ignored_by_git() -> None:
    assert "/private/" in (REPO / ".gitignore").read_text("utf-8").splitlines()
    done = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", str(DEFAULT)],
                          check=False)
    if done.returncode == 128:
        pytest.skip("不在 Git 工作区中运行")
    assert done.returncode == 0


def test_the_schema_describes_every_property() -> None:
    schema = json.loads((REPO / "schema/private.schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)

    def undescribed(node: object, where: str = "") -> list[str]:
        found = []
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if not sub.get("description"):
                    found.append(f"{where}.{name}")
            for key, sub in node.items():
                found += undescribed(sub, f"{where}/{key}")
        return found

    assert undescribed(schema) == []
    assert schema["description"] and re.search(r"[\u4e00-\u9fff]", schema["description"])


def test_no_tracked_file_holds_a_phone_or_id_number() -> None:
    """Across the repository (not only data/): the template's numbers are fictional, and
    tests make up numbers on purpose."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True,
                            check=False)
    if listed.returncode != 0:
        pytest.skip("不在 Git 工作区中运行")
    allowed = {"private.example.yaml"}
    offenders = []
    for name in listed.stdout.decode().split("\0"):
        path = REPO / name
        if not name or name in allowed or name.startswith("tests/") or not path.is_file():
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        if PHONE_PATTERN.search(text) or ID_PATTERN.search(text):
            offenders.append(name)
    assert offenders == []


# --- the checks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("phone", ["13800000000", "19912345678", "0571-12345678", "057112345678",
                                   "010-1234567", "01012345678", "0898-7654321"])
def test_accepted_phone_numbers(phone: str) -> None:
    assert phone_ok(phone)


@pytest.mark.parametrize("phone", ["12800000000", "1380000000", "138000000001", "138 0000 0000",
                                   "+8613800000000", "(0571)12345678", "571-12345678",
                                   "0571-123456", "0571-123456789", "电话"])
def test_refused_phone_numbers(phone: str) -> None:
    assert not phone_ok(phone)


def test_id_number_checks() -> None:
    assert check_id_number(ID_1, TODAY) == []
    assert check_id_number(ID_2, TODAY) == []
    assert check_id_number(ID_1[:17], TODAY) == [("E902", {"length": 17})]
    assert check_id_number(ID_1[:17] + "X", TODAY) == [("E903", {"expected": "3"})]
    assert check_id_number("110101209912310007", TODAY) == [("E904", {})]  # born in 2099
    assert check_id_number("110101189912310001", TODAY) == [("E904", {})]  # before 1900
    # both wrong: both said
    assert [c for c, _ in check_id_number("110101199002300000", TODAY)] == ["E903", "E904"]


def lines(problems: list, folder: Path) -> list[str]:
    return [d.format().replace(f"{folder}/", "") for d in problems]


def test_schema_and_yaml_problems_are_reported_with_their_lines(data: DataDir,
                                                                tmp_path: Path) -> None:
    data.member("m01", name="张一")
    data.member("m02", name="李二")
    dataset, _ = data.check()
    store = tmp_path / "members.yaml"
    store.write_text("members:\n"
                     f"  - member: m01\n    phone: 13900000001\n    id_number: \"{ID_1}\"\n"
                     f"  - member: m02\n    id_number: \"{ID_2}\"\n    mobile: x\n", "utf-8")
    _, problems = load_private(store, dataset, today=TODAY)
    assert lines(problems, tmp_path) == [
        "members.yaml:3:12: E203 字段“phone”应为文字，这里是数字 （为保护隐私，不显示内容）。"
        "YAML 会把 no、yes、on、off 读成真假值，把 007 读成数字 7：请给它加上英文引号，例如 \"007\"。",
        "members.yaml:5:5: E201 缺少必填字段“phone”（联系电话，请加英文引号：手机号 11 位数字（以 13 至 19 "
        "开头）；或固定电话，区号加号码，例如 \"0571-12345678\"、\"010-12345678\"（连字符可省略））。请补上。",
        "members.yaml:7:5: E202 未知字段“mobile”。请检查拼写；这里允许的字段有：member、name、phone、"
        "id_number。"]
    assert PHONE_1 in store.read_text("utf-8")
    assert not any(PHONE_1 in line for line in lines(problems, tmp_path))  # never echoed


def test_yaml_errors_and_unreadable_files(data: DataDir, tmp_path: Path) -> None:
    data.member("m01", name="张一")
    dataset, _ = data.check()
    store = tmp_path / "members.yaml"
    store.write_text("members:\n  - member: m01\n    phone \"1\"\n", "utf-8")
    assert [d.code for d in load_private(store, dataset)[1]] == ["E101"]
    store.write_text(f"members:\n  - member: m01\n    member: m01\n    phone: \"{PHONE_1}\"\n"
                     f"    id_number: \"{ID_1}\"\n", "utf-8")
    assert [d.code for d in load_private(store, dataset)[1]] == ["E102"]
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert lines(load_private(folder, dataset)[1], tmp_path) == [
        "folder.yaml:1:1: E100 无法读取文件：这不是一个普通文件。请确认文件存在并以 UTF-8 编码保存。"]


def test_messages_never_repeat_the_numbers(data: DataDir, tmp_path: Path) -> None:
    """What validate prints can end up in a terminal log or a CI page."""
    data.member("m01", name="张一")
    dataset, _ = data.check()
    store = tmp_path / "members.yaml"
    wrong_id, wrong_phone = ID_1[:17] + "7", "1390000000"
    store.write_text(store_text(("m01", wrong_phone, wrong_id)), "utf-8")
    _, problems = load_private(store, dataset, today=TODAY)
    assert [d.code for d in problems] == ["E905", "E903"]
    assert not any(wrong_id in d.message or wrong_phone in d.message for d in problems)


def test_a_broken_member_file_is_not_also_an_unknown_member(data: DataDir,
                                                             tmp_path: Path) -> None:
    data.write("members/b-a/m01.yaml", "id: m01\nname: 张一\nbranch: b-a\ncategory: nobody\n")
    dataset, _ = data.check()
    store = tmp_path / "members.yaml"
    store.write_text(store_text(("m01", PHONE_1, ID_1)), "utf-8")
    assert load_private(store, dataset, today=TODAY)[1] == []


def test_a_tracked_store_is_an_error(tmp_path: Path, data: DataDir) -> None:
    data.member("m01", name="张一")
    dataset, _ = data.check()
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("/private/\n", "utf-8")
    store = tmp_path / "private/members.yaml"
    store.parent.mkdir()
    store.write_text(store_text(("m01", PHONE_1, ID_1)), "utf-8")
    assert load_private(store, dataset, today=TODAY)[1] == []  # ignored: fine
    subprocess.run(["git", "-C", str(tmp_path), "add", "-f", "private/members.yaml"], check=True)
    assert lines(load_private(store, dataset, today=TODAY)[1], tmp_path) == [
        "private/members.yaml:1:1: E909 私密信息文件 private/members.yaml 在 Git 仓库中，"
        "已被 Git 跟踪（已添加或已提交）：联系电话和身份证号码不得提交到 Git。请把它放在仓库根目录的 "
        "private/ 文件夹中（.gitignore 已排除 /private/）或仓库之外，并用 git rm --cached 从 Git 中删除；"
        "已经提交的，还须从历史中清除。"]


# --- where the store is --------------------------------------------------------------------------

def test_the_option_wins_then_the_variable_then_the_repository_default(project: Path,
                                                                       tmp_path: Path) -> None:
    data = project / "data"
    assert private_location("x.yaml", data, {ENV: "y.yaml"}).path == Path("x.yaml")
    assert private_location("x.yaml", data, {ENV: "y.yaml"}).source == "option"
    assert private_location(None, data, {ENV: "y.yaml"}).path == Path("y.yaml")
    assert private_location(None, data, {ENV: "y.yaml"}).forced
    default = private_location(None, data, {ENV: ""})
    assert (default.path, default.source, default.forced) == (
        project / "private/members.yaml", "default", False)
    nested = data / "members/b-a"  # the git toplevel, wherever below it the data is
    assert private_location(None, nested, {}).path == project / "private/members.yaml"


def test_without_git_the_default_is_below_the_current_directory(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    data = DataDir(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    assert private_location(None, data.root, {}).path == tmp_path / "private/members.yaml"


# --- jifen validate --------------------------------------------------------------------------------

def test_validate_checks_the_store_at_the_default_location(project: Path) -> None:
    clean = jifen("validate", "--data", "data", "--today", TODAY, cwd=project)
    assert (clean.code, clean.stdout) == (0, "检查了 8 个文件，没有发现问题。\n")
    store = project / "private/members.yaml"
    store.write_text(STORE.replace(ID_1, ID_1[:17] + "5"), "utf-8")
    bad = jifen("validate", "--data", "data", "--today", TODAY, cwd=project)
    assert bad.code == 1
    assert bad.stdout.splitlines() == [
        "private/members.yaml:5:16: E903 党员 m01（张一）的身份证号码校验码（第 18 位）不对："
        "按前 17 位计算应为 3。号码可能抄错了，请与身份证核对。",
        "检查了 8 个文件：1 个错误，0 个警告。"]
    # an edit of the store alone is seen: such runs are never replayed from the cache
    store.write_text(STORE, "utf-8")
    again = jifen("validate", "--data", "data", "--today", TODAY, cwd=project)
    assert (again.code, again.stdout) == (0, "检查了 8 个文件，没有发现问题。\n")


def test_validate_without_a_store_says_nothing_about_it(project: Path) -> None:
    shutil.rmtree(project / "private")
    done = jifen("validate", "--data", "data", "--today", TODAY, cwd=project)
    assert (done.code, done.stdout) == (0, "检查了 7 个文件，没有发现问题。\n")


def test_validate_private_names_a_file_that_must_exist(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "secure/members.yaml"
    done = jifen("validate", "--data", "data", "--private", str(elsewhere), cwd=project)
    assert done.code == 1
    assert done.stdout.splitlines()[0] == (
        f"{elsewhere}:1:1: E901 找不到私密信息文件 {elsewhere}（由 --private 指定）：联系电话和身份证号码"
        "只保存在本机，不提交到 Git、不公开。请按仓库根目录的 private.example.yaml 建立这个文件（默认位置是"
        "仓库根目录下的 private/members.yaml），或用 --private 文件 / 环境变量 JIFEN_PRIVATE 指定它的位置。")
    by_variable = jifen("validate", "--data", "data", cwd=project, **{ENV: str(elsewhere)})
    assert by_variable.code == 1
    assert f"E901 找不到私密信息文件 {elsewhere}（由环境变量 JIFEN_PRIVATE 指定）" in by_variable.stdout
    elsewhere.parent.mkdir()
    shutil.copy(project / "private/members.yaml", elsewhere)
    found = jifen("validate", "--data", "data", "--private", str(elsewhere), "--today", TODAY,
                  cwd=project)
    assert (found.code, found.stdout) == (0, "检查了 8 个文件，没有发现问题。\n")


def test_validate_json_includes_the_store(project: Path) -> None:
    (project / "private/members.yaml").write_text(store_text(("m09", PHONE_1, ID_1)), "utf-8")
    done = jifen("validate", "--data", "data", "--format", "json", "--today", TODAY, cwd=project)
    report = json.loads(done.stdout)
    assert (done.code, report["files"], report["errors"]) == (1, 8, 1)
    assert report["diagnostics"][0]["code"] == "E906"
    assert report["diagnostics"][0]["path"] == "private/members.yaml"


# --- require_private: for internal outputs (the 附件3 form) ----------------------------------------

def test_require_private_missing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    shutil.rmtree(project / "private")
    dataset, _, _ = check(project / "data", today=TODAY)
    found = require_private(None, dataset)
    assert isinstance(found, list)
    assert [d.format() for d in found] == [
        f"{project}/private/members.yaml:1:1: E901 找不到私密信息文件 {project}/private/members.yaml"
        "（默认位置）：联系电话和身份证号码只保存在本机，不提交到 Git、不公开。请按仓库根目录的 "
        "private.example.yaml 建立这个文件（默认位置是仓库根目录下的 private/members.yaml），"
        "或用 --private 文件 / 环境变量 JIFEN_PRIVATE 指定它的位置。"]


def test_require_private_gives_the_store(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    dataset, _, _ = check(project / "data", today=TODAY)
    store = require_private(None, dataset, today=TODAY)  # found from the data set's location
    assert isinstance(store, PrivateStore)
    one = store.get("m01")
    assert one is not None
    assert (one.phone, one.id_number, one.birth_date, one.gender) == (
        PHONE_1, ID_1, "1990-03-07", "女")
    assert store.get("m02") is not None and store.get("m02").birth_date == "1980-01-01"
    assert store.get("m03") is None
    assert ID_1 not in repr(one) and PHONE_1 not in repr(one) and ID_1 not in repr(store)
    monkeypatch.setenv(ENV, str(project / "private/members.yaml"))
    assert isinstance(require_private(None, dataset, today=TODAY), PrivateStore)


def test_require_private_refuses_a_store_with_errors(project: Path) -> None:
    (project / "private/members.yaml").write_text(
        STORE + f'  - member: m01\n    phone: "{PHONE_1}"\n    id_number: "{ID_1}"\n', "utf-8")
    dataset, _, _ = check(project / "data", today=TODAY)
    found = require_private(project / "private/members.yaml", dataset, today=TODAY)
    assert isinstance(found, list) and [d.code for d in found] == ["E907"]


def test_check_private_at_an_absent_default_is_nothing(project: Path) -> None:
    shutil.rmtree(project / "private")
    dataset, _, _ = check(project / "data", today=TODAY)
    assert check_private(None, dataset, project / "data") == ([], 0)


# --- the public build never reads it -------------------------------------------------------------

def site_text(root: Path, pages_only: bool = False) -> str:
    """Every file the build wrote (the site and its work folder), as text; or only the
    pages and data files (not the theme's scripts, fonts and images)."""
    parts = []
    for folder in ("site", ".site.jifen-work"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and (not pages_only or path.suffix in (
                    ".html", ".md", ".json", ".svg", ".xml", ".yml", ".txt")):
                parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_the_public_site_has_no_phone_or_id_number(project: Path) -> None:
    # the public site shows 审定 quarters: b-a closes its first
    closed = jifen("close", "b-a", "2025-Q1", "--meeting", "2025-04-08", "--data", "data",
                   "--today", TODAY, cwd=project)
    assert closed.code == 0, closed.stderr
    done = jifen("build", "--data", "data", "--as-of", "2025-12-31", "--today", TODAY,
                 "--out", "site", cwd=project)
    assert done.code == 0, done.stderr
    text = site_text(project)
    assert "张一" in text  # the site was built, with the members in it
    for number in (ID_1, ID_2, PHONE_1, PHONE_2, PHONE_2.replace("-", "")):
        assert number not in text
    pages = site_text(project, pages_only=True)
    assert not PHONE_PATTERN.search(pages) and not ID_PATTERN.search(pages)
    internal = jifen("build", "--internal", "--data", "data", "--as-of", "2025-12-31",
                     "--today", TODAY, cwd=project)
    assert internal.code == 0, internal.stderr
    text = "\n".join(p.read_text("utf-8", "replace") for p in
                     (project / "site-internal").rglob("*") if p.is_file())
    assert ID_1 not in text and PHONE_1 not in text


@pytest.mark.skipif(os.geteuid() == 0, reason="以 root 运行时 chmod 000 不能阻止读取（root 不受文件权限"
                    "限制）；test_the_public_build_never_opens_the_store 用命名管道代替")
def test_the_public_build_succeeds_with_an_unreadable_store(project: Path) -> None:
    store = project / "private/members.yaml"
    store.chmod(0)
    try:
        done = jifen("build", "--data", "data", "--as-of", "2025-12-31", "--today", TODAY,
                     "--out", "site", cwd=project)
    finally:
        store.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert done.code == 0, done.stderr


def test_the_public_build_never_opens_the_store(project: Path) -> None:
    """The store is replaced by a named pipe: whoever opens it for reading waits for a
    writer, and while it waits, opening the pipe for writing without blocking
    succeeds. Polled through the build, that open must always fail (ENXIO: no reader).
    Works as root too, where file permissions would prove nothing."""
    store = project / "private/members.yaml"
    store.unlink()
    os.mkfifo(store)
    build = subprocess.Popen([str(JIFEN), "build", "--data", "data", "--as-of", "2025-12-31",
                              "--today", TODAY, "--out", "site"], cwd=project, env=environ(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    opened = False
    try:
        while build.poll() is None:
            try:
                fd = os.open(store, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                assert exc.errno == errno.ENXIO, exc
            else:
                opened = True
                os.close(fd)
                break
            time.sleep(0.02)
    finally:
        if build.poll() is None:
            build.kill()
        _, stderr = build.communicate(timeout=300)
    assert not opened, "jifen build opened the private store"
    assert build.returncode == 0, stderr
    assert (project / "site/index.html").is_file()
