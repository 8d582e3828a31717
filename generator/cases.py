"""Laggard cases (后进党员教育处置程序, 附件2): one file per case, the seven steps.

A case follows a member whose quarterly score fell below the line through
亮分通报 → 党支部初定 → 党工委审评 (党总支预审 first where there is one) →
关系转出 → 限期整改 → 党支部决议 → 党工委审批. Validation checks the order of
the steps and their dates, what each step must say, the mentors, and that the
member's record moved to the 党性教育党支部 while the relation is transferred
(and back once returned); warnings flag missing monthly reports and deadlines
passed. While transferred, the member belongs to the education branch: a
record dated in that span belongs there, one dated before it to the branch
that reported the member (``branch_on``).

Nothing of a case reaches the public site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from generator.closes import quarter_end_scores
from generator.errors import Diagnostic, diag
from generator.model import CATEGORY_NAMES, Case, Dataset, Member
from generator.periods import add_months, month_end, quarter_bounds, real_date
from generator.score import standings

EXTENSION_MONTHS = 3  # 延长三个月整改期
APPROVAL_WARN_DAYS = 30  # a resolution awaiting the 党工委's reply this long is flagged
HELP_NAMES = {1: "①不参加组织生活", 2: "②拒不执行任务、阻扰中心工作", 3: "③越级上访、无理信访",
              4: "④参与邪教和封建迷信"}
DISPOSAL_NAMES = {"persuade_withdraw": "劝其退党", "expel": "除名"}
STEP_NAMES = {"announcement": "第1步 亮分通报", "branch_decision": "第2步 党支部初定",
              "general_review": "第3步 党总支预审", "committee_review": "第3步 党工委审评",
              "transfer": "第4步 关系转出", "rectification": "第5步 限期整改",
              "resolutions": "第6步 党支部决议", "approval": "第7步 党工委审批"}


def deadline(case: Case) -> str | None:
    """When the rectification (with its extension, once granted) ends."""
    rect = case.rectification
    if rect is None or not real_date(rect.start):
        return None
    end = add_months(rect.start, rect.months)
    if case.resolutions and case.resolutions[0].outcome == "not_improved":
        end = add_months(end, EXTENSION_MONTHS)
    return end


def due_reports(case: Case, today: str) -> list[str]:
    """The months (YYYY-MM) whose report is due by ``today``: every month of the
    rectification that has ended, up to its last resolution."""
    rect = case.rectification
    end = deadline(case)
    if rect is None or end is None:
        return []
    finished = bool(case.resolutions) and (case.resolutions[-1].outcome == "improved"
                                           or len(case.resolutions) == 2)
    stop = min(today, end, case.resolutions[-1].date if finished else end)
    months: list[str] = []
    year, month = int(rect.start[:4]), int(rect.start[5:7])
    while True:
        last = month_end(year, month)
        if last >= stop:
            break
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass(frozen=True)
class Stage:
    """Where a case stands, for lists and alerts."""

    step: str  # the last step recorded (a key of STEP_NAMES) or ""
    closed: bool
    outcome: str  # 结论, when closed


def stage(case: Case) -> Stage:
    review = case.committee_review
    if review is not None and not review.confirmed:
        return Stage("committee_review", True, "党工委不予认定为后进党员")
    if case.approval is not None:
        final = case.resolutions[-1] if case.resolutions else None
        if final is not None and final.outcome == "improved":
            outcome = "整改合格，组织关系转回原党支部"
        elif final is not None and final.disposal:
            outcome = f"确定为不合格党员，{DISPOSAL_NAMES[final.disposal]}"
        else:
            outcome = "已批复"
        return Stage("approval", True, outcome)
    for key in ("resolutions", "rectification", "transfer", "committee_review",
                "general_review", "branch_decision", "announcement"):
        if getattr(case, key):
            return Stage(key, False, "")
    return Stage("", False, "")


# --- validation -------------------------------------------------------------------------------

def check_cases(ds: Dataset, today: str) -> Iterator[Diagnostic]:
    """Each case on its own: references, dates, the order of the steps, what each says."""
    org = ds.organization
    branches = org.branches if org else {}
    seen: dict[str, str] = {}
    for case in sorted(ds.cases, key=lambda c: (c.path, c.id)):
        if case.id in seen:
            yield diag("E301", case.path, ("id",), id=case.id, other=seen[case.id],
                       kind="案件")
            continue
        seen[case.id] = case.path
        member = ds.members.get(case.member)
        if member is None:
            if case.member not in ds.files.broken_ids("member"):
                yield diag("E303", case.path, ("member",), id=case.member)
            continue
        if case.branch not in branches:
            if org is not None and case.branch not in ds.files.broken_ids("branch"):
                yield diag("E302", case.path, ("branch",), id=case.branch)
            continue
        dated = list(_dates(case))
        bad = False
        for pointer, value in (*dated, *_later_dates(case)):
            if not real_date(value):
                yield diag("E206", case.path, pointer, value=value)
                bad = True
            elif value > today:
                yield diag("E501", case.path, pointer, date=value, today=today)
                bad = True
        yield from _order(case, branches[case.branch].general_branch is not None)
        if bad:
            continue
        yield from _sequence(dated, case)
        yield from _steps(ds, case, member)
        if case.direct:
            start, end = quarter_bounds(case.quarter)
            if not any(e.member == case.member and e.path in ds.files.direct
                       and e.status != "void" and f"{start[:4]}-01-01" <= e.date <= end
                       for e in ds.events):
                yield diag("E712", case.path, ("direct",), id=case.id, member=case.member,
                           quarter=case.quarter)
        yield from _rectification_and_review(case)
        yield from _warnings(case, today)


def _dates(case: Case) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every date of a case with its pointer, in the order of the procedure."""
    a = case.announcement
    if a is not None:
        if a.date is not None:
            yield ("announcement", "date"), a.date
        if a.approved_on is not None:
            yield ("announcement", "approved_on"), a.approved_on
    for key in ("branch_decision", "general_review", "committee_review", "transfer"):
        step = getattr(case, key)
        if step is not None:
            yield (key, "date"), step.date
    rect = case.rectification
    if rect is not None:
        yield ("rectification", "start"), rect.start
    for i, r in enumerate(case.resolutions):
        yield ("resolutions", i, "date"), r.date
    if case.approval is not None:
        yield ("approval", "date"), case.approval.date
        if case.approval.returned_on is not None:
            yield ("approval", "returned_on"), case.approval.returned_on


def _later_dates(case: Case) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """The dates inside steps 5 and 6: monthly reports and their 考评 meetings, the
    application for 转化合格, the education branch's reviews."""
    rect = case.rectification
    if rect is not None:
        for i, r in enumerate(rect.reports):
            yield ("rectification", "reports", i, "date"), r.date
            if r.evaluation_meeting is not None:
                yield ("rectification", "reports", i, "evaluation_meeting"), r.evaluation_meeting
        if rect.application is not None:
            yield ("rectification", "application", "date"), rect.application.date
    for i, res in enumerate(case.resolutions):
        if res.education_review is not None:
            yield ("resolutions", i, "education_review", "date"), res.education_review.date


def _rectification_and_review(case: Case) -> Iterator[Diagnostic]:
    """Steps 5 and 6 in their order: a month's 考评 meeting in that month; the application
    for 转化合格 after the period ends; the education branch's review after the
    application and not after the 党员大会 it prepares."""
    rect = case.rectification
    if rect is None:
        return
    for i, r in enumerate(rect.reports):
        if r.evaluation_meeting is not None and r.evaluation_meeting[:7] != r.month:
            yield diag("E711", case.path, ("rectification", "reports", i, "evaluation_meeting"),
                       problem=f"{r.month} 的闪光言行考评组织生活会应在当月召开，这里是 "
                               f"{r.evaluation_meeting}。")
    end = add_months(rect.start, rect.months)
    applied = rect.application.date if rect.application else None
    if applied is not None and applied < end:
        yield diag("E711", case.path, ("rectification", "application", "date"),
                   problem=f"转化合格的申请在整改期满（{end}）后提出，这里是 {applied}。")
    for i, res in enumerate(case.resolutions):
        review = res.education_review
        if review is None:
            continue
        if review.date > res.date:
            yield diag("E711", case.path, ("resolutions", i, "education_review", "date"),
                       problem=f"党性教育党支部的审核（{review.date}）应在党员大会评定（{res.date}）"
                               "之前。")
        elif i == 0 and applied is not None and review.date < applied:
            yield diag("E711", case.path, ("resolutions", 0, "education_review", "date"),
                       problem=f"党性教育党支部的审核（{review.date}）应在本人提出转化合格的申请"
                               f"（{applied}）之后。")


def _order(case: Case, has_general_branch: bool) -> Iterator[Diagnostic]:
    """Each step needs the ones before it; a case the 党工委 did not confirm ends there."""
    required = ["announcement"]
    if not case.direct:
        required += ["branch_decision"] + (["general_review"] if has_general_branch else []) \
            + ["committee_review"]
    required += ["transfer", "rectification", "resolutions", "approval"]
    review = case.committee_review
    ended = review is not None and not review.confirmed
    reported = False
    for i, key in enumerate(required):
        if not getattr(case, key):
            continue
        missing = [k for k in required[:i] if not getattr(case, k)]
        if missing and not reported:
            yield diag("E701", case.path, (key,), id=case.id, missing=STEP_NAMES[missing[0]],
                       step=STEP_NAMES[key])
            reported = True  # the later steps are out of order for the same reason
        if ended and required.index(key) > required.index("committee_review"):
            yield diag("E703", case.path, (key,), problem=(
                f"党工委不予认定为后进党员，案件已结束，不能再登记{STEP_NAMES[key]}。"))
    if case.direct and (case.branch_decision or case.committee_review):
        yield diag("E703", case.path, ("direct",), problem=(
            "党工委直接认定的后进党员（direct: true）不经过党支部初定和党工委审评，"
            "请删除 branch_decision、committee_review，或删除 direct。"))
    a = case.announcement
    if a is not None:
        if a.skipped and not (a.approved_on and a.reason):
            yield diag("E703", case.path, ("announcement",), problem=(
                "不进行亮分通报须经党工委批准：请填写 approved_on（批准日期）和 reason（原因）。"))
        elif not a.skipped and a.date is None:
            yield diag("E703", case.path, ("announcement",), problem=(
                "亮分通报须填写 date（专题组织生活会日期）；经党工委批准不进行的，"
                "填写 skipped: true、approved_on 和 reason。"))


def _sequence(dated: list[tuple[tuple[str | int, ...], str]], case: Case
              ) -> Iterator[Diagnostic]:
    previous: tuple[tuple[str | int, ...], str] | None = None
    for pointer, value in dated:
        if pointer == ("announcement", "approved_on"):
            continue  # the permission to skip may come at any time before the next step
        if previous is not None and value < previous[1]:
            yield diag("E702", case.path, pointer, id=case.id, step=_step_name(pointer),
                       date=value, earlier=_step_name(previous[0]), earlier_date=previous[1])
        previous = (pointer, value)


def _step_name(pointer: tuple[str | int, ...]) -> str:
    name = STEP_NAMES[str(pointer[0])]
    if pointer[0] == "resolutions":
        return f"{name}（第{int(pointer[1]) + 1}次）"
    if pointer[-1] == "returned_on":
        return "组织关系转回"
    return name


def _steps(ds: Dataset, case: Case, member: Member) -> Iterator[Diagnostic]:
    org = ds.organization
    branches = org.branches if org else {}
    d = case.branch_decision
    if d is not None and (d.present > d.expected or d.present * 2 <= d.expected):
        yield diag("E704", case.path, ("branch_decision", "present"), expected=d.expected,
                   present=d.present)
    t = case.transfer
    if t is not None:
        target = branches.get(t.to)
        if target is None:
            if t.to not in ds.files.broken_ids("branch"):
                yield diag("E302", case.path, ("transfer", "to"), id=t.to)
        elif target.kind != "education":
            yield diag("E706", case.path, ("transfer", "to"), id=t.to)
        back = case.approval.returned_on if case.approval else None
        expected = case.branch if back is not None else t.to
        if member.branch != expected and target is not None and target.kind == "education":
            where = "已转回原党支部" if back is not None else "在党性教育党支部"
            yield diag("E707", case.path, ("transfer",), member=member.id, name=member.name,
                       where=where, branch=expected, current=member.branch)
    rect = case.rectification
    if rect is not None:
        yield from _mentors(ds, case, member)
    yield from _resolutions(case)
    ap = case.approval
    if ap is not None and ap.returned_on is not None and (
            not case.resolutions or case.resolutions[-1].outcome != "improved"):
        yield diag("E710", case.path, ("approval", "returned_on"), problem=(
            "只有整改合格（决议 outcome: improved）的党员才转回原党支部；请删除 returned_on。"))


def _mentors(ds: Dataset, case: Case, member: Member) -> Iterator[Diagnostic]:
    rect = case.rectification
    assert rect is not None
    if len(rect.mentors) != 2 or len(set(rect.mentors)) != 2:
        yield diag("E705", case.path, ("rectification", "mentors"), problem=(
            f"须确定两名不同的正式党员结对帮教，这里是 {len(set(rect.mentors))} 名。"))
    for i, ident in enumerate(rect.mentors):
        mentor = ds.members.get(ident)
        if mentor is None:
            if ident not in ds.files.broken_ids("member"):
                yield diag("E303", case.path, ("rectification", "mentors", i), id=ident)
            continue
        # a mentor is a full member when the help begins (a later 转正 does not count)
        category = ds.membership(mentor).category_on(rect.start)
        why = "是后进党员本人" if ident == member.id else (
            f"是{CATEGORY_NAMES[category]}" if category != "full" else "")
        if why:
            yield diag("E705", case.path, ("rectification", "mentors", i), problem=(
                f"帮教联系人 {ident}（{mentor.name}）{why}。帮教联系人须是表现良好的正式党员，"
                "请另选一人。"))


def check_case_scores(ds: Dataset, today: str) -> Iterator[Diagnostic]:
    """What needs scores (on data without other errors): the member was below the line
    at the quarter's end, and the mentors were in good standing when the help began."""

    for case in ds.cases:
        member = ds.members.get(case.member)
        end = quarter_bounds(case.quarter)[1]
        if member is None or end > today:
            continue
        score = quarter_end_scores(ds, case.quarter).get(member.id)
        if score is not None and not ds.policy.is_laggard(score):
            yield diag("E708", case.path, ("quarter",), member=member.id, name=member.name,
                       quarter=case.quarter, score=score, threshold=ds.policy.laggard_below)
        rect = case.rectification
        if rect is None:
            continue
        mentors = sorted({m for m in rect.mentors if m in ds.members and m != member.id})
        scored = {s.member.id: s for s in standings(ds, int(rect.start[:4]), rect.start,
                                                    ledgers=False, only=mentors)}
        for i, ident in enumerate(rect.mentors):
            found = scored.get(ident)
            if found is None:
                continue
            why = "暂不列入积分制管理" if "exempt" in found.flags else (
                f"帮教开始时（{rect.start}）积分 {found.score}，属于后进"
                if "laggard" in found.flags else
                f"帮教开始时（{rect.start}）有一票否决项" if "vetoed" in found.flags else "")
            if why:
                yield diag("E705", case.path, ("rectification", "mentors", i), problem=(
                    f"帮教联系人 {ident}（{found.member.name}）{why}。帮教联系人须是表现良好的"
                    "正式党员，请另选一人。"))


def _resolutions(case: Case) -> Iterator[Diagnostic]:
    rect = case.rectification
    if rect is None or not case.resolutions:
        return
    end = add_months(rect.start, rect.months)
    for i, r in enumerate(case.resolutions):
        due = end if i == 0 else add_months(end, EXTENSION_MONTHS)
        if r.date < due:
            what = "整改期" if i == 0 else "延长的整改期"
            yield diag("E709", case.path, ("resolutions", i, "date"), problem=(
                f"党支部决议须在{what}期满（{due}）之后由党员大会评定，这里是 {r.date}。"))
        last = i == 1 or r.outcome == "improved"
        if i == 1 and case.resolutions[0].outcome == "improved":
            yield diag("E709", case.path, ("resolutions", 1), problem=(
                "第一次评定已整改合格，案件不需要第二次评定。请删除第二次决议。"))
        elif r.disposal is not None and r.outcome == "improved":
            yield diag("E709", case.path, ("resolutions", i, "disposal"), problem=(
                "整改合格（improved）的党员不作处置，请删除 disposal。"))
        elif r.outcome == "not_improved" and i == 0 and r.disposal is not None:
            yield diag("E709", case.path, ("resolutions", 0, "disposal"), problem=(
                "第一次评定无明显改进的，先延长三个月整改期，期满再评定；"
                "请删除 disposal，延长期满后在第二次决议中填写。"))
        elif r.outcome == "not_improved" and i == 1 and r.disposal is None:
            yield diag("E709", case.path, ("resolutions", 1, "outcome"), problem=(
                "延长整改期满后仍无明显改进的，确定为不合格党员：请填写 disposal"
                "（persuade_withdraw 劝其退党，或 expel 除名）。"))
        if last:
            break


def _warnings(case: Case, today: str) -> Iterator[Diagnostic]:
    if stage(case).closed:
        return
    rect = case.rectification
    if rect is not None:
        have = {r.month: r for r in rect.reports}
        for month in due_reports(case, today):
            report = have.get(month)
            if report is None:
                yield diag("W301", case.path, ("rectification", "reports"), id=case.id,
                           month=month)
            elif report.evaluation_meeting is None or report.evaluation is None:
                yield diag("W304", case.path, ("rectification", "reports",
                                               rect.reports.index(report)), id=case.id,
                           month=month)
        first_end = add_months(rect.start, rect.months)
        if rect.application is None and first_end < today:
            yield diag("W305", case.path, ("rectification",), id=case.id, deadline=first_end)
        for i, res in enumerate(case.resolutions):
            if res.education_review is None:
                yield diag("W306", case.path, ("resolutions", i), id=case.id, date=res.date)
        end = deadline(case)
        needed = 2 if case.resolutions and case.resolutions[0].outcome == "not_improved" else 1
        if end is not None and end < today and len(case.resolutions) < needed:
            yield diag("W302", case.path, ("rectification",), id=case.id, deadline=end)
    if case.resolutions and case.approval is None:
        final = case.resolutions[-1]
        if final.outcome == "improved" or len(case.resolutions) == 2:
            waited = (dt.date.fromisoformat(today) - dt.date.fromisoformat(final.date)).days
            if waited > APPROVAL_WARN_DAYS:
                yield diag("W303", case.path, ("resolutions", len(case.resolutions) - 1),
                           id=case.id, date=final.date, days=APPROVAL_WARN_DAYS)


# --- alerts (internal site) -------------------------------------------------------------------

def overdue(case: Case, today: str) -> list[str]:
    """What a case is late with on ``today``, in words (internal alerts)."""
    found = [d.message for d in _warnings(case, today)]
    return found
