"""Reviewing changes on the code forge: ``jifen diff`` (what a merge request changes in
scores and flags) and ``jifen codeowners`` (who must review which files)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from generator.codeowners import DEFAULT_PATH, FORGES, NoOffice, codeowners
from generator.diff import Revision, compare
from generator.diff import as_json as diff_json
from generator.diff import markdown as diff_markdown
from generator.diff import text as diff_text
from generator.exceptions import UsageError
from generator.gitsource import GitError, files_at, files_in_worktree, toplevel
from generator.options import Commands, Output, Run, add_as_of, command
from generator.pipeline import check_blobs
from generator.writing import write_atomic

EPILOG_DIFF = "示例：jifen diff origin/main HEAD --format markdown"
# The format when none is asked for: plain text for a person at a terminal, Markdown
# (the merge-request comment) when the output goes to a file or a pipe, or runs in CI.
CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "GITEA_ACTIONS")
EPILOG_CODEOWNERS = "示例：jifen codeowners --forge github（写入 .github/CODEOWNERS）"


def register(commands: Commands) -> None:
    p = command(commands, "diff", cmd_diff,
                help="说明两个版本之间数据变动对积分和标记的影响（用于合并请求）",
                description="说明两个版本之间数据变动对积分和标记的影响（用于合并请求）。"
                "版本直接从 Git 读取，不改动工作区。", epilog=EPILOG_DIFF, memo=False)
    p.add_argument("base", metavar="BASE", help="比较的基准版本（分支、标签或提交），例如 main")
    p.add_argument("head", metavar="HEAD", nargs="?", default=None,
                   help="修改后的版本（默认：工作区中的文件）")
    add_as_of(p, "计算到这一天")
    p.add_argument("--format", choices=("text", "markdown", "json"), default=None,
                   help="输出格式：text 终端中阅读的纯文本，markdown 合并请求的评论，json 供其他工具读取"
                   "（默认：在终端中运行时为 text，输出到文件、管道或在 CI 中运行时为 markdown）")

    p = command(commands, "codeowners", cmd_codeowners,
                help="根据 organization.yaml 生成 CODEOWNERS（谁审核哪些文件）",
                description="根据 organization.yaml 生成代码托管平台的 CODEOWNERS 文件："
                "各党支部的文件夹由本支部登记专人审核，加分、积分标准、政策和组织架构由"
                "党工委办公室审核。配合分支保护的“须经代码所有者审核”使用。",
                epilog=EPILOG_CODEOWNERS, memo=False)
    p.add_argument("--forge", choices=FORGES, default="github",
                   help="代码托管平台：github、gitlab 或 gitea（含 Forgejo），默认 github")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="输出文件（默认：仓库根目录下该平台的位置，如 .github/CODEOWNERS；"
                   "- 表示输出到屏幕）")


def cmd_diff(run: Run, out: Output) -> int:
    args = run.args
    today = run.today
    as_of = args.as_of or today
    data = run.data.resolve()
    try:
        repo = toplevel(data)
        folder = os.path.relpath(data, repo)
        base_files = files_at(repo, args.base, folder)
        head_files = (files_at(repo, args.head, folder) if args.head
                      else files_in_worktree(repo, folder))
    except GitError as exc:
        raise UsageError(str(exc)) from None
    revisions = []
    for name, files in ((args.base, base_files), (args.head or "工作区", head_files)):
        dataset, diagnostics, _ = check_blobs(files, folder, today=today)
        revisions.append(Revision(name, dataset, diagnostics))
    report = compare(revisions[0], revisions[1], as_of=as_of)
    shown = args.format or default_diff_format()
    if shown == "json":
        out.out(json.dumps(diff_json(report), ensure_ascii=False, indent=2))
    elif shown == "text":
        out.out(diff_text(report))
    else:
        out.out(diff_markdown(report))
    return 0 if report.head_valid else 1


def default_diff_format() -> str:
    """``text`` when a person reads the output at a terminal; ``markdown`` otherwise (a
    file, a pipe, a CI job: where the comment is made)."""
    if any(os.environ.get(name) for name in CI_VARIABLES):
        return "markdown"
    try:
        return "text" if sys.stdout.isatty() else "markdown"
    except ValueError:  # a closed stream
        return "markdown"


def cmd_codeowners(run: Run, out: Output) -> int:
    args = run.args
    dataset, diagnostics, _ = run.check()
    org = dataset.organization
    errors = [d for d in diagnostics if d.is_error and org is not None and d.path == org.path]
    if org is None or errors:
        for d in errors:
            out.err(d.format())
        out.err("organization.yaml 有错误，无法生成 CODEOWNERS；请先改正。")
        return 1
    data = run.data.resolve()
    try:
        root = toplevel(data)
    except GitError:
        root = Path.cwd().resolve()
    try:
        text, notes = codeowners(org, os.path.relpath(data, root), args.forge)
    except NoOffice:
        out.err(f"{org.path}：没有填写 office.accounts（党工委办公室在代码托管平台的账号），"
                "无法确定加分、规则和政策由谁审核。请补上，例如：\n"
                "office:\n  name: 党工委办公室\n  accounts: [\"@jiedao/dangwei-office\"]")
        return 1
    for note in notes:
        out.err(note)
    if args.out == "-":
        out.out(text.rstrip("\n"))
        return 0
    target = Path(args.out) if args.out else root / DEFAULT_PATH[args.forge]
    write_atomic(target, text)
    out.out(f"已写入 {target}。在平台的分支保护中开启“须经代码所有者（Code Owners）审核”后生效。")
    return 0
