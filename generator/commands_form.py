"""``jifen form laggard CASE --out FILE.docx``: the filled 《后进党员评定呈报表》 (附件3)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.cli import Output, Run

EPILOG_FORM = "示例：jifen form laggard case-b-a-2026-01 --out 呈报表.docx"


def register(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]
             ) -> None:
    from generator.private import add_option

    p = sub.add_parser("form", help="生成《后进党员评定呈报表》（Word 文件，内部使用）",
                       description="按附件3生成已填写的《后进党员评定呈报表》（.docx，A4）："
                       "党员基本情况、主要表现（扣分）、党支部和党工委意见、应到实到支委人数。"
                       "联系电话和身份证号码取自本机的私密信息文件，文件只供内部使用。",
                       epilog=EPILOG_FORM)
    common(p)
    p.add_argument("kind", choices=("laggard",), help="表格：laggard 后进党员评定呈报表")
    p.add_argument("case", metavar="CASE", help="处置案件编号（data/cases/ 中的 id）")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.docx", help="输出文件")
    add_option(p)
    p.set_defaults(run=cmd_form, memo=False)


def cmd_form(run: Run, out: Output) -> int:
    from generator.cli import _today
    from generator.documents import write_file
    from generator.exceptions import UsageError
    from generator.form import form_fields, laggard_docx
    from generator.private import require_private

    args = run.args
    if args.out.suffix.lower() != ".docx":
        raise UsageError(f"输出文件应以 .docx 结尾：{args.out}")
    dataset = run.valid_dataset(out, "生成呈报表")
    if dataset is None:
        return 1
    case = next((c for c in dataset.cases if c.id == args.case), None)
    if case is None:
        known = "、".join(sorted(c.id for c in dataset.cases)) or "（目前没有案件）"
        raise UsageError(f"处置案件“{args.case}”不存在。已有的案件：{known}")
    if case.branch_decision is None and not case.direct:
        out.err(f"案件“{case.id}”尚未登记党支部初定（branch_decision）：呈报表由党支部初定后填报。")
        return 1
    store = require_private(args.private, dataset, data_dir=args.data, today=_today(args))
    if isinstance(store, list):
        for d in store:
            out.err(d.format())
        out.err("呈报表需要联系电话和身份证号码，没有生成文件。")
        return 1
    person = store.get(case.member)
    if person is None:
        out.err(f"私密信息文件 {store.path} 中没有 {case.member}（{dataset.members[case.member].name}）"
                "的联系电话和身份证号码。请补上后重试，没有生成文件。")
        return 1
    fields = form_fields(dataset, case, (person.phone, person.id_number))
    created = (case.branch_decision.date if case.branch_decision else _today(args))
    write_file(args.out, laggard_docx(fields, created=created))
    out.out(f"已生成 {args.out}：{fields.name} 的《后进党员评定呈报表》（A4，一式两份：支部留存一份，"
            "上报工委一份）。文件含联系电话和身份证号码，只供内部使用，不要提交到 Git 或公开。")
    return 0
