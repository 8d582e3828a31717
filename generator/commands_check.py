"""Commands that read the data and say what it holds: ``jifen validate``, ``score``,
``explain``. None of them writes anything."""

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
from generator.report import ledger, score_table
from generator.score import standings

EPILOG_VALIDATE = "示例：jifen validate --data data --strict"
EPILOG_SCORE = "示例：jifen score --year 2025 --branch b-a"
EPILOG_EXPLAIN = "示例：jifen explain m01 --year 2025（姓名也可以：jifen explain 张一）"
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


def _known(args: argparse.Namespace, run: Run, as_of: str) -> str:
    """How far the year is scored: ``--as-of`` as given; by default the year's total as
    known today, with the corrections of it dated in the next January."""
    return as_of if args.as_of else year_final(args.year, run.today)


def cmd_validate(run: Run, out: Output) -> int:
    args = run.args
    dataset, diagnostics, files = run.check()
    # the private store (phone and ID numbers), when there is one or --private names one
    found, read = private.check_private(args.private, dataset, run.data, today=run.today)
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
        out.out(summary(files, diagnostics))
    return 1 if failed else 0


def cmd_score(run: Run, out: Output) -> int:
    args = run.args
    as_of = year_as_of(args)
    dataset = run.valid_dataset(out)
    if dataset is None:
        return 1
    known_branch(dataset, args.branch)
    rows = standings(dataset, args.year, _known(args, run, as_of), branch=args.branch,
                     ledgers=False)
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
