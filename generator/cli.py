"""The ``jifen`` command: a thin shell over the library.

Each command parses its options, runs the pipeline and prints. Exit status:
0 success, 1 the data has errors (or warnings with ``--strict``), 2 the command
was used wrongly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator import __version__, commands_edit, commands_form, export, private
from generator.build import BuildError, build
from generator.cache import Cache
from generator.closes import close_text
from generator.codeowners import DEFAULT_PATH, FORGES, NoOffice, codeowners
from generator.diff import Revision, compare
from generator.diff import as_json as diff_json
from generator.diff import markdown as diff_markdown
from generator.documents import write_file
from generator.errors import Diagnostic
from generator.exceptions import UsageError
from generator.gitsource import GitError, files_at, files_in_worktree, toplevel
from generator.load import Scan, scan
from generator.model import Dataset
from generator.periods import WINDOW_DAYS, Quarter, quarter_bounds, window
from generator.pipeline import check, check_blobs
from generator.provenance import for_data
from generator.report import ledger, score_table
from generator.score import standings
from generator.serve import serve

EPILOG_VALIDATE = "示例：jifen validate --data data --strict"
EPILOG_SCORE = "示例：jifen score --year 2025 --branch b-a"
EPILOG_EXPLAIN = "示例：jifen explain m01 --year 2025"
EPILOG_BUILD = "示例：jifen build --out site"
EPILOG_DIFF = "示例：jifen diff origin/main HEAD --format markdown"
EPILOG_SERVE = "示例：jifen serve --port 8000"
EPILOG_CLOSE = "示例：jifen close b-a 2026-Q3 --meeting 2026-10-10"
EPILOG_CODEOWNERS = "示例：jifen codeowners --forge github（写入 .github/CODEOWNERS）"




def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD：{text}") from None


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("data"), metavar="DIR",
                        help="数据目录（默认：data）")
    parser.add_argument("--no-cache", action="store_true", help="不使用解析缓存")
    parser.add_argument("--today", type=_date, default=None, metavar="YYYY-MM-DD",
                        help="把这一天当作今天（用于复核历史或测试；默认：今天）")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jifen", description="党员积分制动态量化管理：校验数据、计算积分、生成党务公开栏。")
    parser.add_argument("--version", action="version", version=f"jifen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")

    p = sub.add_parser("validate", help="校验全部数据，列出每个错误的文件、行号和改法",
                       description="校验全部数据，列出每个错误的文件、行号和改法。",
                       epilog=EPILOG_VALIDATE)
    _common(p)
    p.add_argument("--strict", action="store_true", help="有警告也以失败退出")
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式")
    private.add_option(p)
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("score", help="计算每名党员的年度积分和相应标记",
                       description="计算每名党员的年度积分和相应标记。", epilog=EPILOG_SCORE)
    _common(p)
    p.add_argument("--year", type=int, required=True, help="积分年度，例如 2025")
    p.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="计算到这一天（默认：年度最后一天或今天，取较早者）")
    p.add_argument("--branch", default=None, metavar="ID", help="只看这个党支部")
    p.add_argument("--format", choices=("table", "json"), default="table", help="输出格式")
    p.set_defaults(run=cmd_score)

    p = sub.add_parser("explain", help="逐条列出一名党员的积分明细和余额",
                       description="逐条列出一名党员的积分明细和余额，便于与考评手册核对。",
                       epilog=EPILOG_EXPLAIN)
    _common(p)
    p.add_argument("member", metavar="MEMBER", help="党员编号")
    p.add_argument("--year", type=int, required=True, help="积分年度，例如 2025")
    p.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="计算到这一天（默认：年度最后一天或今天，取较早者）")
    p.set_defaults(run=cmd_explain)

    p = sub.add_parser("diff", help="说明两个版本之间数据变动对积分和标记的影响（用于合并请求）",
                       description="说明两个版本之间数据变动对积分和标记的影响（用于合并请求）。"
                       "版本直接从 Git 读取，不改动工作区。", epilog=EPILOG_DIFF)
    _common(p)
    p.add_argument("base", metavar="BASE", help="比较的基准版本（分支、标签或提交），例如 main")
    p.add_argument("head", metavar="HEAD", nargs="?", default=None,
                   help="修改后的版本（默认：工作区中的文件）")
    p.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="计算到这一天（默认：今天）")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown",
                   help="输出格式")
    p.set_defaults(run=cmd_diff, memo=False)

    p = sub.add_parser("close", help="支委会审定一个季度：写入审定文件，此后该季度的登记不能再改动",
                       description="支委会审定一个季度的积分（季通报）：把每名党员的积分和所计登记的"
                       "摘要写入 closes/支部/季度.yaml。审定后该季度的登记不能再改动，错误用更正"
                       "（corrections）处理；公开栏把该季度显示为已公布。",
                       epilog=EPILOG_CLOSE)
    _common(p)
    p.add_argument("branch", metavar="BRANCH", help="党支部编号")
    p.add_argument("quarter", metavar="YYYY-Qn", help="季度，例如 2026-Q3")
    p.add_argument("--meeting", type=_date, required=True, metavar="YYYY-MM-DD",
                   help="支委会审定日期（须在季度结束之后）")
    p.add_argument("--window-from", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="公示开始日期（默认：审定日期）")
    p.add_argument("--window-until", type=_date, default=None, metavar="YYYY-MM-DD",
                   help=f"公示结束日期（默认：开始后第 {WINDOW_DAYS} 天）")
    p.set_defaults(run=cmd_close, memo=False)

    p = sub.add_parser("codeowners", help="根据 organization.yaml 生成 CODEOWNERS（谁审核哪些文件）",
                       description="根据 organization.yaml 生成代码托管平台的 CODEOWNERS 文件："
                       "各党支部的文件夹由本支部登记专人审核，加分、积分标准、政策和组织架构由"
                       "党工委办公室审核。配合分支保护的“须经代码所有者审核”使用。",
                       epilog=EPILOG_CODEOWNERS)
    _common(p)
    p.add_argument("--forge", choices=FORGES, default="github",
                   help="代码托管平台：github、gitlab 或 gitea（含 Forgejo），默认 github")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="输出文件（默认：仓库根目录下该平台的位置，如 .github/CODEOWNERS；- 表示输出到屏幕）")
    p.set_defaults(run=cmd_codeowners, memo=False)

    for name, help_text, epilog, run in (
            ("build", "生成党务公开栏网站（MkDocs）", EPILOG_BUILD, cmd_build),
            ("serve", "在本机预览党务公开栏，修改数据后自动刷新", EPILOG_SERVE, cmd_serve)):
        p = sub.add_parser(name, help=help_text, description=help_text + "。", epilog=epilog)
        _common(p)
        p.add_argument("--internal", action="store_true",
                       help="内部版本：含备注、依据、待审定事项和后进预警，不得公开")
        p.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                       help="数据截至这一天（默认：今天）")
        if name == "build":
            p.add_argument("--out", type=Path, default=None, metavar="DIR",
                           help="输出目录（默认：site，内部版本为 site-internal）")
        else:
            p.add_argument("--port", type=int, default=8000, help="端口（默认：8000）")
        p.set_defaults(run=run, memo=False)

    register_export(sub)
    commands_edit.register(sub, _common)
    commands_form.register(sub, _common)
    return parser


def _today(args: argparse.Namespace) -> str:
    return args.today or dt.date.today().isoformat()


@dataclass
class Run:
    """What one command run sees: its options, the scanned data and the cache."""

    args: argparse.Namespace
    found: Scan | None  # scanned up front only when the run may be replayed
    cache: Cache | None

    def check(self) -> tuple[Dataset, list[Diagnostic], int]:
        found = self.found or scan(self.args.data, self.cache)
        return check(found, today=_today(self.args), cache=self.cache)

    def valid_dataset(self, out: Output, purpose: str = "计算积分") -> Dataset | None:
        """The dataset when it has no errors; otherwise the errors go to stderr."""
        dataset, diagnostics, files = self.check()
        errors = [d for d in diagnostics if d.is_error]
        if not errors:
            return dataset
        for d in errors:
            out.err(d.format())
        out.err(_summary(files, diagnostics) + f"数据有错误，无法{purpose}；请先改正。")
        return None


class Output:
    """What a command prints, kept so that an identical later run can replay it."""

    def __init__(self) -> None:
        self.stdout: list[str] = []
        self.stderr: list[str] = []

    def out(self, text: str) -> None:
        self.stdout.append(text + "\n")

    def err(self, text: str) -> None:
        self.stderr.append(text + "\n")


def _summary(files: int, diagnostics: list[Diagnostic]) -> str:
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if not diagnostics:
        return f"检查了 {files} 个文件，没有发现问题。"
    return f"检查了 {files} 个文件：{errors} 个错误，{warnings} 个警告。"


def _as_of(args: argparse.Namespace) -> str:
    if args.as_of:
        if args.as_of[:4] != str(args.year):
            raise UsageError(f"--as-of {args.as_of} 不在 {args.year} 年度内。")
        return args.as_of
    return min(f"{args.year}-12-31", _today(args))


def cmd_validate(run: Run, out: Output) -> int:
    args = run.args
    dataset, diagnostics, files = run.check()
    # the private store (phone and ID numbers), when there is one or --private names one
    found, read = private.check_private(args.private, dataset, args.data, today=_today(args))
    diagnostics = sorted(diagnostics + found, key=Diagnostic.sort_key)
    files += read
    failed = any(d.is_error for d in diagnostics) or (args.strict and bool(diagnostics))
    if args.format == "json":
        errors = sum(d.is_error for d in diagnostics)
        out.out(json.dumps({"files": files, "errors": errors,
                            "warnings": len(diagnostics) - errors,
                            "diagnostics": [d.as_json() for d in diagnostics]},
                           ensure_ascii=False, indent=2))
    else:
        for d in diagnostics:
            out.out(d.format())
        out.out(_summary(files, diagnostics))
    return 1 if failed else 0


def cmd_score(run: Run, out: Output) -> int:
    args = run.args
    as_of = _as_of(args)
    dataset = run.valid_dataset(out)
    if dataset is None:
        return 1
    if args.branch and (dataset.organization is None
                        or args.branch not in dataset.organization.branches):
        raise UsageError(f"党支部“{args.branch}”不存在。请使用 data/organization.yaml 中的编号。")
    rows = standings(dataset, args.year, as_of, branch=args.branch, ledgers=False)
    if args.format == "json":
        out.out(json.dumps({"year": args.year, "as_of": as_of,
                            "members": [s.as_json() for s in rows]},
                           ensure_ascii=False, indent=2))
    else:
        out.out(score_table(dataset, rows, args.year, as_of))
    return 0


def cmd_explain(run: Run, out: Output) -> int:
    args = run.args
    as_of = _as_of(args)
    dataset = run.valid_dataset(out)
    if dataset is None:
        return 1
    if args.member not in dataset.members:
        raise UsageError(f"党员“{args.member}”不存在。请核对编号（见 data/members/）。")
    member = dataset.members[args.member]
    standing = next(s for s in standings(dataset, args.year, as_of, branch=member.branch)
                    if s.member.id == args.member)
    out.out(ledger(dataset, standing))
    return 0


def cmd_build(run: Run, out: Output) -> int:
    args = run.args
    dataset = run.valid_dataset(out, "生成网站（原网站保持不变）")
    if dataset is None:
        return 1
    as_of = args.as_of or _today(args)
    target = getattr(args, "out", None) or Path("site-internal" if args.internal else "site")
    try:
        result = build(dataset, as_of=as_of, out=target, internal=args.internal,
                       provenance=for_data(args.data))
    except BuildError as exc:
        out.err(str(exc))
        return 1
    if os.environ.get("JIFEN_TIMINGS"):
        out.err(" ".join(f"{k}={v}s" for k, v in result.seconds.items()))
    kind = "内部版本" if args.internal else "党务公开栏"
    out.out(f"已生成{kind}：{result.out}（数据截至 {as_of}，共 {result.pages} 个文件，"
            f"本次更新 {result.written} 个、删除 {result.removed} 个）。")
    return 0


def cmd_diff(run: Run, out: Output) -> int:
    args = run.args
    today = _today(args)
    as_of = args.as_of or today
    try:
        repo = toplevel(args.data.resolve())
        folder = os.path.relpath(args.data.resolve(), repo)
        base_files = files_at(repo, args.base, folder)
        head_files = (files_at(repo, args.head, folder) if args.head
                      else files_in_worktree(repo, folder))
    except GitError as exc:
        raise UsageError(str(exc)) from None
    revisions = []
    for name, files in ((args.base, base_files), (args.head or "工作区", head_files)):
        dataset, diagnostics, _ = check_blobs(files, folder, today=today)
        revisions.append(Revision(name, dataset, diagnostics))
    report = compare(revisions[0], revisions[1], year=int(as_of[:4]), as_of=as_of)
    if args.format == "json":
        out.out(json.dumps(diff_json(report), ensure_ascii=False, indent=2))
    else:
        out.out(diff_markdown(report))
    return 0 if report.head_valid else 1


@commands_edit.writing
def cmd_close(run: Run, out: Output) -> int:
    args = run.args
    if Quarter.parse(args.quarter) is None:
        raise UsageError(f"季度请写成 YYYY-Qn，例如 2026-Q3：{args.quarter}")
    dataset, before, files = run.check()  # under the lock (commands_edit.writing)
    if any(d.is_error for d in before):
        for d in before:
            if d.is_error:
                out.err(d.format())
        out.err(_summary(files, before) + "数据有错误，无法审定季度；请先改正。")
        return 1
    assert dataset.organization is not None
    if args.branch not in dataset.organization.branches:
        raise UsageError(f"党支部“{args.branch}”不存在。请使用 data/organization.yaml 中的编号。")
    end = quarter_bounds(args.quarter)[1]
    start, until = window(args.window_from or args.meeting, args.window_until)
    problems = []
    if args.meeting <= end:
        problems.append(f"审定日期 {args.meeting} 应在季度结束（{end}）之后。")
    if args.meeting > _today(args):
        problems.append(f"审定日期 {args.meeting} 晚于今天。")
    if start < args.meeting or until < start:
        problems.append(f"公示期 {start} 至 {until} 应从审定日期起，且结束不早于开始。")
    target = args.data / "closes" / args.branch / f"{args.quarter}.yaml"
    if any(c.branch == args.branch and c.quarter == args.quarter for c in dataset.closes):
        problems.append(f"{args.branch} 的 {args.quarter} 已经审定（{target}），不能重复审定；"
                        "如有错误，请登记更正（corrections）。")
    if problems:
        for problem in problems:
            out.err(problem)
        out.err("没有写入任何文件。")
        return 1
    text = close_text(dataset, args.branch, args.quarter, args.meeting, (start, until))
    members = text.count("  - member:")
    change = commands_edit.Change(
        texts={str(target): text}, created={str(target)},
        lines=[f"已写入 {target}：{args.quarter} 审定 {members} 名党员的积分，"
               f"公示期 {start} 至 {until}。"],
        branch=f"jifen/close-{args.branch}-{args.quarter.lower()}",
        message=f"{args.branch}: 支委会审定 {args.quarter} 积分", review="，由支部委员审核")
    return commands_edit.finish(run, out, change, before)


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
    data = args.data.resolve()
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
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    out.out(f"已写入 {target}。在平台的分支保护中开启“须经代码所有者（Code Owners）审核”后生效。")
    return 0


def cmd_serve(run: Run, out: Output) -> int:
    args = run.args
    dataset = run.valid_dataset(out, "预览")
    if dataset is None:
        return 1
    return serve(args.data, dataset, internal=args.internal, as_of=args.as_of or _today(args),
                 today=_today(args), port=args.port, cache=run.cache)


def execute(args: argparse.Namespace) -> tuple[int, Output]:
    """Run one command. When every input is unchanged since an earlier identical
    run (same data contents, options, today and code), replay that run's output."""
    if not args.data.is_dir():
        raise UsageError(f"找不到数据目录 {args.data}。请用 --data 指定数据目录。")
    cache = None if args.no_cache else Cache()
    if not (cache and getattr(args, "memo", True)) or private.consulted(args):
        # commands that write files, and runs that read the private store, always run
        output = Output()
        return args.run(Run(args, None, cache), output), output
    found = scan(args.data, cache)
    options = repr(sorted((k, str(v)) for k, v in vars(args).items()
                          if k not in ("run", "today")))

    def replayable(memo: object) -> bool:
        """(exit status, Output of text lines): anything else in the cache is a miss."""
        if not (isinstance(memo, tuple) and len(memo) == 2 and type(memo[0]) is int
                and type(memo[1]) is Output):
            return False
        lines = [getattr(memo[1], "stdout", None), getattr(memo[1], "stderr", None)]
        return all(isinstance(kept, list) and all(isinstance(t, str) for t in kept)
                   for kept in lines)

    if found.complete:
        memo = cache.get(cache.memo_key(found.digest(), options, _today(args)), replayable)
        if memo is not None:
            code, output = memo  # type: ignore[misc]
            return code, output
    output = Output()
    code = args.run(Run(args, found, cache), output)
    if found.complete:  # loading fills in the keys the scan lacked
        key = cache.memo_key(found.digest(), options, _today(args))
        cache.put(key, pickle.dumps((code, output), pickle.HIGHEST_PROTOCOL))
    return code, output


# --- jifen export: spreadsheets (.xlsx) for the office -----------------------------------------

EPILOG_EXPORT = "示例：jifen export quarter 2025-Q3 --out 2025-Q3.xlsx"
EPILOG_EXPORT_QUARTER = "示例：jifen export quarter 2025-Q3 --branch b-a --out 2025-Q3.xlsx"
EPILOG_EXPORT_YEAR = "示例：jifen export year 2025 --out 2025.xlsx"


def _xlsx(text: str) -> Path:
    if not text.lower().endswith(".xlsx"):
        raise argparse.ArgumentTypeError(f"输出文件名应以 .xlsx 结尾：{text}")
    return Path(text)


def register_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="导出电子表格（.xlsx）：季度积分公示表、年度积分运用结果",
                       description="导出供党工委办公室使用的电子表格（.xlsx）：季度积分公示表"
                       "（jifen export quarter）或年度积分及运用结果（jifen export year）。"
                       "表格只含公开栏上的内容，不含备注、依据和联系电话、身份证号码。",
                       epilog=EPILOG_EXPORT)
    kinds = p.add_subparsers(dest="what", required=True, metavar="类别")
    q = kinds.add_parser("quarter", help="季度积分公示表：每个党支部一张工作表",
                         description="导出一个季度的积分公示表：每个党支部一张工作表（或只导出"
                         "一个支部），与公开栏的季通报相同：排名、季初积分、本季变化、季末积分、"
                         "五类指标的加分与扣分和标记；已审定的季度标明支委会审定日期，未审定的标明暂定。",
                         epilog=EPILOG_EXPORT_QUARTER)
    _common(q)
    q.add_argument("quarter", metavar="YYYY-Qn", help="季度，例如 2025-Q3")
    q.add_argument("--branch", default=None, metavar="ID", help="只导出这个党支部")
    q.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="数据截至这一天（默认：今天）；季度结束后的数据不计入")
    q.add_argument("--out", type=_xlsx, required=True, metavar="FILE.xlsx", help="输出文件")
    q.set_defaults(run=cmd_export_quarter, memo=False)
    y = kinds.add_parser("year", help="年度积分和积分运用结果（优秀党员候选、取消预备党员资格……）",
                         description="导出一个年度的积分结果：全体人员的年度积分和标记（按党支部、"
                         "积分排列），以及办法第四部分第（三）项的名单：优秀党员候选、取消预备党员资格、"
                         "不列为发展对象、暂缓转入，各一张工作表。年度结束后才能导出。",
                         epilog=EPILOG_EXPORT_YEAR)
    _common(y)
    y.add_argument("year", type=int, metavar="YYYY", help="积分年度，例如 2025")
    y.add_argument("--out", type=_xlsx, required=True, metavar="FILE.xlsx", help="输出文件")
    y.set_defaults(run=cmd_export_year, memo=False)


def cmd_export_quarter(run: Run, out: Output) -> int:
    args = run.args
    q = Quarter.parse(args.quarter)
    if q is None:
        raise UsageError(f"季度请写成 YYYY-Qn，例如 2025-Q3：{args.quarter}")
    as_of = args.as_of or _today(args)
    if q.start > as_of:
        raise UsageError(f"{q.code} 在 {as_of} 还没有开始，没有可导出的积分。")
    dataset = run.valid_dataset(out, "导出")
    if dataset is None:
        return 1
    assert dataset.organization is not None
    if args.branch and args.branch not in dataset.organization.branches:
        raise UsageError(f"党支部“{args.branch}”不存在。请使用 data/organization.yaml 中的编号。")
    write_file(args.out, export.quarter_workbook(dataset, q, as_of, args.branch))
    sheets = 1 if args.branch else len(dataset.organization.branches)
    out.out(f"已导出 {args.out}：{q.name}积分公示表（{sheets} 个党支部，数据截至 "
            f"{min(as_of, q.end)}）。内部材料，请勿公开转发。")
    return 0


def cmd_export_year(run: Run, out: Output) -> int:
    args = run.args
    today = _today(args)
    if not 1900 <= args.year <= 9999:
        raise UsageError(f"积分年度应写成四位数字，例如 2025：{args.year}")
    if f"{args.year}-12-31" > today:
        raise UsageError(f"{args.year} 年度尚未结束（今天是 {today}），年度积分运用结果在 "
                         f"{args.year}-12-31 之后才能导出。季度积分请用 jifen export quarter。")
    dataset = run.valid_dataset(out, "导出")
    if dataset is None:
        return 1
    write_file(args.out, export.year_workbook(dataset, args.year))
    out.out(f"已导出 {args.out}：{args.year} 年度积分和积分运用结果。内部材料，请勿公开转发。")
    return 0

# --- end of jifen export -----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code, output = execute(args)
        sys.stdout.writelines(output.stdout)
        sys.stderr.writelines(output.stderr)
        return code
    except UsageError as exc:
        print(f"jifen: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:  # Ctrl-C: the worker processes are already stopped
        print("jifen: 已中断，没有写入任何文件。", file=sys.stderr)
        return 130
