"""Files for the committee's office: ``jifen export quarter|year`` (spreadsheets,
.xlsx), ``jifen form laggard`` (the filled 《后进党员评定呈报表》, 附件3, .docx) and
``jifen handbook`` (the members' 《考评手册》, .docx).

Each file is written in one rename (``documents.write_file``) once everything it holds
has been worked out: a failure leaves what was there."""

from __future__ import annotations

from pathlib import Path

from generator import export
from generator.documents import write_file
from generator.exceptions import UsageError
from generator.form import form_fields, laggard_docx
from generator.handbook import SIZES, handbook, handbook_docx
from generator.options import (
    Commands,
    Output,
    Run,
    add_as_of,
    add_branch,
    add_private,
    add_year,
    command,
    kinds,
    known_branch,
    member_id,
    xlsx,
)
from generator.periods import Quarter, year_end, year_start
from generator.private import require_private
from generator.tables import ScoreBook

EPILOG_EXPORT = "示例：jifen export quarter 2025-Q3 --out 2025-Q3.xlsx"
EPILOG_EXPORT_QUARTER = "示例：jifen export quarter 2025-Q3 --branch b-a --out 2025-Q3.xlsx"
EPILOG_EXPORT_YEAR = "示例：jifen export year 2025 --out 2025.xlsx"
EPILOG_FORM = "示例：jifen form laggard case-b-a-2026-01 --out 呈报表.docx"
EPILOG_HANDBOOK = ("示例：jifen handbook 周丽萍 --year 2025 --out 考评手册.docx；"
                   "jifen handbook --branch b-xinyuan --year 2025 --out 手册/")


def register(commands: Commands) -> None:
    p = command(commands, "export", None,
                help="导出电子表格（.xlsx）：季度积分公示表、年度积分运用结果",
                description="导出供党工委办公室使用的电子表格（.xlsx）：季度积分公示表"
                "（jifen export quarter）或年度积分及运用结果（jifen export year）。"
                "表格只含公开栏上的内容，不含备注、依据和联系电话、身份证号码。",
                epilog=EPILOG_EXPORT)
    what = kinds(p)
    q = command(what, "quarter", cmd_export_quarter,
                help="季度积分公示表：每个党支部一张工作表",
                description="导出一个季度的积分公示表：每个党支部一张工作表（或只导出"
                "一个支部），与公开栏的季通报相同：排名、季初积分、本季变化、季末积分、"
                "五类指标的加分与扣分和标记；已审定的季度标明支委会审定日期，未审定的标明暂定。",
                epilog=EPILOG_EXPORT_QUARTER, memo=False)
    q.add_argument("quarter", metavar="YYYY-Qn", help="季度，例如 2025-Q3")
    add_branch(q, "只导出这个党支部")
    add_as_of(q, note="；季度结束后的数据不计入")
    q.add_argument("--out", type=xlsx, required=True, metavar="FILE.xlsx", help="输出文件")
    y = command(what, "year", cmd_export_year,
                help="年度积分和积分运用结果（优秀党员候选、取消预备党员资格……）",
                description="导出一个年度的积分结果：全体人员的年度积分和标记（按党支部、"
                "积分排列），以及办法第四部分第（三）项的名单：优秀党员候选、取消预备党员资格、"
                "不列为发展对象、暂缓转入，各一张工作表。年度结束后才能导出。",
                epilog=EPILOG_EXPORT_YEAR, memo=False)
    y.add_argument("year", type=int, metavar="YYYY", help="积分年度，例如 2025")
    y.add_argument("--out", type=xlsx, required=True, metavar="FILE.xlsx", help="输出文件")

    p = command(commands, "form", cmd_form, help="生成《后进党员评定呈报表》（Word 文件，内部使用）",
                description="按附件3生成已填写的《后进党员评定呈报表》（.docx，A4）："
                "党员基本情况、主要表现（扣分）、党支部和党工委意见、应到实到支委人数。"
                "联系电话和身份证号码取自本机的私密信息文件，文件只供内部使用。",
                epilog=EPILOG_FORM, memo=False)
    p.add_argument("kind", choices=("laggard",), help="表格：laggard 后进党员评定呈报表")
    p.add_argument("case", metavar="CASE", help="处置案件编号（data/cases/ 中的 id）")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.docx", help="输出文件")
    add_private(p)

    p = command(commands, "handbook", cmd_handbook,
                help="生成《党员积分制动态量化考评手册》（Word 文件，供打印）",
                description="生成党员的《考评手册》（.docx）：封面（党工委、党支部、姓名、类别、年度）、"
                "积分标准摘要、每月一节（当月已登记的事项、分值和余额，空行供本人申报，党支部每月核实"
                "签名栏）和年度小结。给出一名党员（编号或姓名）写一个文件，或用 --branch 给该党支部"
                "每名党员各写一个文件到 --out 文件夹。不含备注、依据、联系电话和身份证号码。",
                epilog=EPILOG_HANDBOOK, memo=False)
    p.add_argument("member", metavar="MEMBER", nargs="?", default=None,
                   help="党员编号或姓名（与 --branch 二选一）")
    add_branch(p, "该党支部的每名党员各生成一本（--out 为文件夹）")
    add_year(p)
    add_as_of(p, "已登记的事项截至这一天", "年度最后一天或今天，取较早者")
    p.add_argument("--size", choices=SIZES, default="A5", help="纸张：A5（默认，小册子）或 A4")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.docx|DIR",
                   help="输出文件（一名党员）或文件夹（--branch）")


def cmd_export_quarter(run: Run, out: Output) -> int:
    args = run.args
    q = Quarter.parse(args.quarter)
    if q is None:
        raise UsageError(f"季度请写成 YYYY-Qn，例如 2025-Q3：{args.quarter}")
    as_of = args.as_of or run.today
    if q.start > as_of:
        raise UsageError(f"{q.code} 在 {as_of} 还没有开始，没有可导出的积分。")
    dataset = run.valid_dataset(out, "导出")
    if dataset is None:
        return 1
    assert dataset.organization is not None
    known_branch(dataset, args.branch)
    write_file(args.out, export.quarter_workbook(dataset, q, as_of, args.branch))
    sheets = 1 if args.branch else len(dataset.organization.branches)
    out.out(f"已导出 {args.out}：{q.name}积分公示表（{sheets} 个党支部，数据截至 "
            f"{min(as_of, q.end)}）。内部材料，请勿公开转发。")
    return 0


def cmd_export_year(run: Run, out: Output) -> int:
    args = run.args
    today = run.today
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


def cmd_handbook(run: Run, out: Output) -> int:
    args = run.args
    if (args.member is None) == (args.branch is None):
        raise UsageError("请给出一名党员（编号或姓名），或用 --branch 给出一个党支部，二者选一。")
    if args.member is not None and args.out.suffix.lower() != ".docx":
        raise UsageError(f"输出文件应以 .docx 结尾：{args.out}")
    dataset = run.valid_dataset(out, "生成考评手册")
    if dataset is None:
        return 1
    as_of = min(args.as_of or run.today, year_end(args.year))
    if year_start(args.year) > as_of:
        raise UsageError(f"{args.year} 年度在 {as_of} 还没有开始。")
    if args.member is not None:
        who = member_id(dataset, args.member)
        if who is None:
            raise UsageError(f"党员“{args.member}”不存在。请核对编号或姓名（见 data/members/）。")
        members = [dataset.members[who]]
        targets = [args.out]
    else:
        known_branch(dataset, args.branch)
        members = [m for m in ScoreBook(dataset, as_of).members_at(args.branch, as_of)]
        targets = [args.out / f"{args.year}-{m.id}-{m.name}.docx" for m in members]
    for member, target in zip(members, targets, strict=True):
        write_file(target, handbook_docx(handbook(dataset, member, args.year, as_of),
                                         size=args.size))
    where = str(args.out) if args.member is not None else f"{args.out}（{len(members)} 本）"
    out.out(f"已生成 {where}：{args.year} 年度《考评手册》，{args.size} 纸，已登记的事项截至 {as_of}。"
            "由党员自行保管，月度集中考评时交党支部核实登记。")
    return 0


def cmd_form(run: Run, out: Output) -> int:
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
    store = require_private(args.private, dataset, data_dir=run.data, today=run.today)
    if isinstance(store, list):
        return out.fail([d.format() for d in store],
                        "呈报表需要联系电话和身份证号码，没有生成文件。")
    person = store.get(case.member)
    if person is None:
        out.err(f"私密信息文件 {store.path} 中没有 {case.member}（{dataset.members[case.member].name}）"
                "的联系电话和身份证号码。请补上后重试，没有生成文件。")
        return 1
    fields = form_fields(dataset, case, (person.phone, person.id_number))
    created = case.branch_decision.date if case.branch_decision else run.today
    write_file(args.out, laggard_docx(fields, created=created))
    out.out(f"已生成 {args.out}：{fields.name} 的《后进党员评定呈报表》（A4，一式两份：支部留存一份，"
            "上报工委一份）。文件含联系电话和身份证号码，只供内部使用，不要提交到 Git 或公开。")
    return 0
