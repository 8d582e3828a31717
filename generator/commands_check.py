"""Commands that read the data and say what it holds: ``jifen validate``, ``score``,
``explain``, ``supervise``. None of them writes anything."""

from __future__ import annotations

import argparse
import json

from generator import private
from generator.errors import Diagnostic
from generator.exceptions import UsageError
from generator.options import (
    Commands,
    Output,
    Run,
    add_as_of,
    add_branch,
    add_format,
    add_private,
    add_year,
    command,
    known_branch,
    member_id,
    summary,
    year_as_of,
)
from generator.periods import year_final
from generator.report import ledger, score_table, table
from generator.score import standings
from generator.supervise import KINDS as GAP_NAMES
from generator.supervise import Finding, Report, Summary, supervise

EPILOG_VALIDATE = "示例：jifen validate --data data --strict"
EPILOG_SCORE = "示例：jifen score --year 2025 --branch b-a"
EPILOG_EXPLAIN = "示例：jifen explain m01 --year 2025（姓名也可以：jifen explain 张一）"
EPILOG_SUPERVISE = "示例：jifen supervise --as-of 2026-11-30 --format json"
YEAR_AS_OF = {"meaning": "计算到这一天", "default": "年度最后一天或今天，取较早者"}


def register(commands: Commands) -> None:
    p = command(commands, "validate", cmd_validate,
                help="校验全部数据，列出每个错误的文件、行号和改法",
                description="校验全部数据，列出每个错误的文件、行号和改法。",
                epilog=EPILOG_VALIDATE)
    p.add_argument("--strict", action="store_true", help="有警告也以失败退出")
    add_format(p, "text", "json")
    add_private(p)

    p = command(commands, "score", cmd_score, help="计算每名党员的年度积分和相应标记",
                description="计算每名党员的年度积分和相应标记。", epilog=EPILOG_SCORE)
    add_year(p)
    add_as_of(p, **YEAR_AS_OF)
    add_branch(p, "只看这个党支部")
    add_format(p, "table", "json")

    p = command(commands, "explain", cmd_explain, help="逐条列出一名党员的积分明细和余额",
                description="逐条列出一名党员的积分明细和余额，便于与考评手册核对。",
                epilog=EPILOG_EXPLAIN)
    p.add_argument("member", metavar="MEMBER", help="党员编号或姓名")
    add_year(p, required=False)
    add_as_of(p, **YEAR_AS_OF)

    p = command(commands, "supervise", cmd_supervise,
                help="督导检查：列出各党支部的登记、会议、季度审定等工作哪里没有按时完成",
                description="督导检查（党工委办公室）：按党支部列出已经到期而没有完成的工作，"
                "每项写明是什么、哪个月或哪个季度、何时到期：当月没有主题党日或没有任何登记、"
                "季度结束后没有按期审定、公示期不足、加分申报超期未审定、后进党员处置逾期、"
                "没有指定登记专人；最后是各支部的汇总，可用于年度目标责任制考核。",
                epilog=EPILOG_SUPERVISE)
    add_as_of(p, "检查到这一天")
    add_branch(p, "只看这个党支部")
    add_format(p, "table", "json")


def _known(args: argparse.Namespace, run: Run, as_of: str) -> str:
    """How far the year is scored: ``--as-of`` as given; by default the year's total as
    known today, with the corrections of it dated in the next January."""
    return as_of if args.as_of else year_final(args.year, run.today)


def cmd_validate(run: Run, out: Output) -> int:
    args = run.args
    if private.consulted(args):
        # the private store (phone and ID numbers), when there is one or --private names
        # one: its member ids are checked against the whole data set
        dataset, diagnostics, files = run.check()
        found, read = private.check_private(args.private, dataset, run.data, today=run.today)
        diagnostics = sorted(diagnostics + found, key=Diagnostic.sort_key)
        files += read
    else:
        outcome = run.checked()
        diagnostics, files = outcome.diagnostics, outcome.files
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
        out.out(summary(files, diagnostics))
    return 1 if failed else 0


def cmd_score(run: Run, out: Output) -> int:
    args = run.args
    as_of = year_as_of(args)
    outcome = run.valid_outcome(out, (args.year, _known(args, run, as_of)))
    if outcome is None:
        return 1
    dataset = outcome.context  # the organisation's branches
    known_branch(dataset, args.branch)
    assert outcome.standings is not None
    rows = [s for s in outcome.standings if args.branch in (None, s.branch)]
    if args.format == "json":
        out.out(json.dumps({"year": args.year, "as_of": as_of,
                            "members": [s.as_json() for s in rows]},
                           ensure_ascii=False, indent=2))
    else:
        out.out(score_table(dataset, rows, args.year, as_of))
    return 0


def cmd_explain(run: Run, out: Output) -> int:
    args = run.args
    as_of = year_as_of(args)
    dataset = run.valid_dataset(out)
    if dataset is None:
        return 1
    who = member_id(dataset, args.member)  # a name several members share: exit 2
    if who is None:
        raise UsageError(f"党员“{args.member}”不存在。请核对编号或姓名（见 data/members/）。")
    member = dataset.members[who]
    standing = standings(dataset, args.year, _known(args, run, as_of), only=[member.id])[0]
    out.out(ledger(dataset, standing))
    return 0


def cmd_supervise(run: Run, out: Output) -> int:
    args = run.args
    as_of = args.as_of or run.today
    dataset = run.valid_dataset(out, "督导检查")
    if dataset is None:
        return 1
    known_branch(dataset, args.branch)
    report = supervise(dataset, as_of, close_within_days=dataset.policy.close_within_days)
    findings = [f for f in report.findings if args.branch in (None, f.branch)]
    summaries = [s for s in report.summaries if args.branch in (None, s.branch)]
    if args.format == "json":
        out.out(json.dumps({"as_of": as_of, "findings": [f.as_json() for f in findings],
                            "branches": [{"branch": s.branch, "name": s.name, "months": s.months,
                                          "gaps": s.counts, "total": s.total}
                                         for s in summaries]},
                           ensure_ascii=False, indent=2))
        return 0
    out.out(_supervision_text(report, findings, summaries))
    return 0


def _supervision_text(report: Report, findings: list[Finding], summaries: list[Summary]) -> str:
    names = {s.branch: s.name for s in report.summaries}
    lines = [f"督导检查（截至 {report.as_of}）", ""]
    if findings:
        lines.append(table(["党支部", "问题", "期间", "到期", "情况"],
                           [[names[f.branch], GAP_NAMES[f.kind], f.period, f.due, f.detail]
                            for f in findings]))
    else:
        lines.append("没有到期未完成的工作。")
    lines += ["", "各党支部汇总：", ""]
    kinds = list(GAP_NAMES)
    lines.append(table(["党支部", "检查月数", *[GAP_NAMES[k] for k in kinds], "合计"],
                       [[s.name, str(s.months), *[str(s.counts.get(k, 0)) for k in kinds],
                         str(s.total)] for s in summaries], set(range(1, len(kinds) + 2))))
    return "\n".join(lines)
