"""Plain-text reports for the terminal: aligned tables that respect the width of
Chinese characters."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence, Set

from generator.model import CATEGORY_NAMES, STATUS_NAMES, Dataset
from generator.score import FLAG_NAMES, Standing


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Set[int] = frozenset()
          ) -> str:
    """Columns padded to the widest cell; columns in ``right`` are right-aligned."""
    widths = [max(width(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = []
    for row in (header, *rows):
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - width(cell))
            cells.append(pad + cell if i in right else cell + pad)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def flags_text(flags: Sequence[str]) -> str:
    return "、".join(FLAG_NAMES[f] for f in flags)


def signed(points: int) -> str:
    return f"{points:+d}"


def score_table(ds: Dataset, rows: list[Standing], year: int, as_of: str) -> str:
    branches = ds.organization.branches if ds.organization else {}
    body = [
        [s.member.id, s.member.name,
         branches[s.branch].name if s.branch in branches else s.branch,
         CATEGORY_NAMES[s.category], "—" if s.score is None else str(s.score),
         flags_text(s.flags)]
        for s in rows
    ]
    head = f"{year} 年度积分（截至 {as_of}），共 {len(rows)} 人"
    return head + "\n\n" + table(["编号", "姓名", "党支部", "类别", "积分", "标记"], body, {4})


def ledger(ds: Dataset, standing: Standing) -> str:
    member = standing.member
    branches = ds.organization.branches if ds.organization else {}
    ident = standing.branch or member.branch  # the branch and category of that year
    branch = branches[ident].name if ident in branches else ident
    lines = [f"{member.name}（{member.id}）  {branch}  "
             f"{CATEGORY_NAMES[standing.category or member.category]}",
             f"{standing.year} 年度积分明细（截至 {min(standing.as_of, f'{standing.year}-12-31')}）",
             ""]
    rows = [["", "", "", "基础分", "", str(ds.policy.base)]]
    previous = ds.policy.base
    cancelled = {e.corrects: e.date for e in standing.entries if e.corrects}
    for e in standing.entries:
        item = e.name + (f" · {e.detail}" if e.detail else "")
        if e.corrects and e.detail:  # an attendance correction
            item = f"更正考勤 {e.corrects}：{e.detail}"
        elif e.corrects:
            item = f"更正：撤销 {e.corrects}（{e.name}）"
        elif e.ref in cancelled:
            item += f"（已于 {cancelled[e.ref]} 更正）"
        if e.balance != previous + e.points:
            item += "（保底）" if e.balance == ds.policy.floor else "（封顶）"
        rows.append([e.date, e.ref, e.rule, item, signed(e.points), str(e.balance)])
        previous = e.balance
    lines.append(table(["日期", "编号", "规则", "事项", "分值", "余额"], rows, {4, 5}))
    lines.append("")
    score = "—（暂不列入积分制管理）" if standing.score is None else str(standing.score)
    lines.append(f"年度积分：{score}" + (f"    标记：{flags_text(standing.flags)}"
                                        if standing.flags else ""))
    if standing.pending:
        lines += ["", "待审定的加分（尚未计分）："]
        pend = []
        for waiting in standing.pending:
            rule = ds.rule_for(member, waiting.rule, waiting.date)
            points = waiting.points if waiting.points is not None else (
                rule.points if rule else None)
            pend.append([waiting.date, waiting.id, waiting.rule,
                         "" if points is None else signed(points),
                         STATUS_NAMES[waiting.status or "declared"]])
        lines.append(table(["日期", "编号", "规则", "分值", "状态"], pend, {3}))
    return "\n".join(lines)
