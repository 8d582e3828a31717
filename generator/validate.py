"""Validate: the checks that look across records and files.

Each check is a small function ``(dataset, context) -> iterable of diagnostics``
listed in ``CHECKS``; ``validate`` runs them all and never stops early. The
schema has already checked each file on its own (``load.py``), so the records
here are well-formed; a record whose dates do not exist is checked for nothing
that depends on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import TypedDict

from generator.cases import check_case_scores, check_cases
from generator.closes import compute, record_digests
from generator.context import PENDING_WARN_DAYS, Context
from generator.derive import registrars_on
from generator.errors import Diagnostic, Pointer, diag
from generator.model import (
    ATTENDANCE_NAMES,
    BRANCH_KIND_NAMES,
    LEFT_NAMES,
    MARK_NAMES,
    RULE_KIND_NAMES,
    STATUS_NAMES,
    Close,
    Correction,
    Dataset,
    Event,
    Meeting,
    Member,
    Rule,
)
from generator.nominations import check_nominations
from generator.periods import WINDOW_DAYS, add_days, quarter_bounds, quarter_of, real_date
from generator.supervise import Routine, routine_findings

ADDITION_STATUSES = ("declared", "verified", "approved", "void")
DEDUCTION_STATUSES = ("registered", "void")


class _Label(TypedDict):
    member: str
    name: str


def _member_label(member: Member) -> _Label:
    return {"member": member.id, "name": member.name}


# --- identity and files -------------------------------------------------------------------

def check_file_names(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    for member in ds.members.values():
        stem = Path(member.path).stem
        if stem != member.id:
            yield diag("E103", member.path, ("id",), stem=stem, id=member.id)


def check_folders(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    """A branch's folder holds that branch's files only: CODEOWNERS relies on it."""
    for path, folder, declared in ds.files.folder_conflicts:
        yield diag("E311", path, ("branch",), folder=folder, branch=declared)
    for ident, folder in ds.files.member_folders.items():
        member = ds.members[ident]
        if member.branch != folder:
            yield diag("E312", member.path, ("branch",), folder=folder, branch=member.branch)


def check_unique_ids(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    for kind, ident, path, pointer, other in ds.files.duplicates:
        yield diag("E301", path, pointer, id=ident, other=other, kind=kind)
    for kind, records in (("会议", ds.meetings), ("登记", ds.events)):
        seen: dict[str, str] = {}
        for record in records:
            if record.id in seen:
                yield diag("E301", record.path, record.at("id"), id=record.id,
                           other=seen[record.id], kind=kind)
            else:
                seen[record.id] = record.path


def check_dates(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    """Dates that do not exist (2025-02-30), and events or meetings in the future."""
    for member in ds.members.values():
        if member.exempt:
            for key in ("from", "until", "approved_on"):
                value = getattr(member.exempt, "start" if key == "from" else key)
                if value is not None and not real_date(value):
                    yield diag("E206", member.path, ("exempt", key), value=value)
        for pointer, value in _member_dates(member):
            if not real_date(value):
                yield diag("E206", member.path, pointer, value=value)
            elif value > ctx.today:
                yield diag("E501", member.path, pointer, date=value, today=ctx.today)
    for catalogue in ds.catalogues:
        for versions in catalogue.versions.values():
            for rule in versions:
                for key, value in (("from", rule.start), ("until", rule.until)):
                    if value is not None and not real_date(value):
                        yield diag("E206", rule.path, rule.at(key), value=value)
    records: Iterable[Meeting | Event] = chain(ds.meetings, ds.events)
    for record in records:
        if not real_date(record.date):
            yield diag("E206", record.path, record.at("date"), value=record.date)
        elif record.date > ctx.today:
            yield diag("E501", record.path, record.at("date"), date=record.date,
                       today=ctx.today)
    for event in ds.events:
        if event.approved_on is None:
            continue
        if not real_date(event.approved_on):
            yield diag("E206", event.path, event.at("approved_on"), value=event.approved_on)
        elif event.approved_on > ctx.today:
            yield diag("E501", event.path, event.at("approved_on"), date=event.approved_on,
                       today=ctx.today)
        elif real_date(event.date) and event.approved_on < event.date:
            yield diag("E412", event.path, event.at("approved_on"),
                       approved_on=event.approved_on, date=event.date)


# --- organisation, catalogue, policy --------------------------------------------------------

def check_organization(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    org = ds.organization
    if org is None:
        return
    for branch in org.branches.values():
        if branch.general_branch and branch.general_branch not in org.general_branches:
            yield diag("E306", branch.path, (*branch.pointer, "general_branch"),
                       id=branch.general_branch)
    if not ds.catalogues:
        return
    policy = ds.policy
    ids = {c.id: c for c in ds.catalogues}
    for kind, chosen in sorted(policy.catalogues.items()):
        catalogue = ids.get(chosen)
        if catalogue is None or kind not in catalogue.applies_to:
            yield diag("E609", policy.path or "policy.yaml", ("catalogues", kind), kind=kind,
                       id=chosen, problem="不存在" if catalogue is None else
                       f"的 applies_to 不包含 {kind}")
    for kind in sorted({b.kind for b in org.branches.values()}):
        if kind in policy.catalogues:
            continue
        covering = [c for c in ds.catalogues if kind in c.applies_to]
        if len(covering) != 1:
            problem = "没有适用的积分标准" if not covering else (
                "被多个积分标准同时覆盖，且 policy.yaml 的 catalogues 没有指定用哪一份")
            yield diag("E606", (covering[1] if covering else ds.catalogues[0]).path,
                       ("applies_to",), kind=kind, problem=problem)
    staffed = {m.branch for m in ds.members.values()}
    village = sorted(b.id for b in org.branches.values()
                     if b.kind == "village" and b.id in staffed)
    scoring = ds.catalogue_for("village") if village else None
    if scoring is not None and scoring.standard != "village":
        yield diag("W110", scoring.path, ("catalogue",), branches="、".join(village),
                   title=scoring.title)


def check_catalogues(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    for catalogue in ds.catalogues:
        for code, versions in catalogue.versions.items():
            for rule in versions:
                yield from _check_rule(rule)
            for i, a in enumerate(versions):
                for b in versions[i + 1:]:
                    if (a.start or "") <= (b.until or "9999") and (b.start or "") <= (
                            a.until or "9999"):
                        yield diag("E601", b.path, b.at("from"), code=code,
                                   a=a.index + 1, b=b.index + 1)


def _check_rule(rule: Rule) -> Iterator[Diagnostic]:
    code = rule.code
    if (rule.points is None) == (rule.range is None):
        yield diag("E602", rule.path, rule.at(), code=code)
        return
    sign = -1 if rule.kind == "deduction" else 1
    lo, hi = rule.bounds
    if lo * sign <= 0 or hi * sign <= 0:
        yield diag("E603", rule.path, rule.at("points" if rule.range is None else "range"),
                   code=code, kind_name=RULE_KIND_NAMES[rule.kind],
                   sign="负" if sign < 0 else "正")
    if lo > hi:
        yield diag("E604", rule.path, rule.at("range"), code=code)
    if rule.start and rule.until and rule.until < rule.start:
        yield diag("E607", rule.path, rule.at("until"), code=code, start=rule.start,
                   until=rule.until)
    if rule.consecutive_points is not None and rule.attendance != "leave":
        yield diag("E608", rule.path, rule.at("consecutive_points"), field="consecutive_points")
    if rule.attendance is not None and rule.points is None:
        yield diag("E608", rule.path, rule.at("attendance"), field="attendance")


def check_policy(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    if not ds.catalogues:
        return
    known = {code for c in ds.catalogues for code in c.versions}
    for i, code in enumerate(ds.policy.veto_rules):
        if code not in known:
            yield diag("E310", ds.policy.path or "policy.yaml", ("veto_rules", i), code=code)
    catalogues = {c.id: c for c in ds.catalogues}
    for catalogue_id, codes in sorted(ds.policy.direct_rules.items()):
        catalogue = catalogues.get(catalogue_id)
        if catalogue is None:
            yield diag("E610", ds.policy.path or "policy.yaml", ("direct_rules", catalogue_id),
                       what=f"积分标准“{catalogue_id}”不存在")
            continue
        for i, code in enumerate(codes):
            versions = catalogue.versions.get(code)
            if versions is None or versions[0].is_addition:
                what = (f"规则“{code}”不在《{catalogue.title}》中" if versions is None
                        else f"规则 {code} 是加分项，党工委直接扣分只能用扣分项")
                yield diag("E610", ds.policy.path or "policy.yaml",
                           ("direct_rules", catalogue_id, i), what=what)


# --- members ---------------------------------------------------------------------------------

def check_members(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    org = ds.organization
    branches = org.branches if org else {}
    broken_branches = ds.files.broken_ids("branch")
    for member in ds.members.values():
        branch = branches.get(member.branch)
        if branch is None and org is not None and member.branch not in broken_branches:
            yield diag("E302", member.path, ("branch",), id=member.branch)
        if member.transfer_to is not None:
            target = branches.get(member.transfer_to)
            if branch is not None and branch.kind != "flowing":
                yield diag("E307", member.path, ("transfer_to",))
            elif target is None:
                if member.transfer_to not in broken_branches:
                    yield diag("E302", member.path, ("transfer_to",), id=member.transfer_to)
            elif target.kind != "village":
                yield diag("E308", member.path, ("transfer_to",), id=target.id,
                           kind_name=BRANCH_KIND_NAMES[target.kind])
        elif branch is not None and branch.kind == "flowing":
            yield diag("W101", member.path, ("branch",))
        ex = member.exempt
        if ex and real_date(ex.start) and real_date(ex.approved_on):
            if ex.until and real_date(ex.until) and ex.until < ex.start:
                yield diag("E505", member.path, ("exempt", "until"), start=ex.start,
                           until=ex.until)
            if ex.approved_on > ex.start:
                yield diag("W103", member.path, ("exempt", "approved_on"),
                           approved_on=ex.approved_on, start=ex.start)


def _member_dates(member: Member) -> Iterator[tuple[Pointer, str]]:
    """The dates of a member's history, where they are written."""
    if member.joined_on is not None:
        yield ("joined_on",), member.joined_on
    for field, pairs in (("categories", member.categories), ("branches", member.branches)):
        for i, (day, _) in enumerate(pairs):
            yield (field, i, "from"), day
    if member.left is not None:
        yield ("left", "date"), member.left.date


_HISTORIES = (("categories", "category", "人员类别"), ("branches", "branch", "所在党支部"))


def check_membership(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    """A member's dated history (joined_on, categories, branches, left): branches that
    exist, lists that end in the current value, dates in order."""
    org = ds.organization
    broken_branches = ds.files.broken_ids("branch")
    for member in ds.members.values():
        for i, (_, branch) in enumerate(member.branches):
            if org is not None and branch not in org.branches and branch not in broken_branches:
                yield diag("E302", member.path, ("branches", i, "branch"), id=branch)
        joined = member.joined_on if real_date(member.joined_on) else None
        left = member.left.date if member.left and real_date(member.left.date) else None
        if joined and left and left <= joined:
            yield diag("E508", member.path, ("left", "date"), problem=(
                f"left 的日期 {left} 应晚于 joined_on 的日期 {joined}：列入积分制管理之后才会"
                "不再列入。请核对日期。"))
        for field, key, what in _HISTORIES:
            pairs: tuple[tuple[str, str], ...] = getattr(member, field)
            if not pairs:
                continue
            current = getattr(member, key)
            if pairs[-1][1] != current:
                yield diag("E507", member.path, (field, len(pairs) - 1, key), field=field,
                           last=pairs[-1][1], key=key, current=current, what=what)
            yield from _history_dates(member, field, pairs, what, joined, left)


def _history_dates(member: Member, field: str, pairs: tuple[tuple[str, str], ...], what: str,
                   joined: str | None, left: str | None) -> Iterator[Diagnostic]:
    previous: str | None = None
    for i, (day, _) in enumerate(pairs):
        if not real_date(day):
            continue
        pointer: Pointer = (field, i, "from")
        if previous is not None and day <= previous:
            yield diag("E508", member.path, pointer, problem=(
                f"{field} 按日期从早到晚排列，每项的日期不同：第 {i + 1} 项的 from（{day}）"
                f"不晚于前一项（{previous}）。请按日期顺序排列，或核对日期。"))
        elif i == 0 and joined is not None and day > joined:
            yield diag("E508", member.path, pointer, problem=(
                f"{field} 第一项的 from（{day}）晚于 joined_on（{joined}）：自列入积分制管理之日起"
                f"就须有{what}。请把第一项的 from 改为 {joined} 或更早。"))
        elif left is not None and day >= left:
            yield diag("E508", member.path, pointer, problem=(
                f"{field} 中 {day} 的变动不早于 left 的日期（{left}）：不再列入之后不再登记变动。"
                "请核对日期。"))
        previous = day


def _belongs(ds: Dataset, member: Member, date: str, path: str, pointer: Pointer,
             what: str) -> Diagnostic | None:
    """Is ``member`` in scope on ``date`` (a real date)? (E506)"""
    membership = ds.membership(member)
    if membership.in_scope(date):
        return None
    if membership.start is not None and date < membership.start:
        why = f"自 {membership.start} 起才列入积分制管理（joined_on）"
    else:
        assert member.left is not None
        why = (f"自 {member.left.date} 起已不再列入积分制管理（left："
               f"{LEFT_NAMES[member.left.reason]}）")
    return diag("E506", path, pointer, **_member_label(member), date=date, why=why, what=what)


def _elsewhere(ds: Dataset, member: Member, date: str, branch: str) -> str | None:
    """The branch ``member`` belonged to on ``date``, when their history also has
    ``branch`` at another time (a record filed with the right branch at the wrong
    time, E509); None when they never belonged to ``branch``."""
    membership = ds.membership(member)
    if len(membership.branches) > 1 and any(b == branch for _, b in membership.branches):
        return membership.branch_on(date)
    return None


# --- meetings -------------------------------------------------------------------------------

def check_meetings(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    org = ds.organization
    file_branch = ds.files.branch_of
    same_day: dict[tuple[str, str], Meeting] = {}
    for meeting in ds.meetings:
        first = same_day.setdefault((meeting.branch, meeting.date), meeting)
        if first is not meeting and not meeting.separate:
            yield diag("E319", meeting.path, meeting.at("date"), branch=meeting.branch,
                       date=meeting.date, other=first.id, title=first.title)
        if org is not None and meeting.branch not in org.branches and (
                meeting.branch not in ds.files.broken_ids("branch")):
            yield diag("E302", meeting.path, meeting.at("branch"), id=meeting.branch)
        declared = file_branch.get(meeting.path)
        if declared is not None and declared != meeting.branch:
            yield diag("E309", meeting.path, meeting.at("branch"), file_branch=declared,
                       what="会议", subject="这次会议", branch=meeting.branch)
        dated = real_date(meeting.date)
        where: dict[str, str] = {}
        for key in ATTENDANCE_NAMES:
            for i, ident in enumerate(getattr(meeting, key)):
                pointer = meeting.at(key, i)
                if ident in where and {where[ident], key} != {"late", "early"}:
                    yield diag("E504", meeting.path, pointer, member=ident,
                               a=f"{ATTENDANCE_NAMES[where[ident]]}（{where[ident]}）",
                               b=f"{ATTENDANCE_NAMES[key]}（{key}）")
                    continue
                where.setdefault(ident, key)
                member = ds.members.get(ident)
                if member is None:
                    if ident not in ds.files.broken_ids("member"):
                        yield diag("E303", meeting.path, pointer, id=ident)
                    continue
                problem = _at_meeting(ds, member, meeting, meeting.path, pointer)
                if problem is not None:
                    yield problem
                elif dated and member.exempt_on(meeting.date):
                    assert member.exempt is not None
                    yield diag("E502", meeting.path, pointer, **_member_label(member),
                               start=member.exempt.start, date=meeting.date,
                               what="登记考勤")


def _at_meeting(ds: Dataset, member: Member, meeting: Meeting, path: str, pointer: Pointer
                ) -> Diagnostic | None:
    """Was ``member`` expected at ``meeting``: in scope that day, of its branch?"""
    if not real_date(meeting.date):
        if member.branch != meeting.branch:
            return diag("E503", path, pointer, **_member_label(member), branch=member.branch,
                        meeting_branch=meeting.branch)
        return None
    outside = _belongs(ds, member, meeting.date, path, pointer, "会议考勤")
    if outside is not None:
        return outside
    branch = ds.membership(member).branch_on(meeting.date)
    if branch == meeting.branch:
        return None
    if _elsewhere(ds, member, meeting.date, meeting.branch) is not None:
        return diag("E509", path, pointer, **_member_label(member), date=meeting.date,
                    branch=branch, other=meeting.branch,
                    what=f"不能列入党支部“{meeting.branch}”这次会议的考勤")
    return diag("E503", path, pointer, **_member_label(member), branch=branch,
                meeting_branch=meeting.branch)


# --- events ---------------------------------------------------------------------------------

def check_events(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    # The hot loop of a large year: the common path creates no objects.
    file_branch = ds.files.branch_of
    members = ds.members
    once: dict[tuple[str, str, str], Event] = {}
    same_day: dict[tuple[str, str, str], Event] = {}
    cutoff = ctx.pending_cutoff
    branch_folders, addition_files = ds.files.folder_of, ds.files.additions
    # members whose branch or scope changes over time: the only ones whose records'
    # branch and dates need a look at their membership
    moved = {ident for ident, m in members.items()
             if m.joined_on or m.left or m.branches or ds.derived.transfers.get(ident)}
    for event, rule in zip(ds.events, ds.derived.event_rules, strict=True):
        status = event.status
        if status == "void":
            if not event.void_reason:
                yield diag("E409", event.path, event.at("status"))
        elif event.void_reason:
            yield diag("W105", event.path, event.at("void_reason"))
        member = members.get(event.member)
        if member is None:
            if event.member not in ds.files.broken_ids("member"):
                yield diag("E303", event.path, event.at("member"), id=event.member)
            continue
        declared = file_branch.get(event.path)
        dated = real_date(event.date)
        if declared is not None and (declared != member.branch or member.id in moved):
            problem = _filed(ds, member, event, declared, dated)
            if problem is not None:
                yield problem
        if not dated:
            continue
        if member.id in moved:
            outside = _belongs(ds, member, event.date, event.path, event.at("date"), "积分")
            if outside is not None:
                yield outside
        if member.exempt is not None and member.exempt.covers(event.date):
            yield diag("E502", event.path, event.at("date"), **_member_label(member),
                       start=member.exempt.start, date=event.date, what="登记积分")
        if rule is None:
            yield from _unknown_rule(ds, member, event)
            continue
        if rule.attendance is not None:
            yield diag("E410", event.path, event.at("rule"), code=rule.code, name=rule.name)
            continue
        wrong_points = _check_points(event, rule)
        if wrong_points is not None:
            yield wrong_points
        addition = rule.is_addition
        if status is not None and status not in (ADDITION_STATUSES if addition
                                                 else DEDUCTION_STATUSES):
            hint = ("加分的状态依次为 declared（个人申报）→ verified（支部核实）→ approved"
                    "（党工委审定），作废用 void。" if addition else
                    "扣分由支部登记，状态为 registered（可不填），作废用 void。")
            yield diag("E407", event.path, event.at("status"), kind_name=RULE_KIND_NAMES[
                rule.kind], status=status, allowed=hint)
        if addition:
            if event.path in branch_folders and event.path not in addition_files:
                yield diag("E413", event.path, event.at("rule"),
                           branch=branch_folders[event.path])
            if status is None:
                yield diag("E408", event.path, event.at())
            elif status == "approved" and not (event.approved_by and event.approved_on):
                yield diag("E411", event.path, event.at("status"))
            if not event.evidence and status != "void":
                yield diag("E405", event.path, event.at())
        if status == "void":
            continue
        if addition and status in ("declared", "verified") and event.date < cutoff:
            yield diag("W102", event.path, event.at("status"), id=event.id, date=event.date,
                       days=PENDING_WARN_DAYS, status_name=STATUS_NAMES[status])
        key = (event.member, event.rule, event.date)
        first = same_day.setdefault(key, event)
        if first is not event:
            yield diag("W104", event.path, event.at("id"), id=event.id, other=first.id)
        if rule.once_a_year and (not addition or status == "approved"):
            year_key = (event.member, event.rule, event.date[:4])
            first = once.setdefault(year_key, event)
            if first is not event:
                yield diag("E406", event.path, event.at("rule"), code=rule.code,
                           name=rule.name, member=member.id, year=event.date[:4],
                           other=first.id)


def _filed(ds: Dataset, member: Member, event: Event, declared: str, dated: bool
           ) -> Diagnostic | None:
    """Is an event in the files of a branch that may register it (the member's branch
    on its date, or the village branch managing a flowing member's scoring)?"""
    allowed = registrars_on(ds, member, event.date) if dated else (member.branch,)
    if declared in allowed:
        return None
    if dated and _elsewhere(ds, member, event.date, declared) is not None:
        return diag("E509", event.path, event.at("member"), **_member_label(member),
                    date=event.date, branch=allowed[0], other=declared,
                    what=f"这条登记应放在党支部“{allowed[0]}”的文件中")
    return diag("E309", event.path, event.at("member"), file_branch=declared,
                what="党员的积分", subject=f"{member.id}（{member.name}）", branch=allowed[0])


def _unknown_rule(ds: Dataset, member: Member, event: Event) -> Iterator[Diagnostic]:
    org = ds.organization
    branch = ds.membership(member).branch_on(event.date)
    if org is None or branch not in org.branches:
        return
    catalogue = ds.catalogue_for(org.branches[branch].kind)
    if catalogue is None:
        return
    versions = catalogue.versions.get(event.rule)
    if not versions:
        yield diag("E304", event.path, event.at("rule"), code=event.rule,
                   catalogue=catalogue.title)
    else:
        yield diag("E305", event.path, event.at("date"), code=event.rule, date=event.date,
                   periods="；".join(v.period() for v in versions))


def _check_points(event: Event, rule: Rule) -> Diagnostic | None:
    """The problem with an event's points, if any."""
    points = event.points
    if points is None:
        if rule.range is not None:
            lo, hi = rule.range
            return diag("E404", event.path, event.at(), code=rule.code, name=rule.name,
                        lo=lo, hi=hi)
        return None
    sign = -1 if rule.kind == "deduction" else 1
    if points * sign <= 0:
        return diag("E401", event.path, event.at("points"), code=rule.code, name=rule.name,
                    kind_name=RULE_KIND_NAMES[rule.kind], sign="负" if sign < 0 else "正",
                    points=points)
    if rule.range is None:
        if points != rule.points:
            return diag("E403", event.path, event.at("points"), code=rule.code,
                        name=rule.name, fixed=rule.points, points=points)
        return None
    lo, hi = rule.range
    if not lo <= points <= hi:
        return diag("E402", event.path, event.at("points"), code=rule.code, name=rule.name,
                    lo=lo, hi=hi, points=points)
    return None


# --- frozen quarters: closes, corrections, objections ------------------------------------------

def check_closes(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    """Each close on its own: where it is, its dates. (Its digests: ``check_frozen``.)"""
    org = ds.organization
    seen: dict[tuple[str, str], str] = {}
    for close in ds.closes:
        stem = Path(close.path).stem
        if stem != close.quarter:
            yield diag("E103", close.path, ("quarter",), stem=stem, id=close.quarter)
        if org is not None and close.branch not in org.branches:
            yield diag("E302", close.path, ("branch",), id=close.branch)
        key = (close.branch, close.quarter)
        if key in seen:
            yield diag("E301", close.path, ("quarter",), id=f"{close.branch} {close.quarter}",
                       other=seen[key], kind="季度审定")
        seen.setdefault(key, close.path)
        dates = {"meeting": close.meeting, "from": close.window[0], "until": close.window[1]}
        bad = [k for k, v in dates.items() if not real_date(v)]
        for k in bad:
            yield diag("E206", close.path, ("meeting",) if k == "meeting" else ("window", k),
                       value=dates[k])
        if bad:
            continue
        end = quarter_bounds(close.quarter)[1]
        if close.meeting <= end:
            yield diag("E316", close.path, ("meeting",), problem=(
                f"支委会审定日期 {close.meeting} 应在季度结束（{end}）之后。请核对。"))
        elif close.meeting > ctx.today:
            yield diag("E501", close.path, ("meeting",), date=close.meeting, today=ctx.today)
        if close.window[1] < close.window[0]:
            yield diag("E316", close.path, ("window", "until"), problem=(
                f"公示期结束日期 {close.window[1]} 早于开始日期 {close.window[0]}。"))
        elif close.window[0] < close.meeting:
            yield diag("E316", close.path, ("window", "from"), problem=(
                f"公示期开始日期 {close.window[0]} 早于支委会审定日期 {close.meeting}："
                "审定后才能公示。请核对。"))


def check_corrections(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    """Corrections of events and of attendance: what they correct, when (after the
    close of the corrected quarter, in the same year or in the next January until the
    党工委's year-end decisions), and where they are filed."""
    events = {e.id: (e, r) for e, r in zip(ds.events, ds.derived.event_rules, strict=True)}
    meetings = {m.id: m for m in ds.meetings}
    decided = _decided(ds)
    first: dict[str, str] = {}
    marked: dict[tuple[str, str], str] = {}
    ids: dict[str, str] = {}
    for c in sorted(ds.corrections, key=lambda c: (c.date, c.id)):
        if c.id in ids:
            yield diag("E301", c.path, c.at("id"), id=c.id, other=ids[c.id], kind="更正")
        ids.setdefault(c.id, c.path)
        if not real_date(c.date):
            yield diag("E206", c.path, c.at("date"), value=c.date)
            continue
        if c.date > ctx.today:
            yield diag("E501", c.path, c.at("date"), date=c.date, today=ctx.today)
        if c.attendance or c.corrects in meetings:
            yield from _check_attendance_correction(ds, c, meetings, marked, decided)
            continue
        found = events.get(c.corrects)
        if found is None:
            if c.corrects not in ds.files.broken_ids("event"):
                yield diag("E313", c.path, c.at("corrects"), id=c.corrects)
            continue
        event, rule = found
        if c.corrects in first:
            yield diag("E314", c.path, c.at("corrects"), id=c.corrects, other=first[c.corrects])
            continue
        first[c.corrects] = c.id
        if rule is None or not real_date(event.date):
            continue
        if event.status == "void" or (rule.is_addition and event.status != "approved"):
            why = "已作废" if event.status == "void" else "尚未经党工委审定"
            yield diag("E414", c.path, c.at("corrects"), id=event.id, why=why,
                       hint="请删除这条更正。" if event.status == "void"
                       else "请直接修改或作废这条登记。")
            continue
        if rule.is_addition and c.path not in ds.files.additions:
            yield diag("E416", c.path, c.at("corrects"))
        yield from _correction_dates(ds, c, event.id, event.member, event.date, decided)


def _decided(ds: Dataset) -> dict[int, str]:
    """Year → the day the 党工委 first recorded its year-end decisions on it (认定 or a
    decision in ``nominations/<YYYY>.yaml``): the year's results are settled then."""
    found: dict[int, str] = {}
    for f in ds.nominations.files:
        if f.branch is not None:
            continue
        dates = [d.date for d in f.decisions] + ([f.confirmed.date] if f.confirmed else [])
        for day in dates:
            if real_date(day) and (f.year not in found or day < found[f.year]):
                found[f.year] = day
    return found


def _correction_dates(ds: Dataset, c: Correction, ident: str, member: str, date: str,
                      decided: dict[int, str]) -> Iterator[Diagnostic]:
    """A correction of the record ``ident`` of ``member`` dated ``date``: after the close
    of its quarter, and in its year — or in the next January, before the 党工委 decided
    on that year (the published Q4 figure stays; the year's total changes)."""
    quarter = quarter_of(date)
    close = ds.derived.closed.get((member, quarter))
    if close is None:
        yield diag("W107", c.path, c.at("corrects"), id=ident, quarter=quarter)
    elif c.date <= close.meeting:
        yield diag("E415", c.path, c.at("date"), problem=(
            f"更正日期 {c.date} 应在 {quarter} 审定（{close.meeting}）之后，"
            "登记在未审定的季度。"))
    year = date[:4]
    if c.date[:4] == year:
        if c.date < date:
            yield diag("E415", c.path, c.at("date"), problem=(
                f"更正日期 {c.date} 早于被更正登记的日期 {date}。"))
    elif c.date[:7] == f"{int(year) + 1}-01":
        settled = decided.get(int(year))
        if settled is not None and c.date >= settled:
            yield diag("E420", c.path, c.at("date"), decided=settled, year=year)
    else:
        yield diag("E415", c.path, c.at("date"), problem=(
            f"更正须在被更正登记的同一积分年度（{year} 年）内，或在次年1月、党工委作出 {year} "
            f"年度决定之前；{year} 年度积分已结算，请报党工委处理。"))


def _check_attendance_correction(ds: Dataset, c: Correction, meetings: dict[str, Meeting],
                                 marked: dict[tuple[str, str], str], decided: dict[int, str]
                                 ) -> Iterator[Diagnostic]:
    """An attendance correction: one member's mark at one meeting that exists."""
    meeting = meetings.get(c.corrects)
    marks = "、".join(f"{k} {v}" for k, v in MARK_NAMES.items())
    if meeting is None:
        if any(e.id == c.corrects for e in ds.events):
            yield diag("E419", c.path, c.at("corrects"), problem=(
                f"“{c.corrects}”是积分登记，不是会议：考勤更正（写了 member 和 mark）的 corrects "
                "须是会议编号。更正积分登记时不写 member 和 mark。"))
        elif c.corrects not in ds.files.broken_ids("meeting"):
            yield diag("E419", c.path, c.at("corrects"), problem=(
                f"被更正考勤的会议“{c.corrects}”不存在。请核对 corrects 中的会议编号。"))
        return
    if c.member is None or c.mark is None:
        yield diag("E419", c.path, c.at("corrects"), problem=(
            f"“{c.corrects}”是会议：更正考勤须写明 member（党员编号）和 mark（改正后的考勤：{marks}）。"))
        return
    member = ds.members.get(c.member)
    if member is None:
        if c.member not in ds.files.broken_ids("member"):
            yield diag("E303", c.path, c.at("member"), id=c.member)
        return
    declared = ds.files.branch_of.get(c.path)
    if declared is not None and declared != meeting.branch:
        yield diag("E309", c.path, c.at("corrects"), file_branch=declared, what="考勤更正",
                   subject=f"会议“{meeting.id}”", branch=meeting.branch)
    key = (meeting.id, member.id)
    if key in marked:
        yield diag("E419", c.path, c.at("member"), problem=(
            f"{member.id}（{member.name}）在会议“{meeting.id}”的考勤已由更正“{marked[key]}”改正，"
            "不能再次更正。如需改动，请修改那条更正。"))
        return
    marked[key] = c.id
    if not real_date(meeting.date):
        return
    problem = _at_meeting(ds, member, meeting, c.path, c.at("member"))
    if problem is not None:
        yield problem
        return
    now = meeting.marks_of(member.id)
    if now == ((c.mark,) if c.mark != "present" else ()):
        yield diag("E419", c.path, c.at("mark"), problem=(
            f"{member.id}（{member.name}）在会议“{meeting.id}”（{meeting.date}）的考勤已是"
            f"{MARK_NAMES[c.mark]}，不需要更正。请核对 mark。"))
        return
    yield from _correction_dates(ds, c, meeting.id, member.id, meeting.date, decided)


def check_objections(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    closes = {(c.branch, c.quarter): c for c in ds.closes}
    # an objection may concern a registration or an attendance mark (a meeting)
    events = {e.id for e in ds.events} | {m.id for m in ds.meetings}
    corrections = {c.id: c for c in ds.corrections}
    seen: dict[str, str] = {}
    for o in ds.objections:
        if o.id in seen:
            yield diag("E301", o.path, ("id",), id=o.id, other=seen[o.id], kind="异议")
        seen.setdefault(o.id, o.path)
        for key in ("raised_on", "decided_on"):
            value = getattr(o, key)
            if value is not None and not real_date(value):
                yield diag("E206", o.path, (key,), value=value)
            elif value is not None and value > ctx.today:
                yield diag("E501", o.path, (key,), date=value, today=ctx.today)
        if o.member is not None and o.member not in ds.members and (
                o.member not in ds.files.broken_ids("member")):
            yield diag("E303", o.path, ("member",), id=o.member)
        if o.event is not None and o.event not in events and (
                o.event not in ds.files.broken_ids("event")):
            yield diag("E313", o.path, ("event",), id=o.event)
        close = closes.get((o.branch, o.quarter))
        if close is None:
            yield diag("E315", o.path, ("quarter",), branch=o.branch, quarter=o.quarter)
        elif real_date(o.raised_on) and not close.window[0] <= o.raised_on <= close.window[1]:
            yield diag("W106", o.path, ("raised_on",), raised_on=o.raised_on,
                       start=close.window[0], until=close.window[1])
        if o.outcome == "pending":
            if close is not None and close.window[1] < ctx.today:
                yield diag("W108", o.path, ("outcome",), id=o.id, until=close.window[1])
            continue
        if o.decided_on is None:
            yield diag("E417", o.path, ("outcome",), problem=(
                "处理完毕的异议须填写处理日期 decided_on。"))
        elif real_date(o.decided_on) and real_date(o.raised_on) and o.decided_on < o.raised_on:
            yield diag("E417", o.path, ("decided_on",), problem=(
                f"处理日期 {o.decided_on} 早于提出日期 {o.raised_on}。"))
        if o.outcome == "upheld":
            if o.correction is None:
                yield diag("E417", o.path, ("outcome",), problem=(
                    "异议成立须登记更正，并在 correction 中写明更正编号。"))
            elif o.correction not in corrections:
                yield diag("E417", o.path, ("correction",), problem=(
                    f"更正“{o.correction}”不存在。请核对编号（events 文件中 corrections 的 id）。"))


def check_direct(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    """The 党工委's direct deductions (``direct/``): only the items the policy names for
    the member's catalogue (办法附件2第1步), and only deductions."""
    if not ds.files.direct:
        return
    for event, rule in zip(ds.events, ds.derived.event_rules, strict=True):
        if event.path not in ds.files.direct or rule is None:
            continue
        member = ds.members.get(event.member)
        if member is None:
            continue  # E303
        kind = ds.branch_kind(member)
        catalogue = ds.catalogue_for(kind) if kind else None
        allowed = ds.policy.direct_rules.get(catalogue.id, ()) if catalogue else ()
        if rule.is_addition or rule.code not in allowed:
            yield diag("E421", event.path, event.at("rule"), code=rule.code,
                       allowed="、".join(allowed) or "（policy.yaml 的 direct_rules 没有列出）")


SUPERVISION_WARN_DAYS = 90  # validation warns of routine gaps due this recently


def check_supervision(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    """督导检查 as warnings (``supervise.py``): a month without a meeting or without any
    registration, a quarter not closed in time, a 公示期 too short, a branch without
    registrars; each for a branch that had members then. Validation warns of the gaps
    that became due in the last ``SUPERVISION_WARN_DAYS`` days, which a registrar can
    still act on; ``jifen supervise`` and the internal 督导 page list them all. (Late
    declarations and cases are W102 and W301–W306.)"""
    if ds.organization is None or not ctx.loaded_cleanly or not ds.policy.routine_warnings:
        return
    yield from routine_warnings(ds, Routine.of(ds), ctx.today)


def routine_warnings(ds: Dataset, routine: Routine, today: str) -> Iterator[Diagnostic]:
    """``check_supervision``'s warnings, given the organisation, the policy and the
    members with their membership (``ds``) and what ``routine`` gathered of the rest."""
    org = ds.organization
    assert org is not None
    closes = {(c.branch, c.quarter): c for c in routine.closes}
    since = add_days(today, -SUPERVISION_WARN_DAYS)
    found, _ = routine_findings(ds, routine, today,
                                close_within_days=ds.policy.close_within_days,
                                window_days=WINDOW_DAYS)
    for f in found:
        if f.due and f.due < since:
            continue  # an older gap: `jifen supervise` and the 督导 page list it
        branch = org.branches[f.branch]
        at = (branch.path, branch.pointer)
        if f.kind == "meeting":
            yield diag("W401", *at, branch=branch.name, month=f.period)
        elif f.kind == "registration":
            yield diag("W402", *at, branch=branch.name, month=f.period)
        elif f.kind == "close":
            close = closes.get((f.branch, f.period))
            if close is None:
                yield diag("W403", *at, branch=branch.name, quarter=f.period, due=f.due,
                           days=ds.policy.close_within_days)
            else:
                yield diag("W403", close.path, ("meeting",), branch=branch.name,
                           quarter=f.period, due=f.due, days=ds.policy.close_within_days)
        elif f.kind == "window":
            close = closes[(f.branch, f.period)]
            yield diag("W404", close.path, ("window",), quarter=f.period, days=WINDOW_DAYS)
        elif f.kind == "registrars":
            yield diag("W405", *at, branch=branch.name)


def check_frozen(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    """Closed quarters are as they were published: recompute every close's figures.
    Runs only on data without other errors (scoring assumes valid data)."""
    closed = ds.derived.closed
    for event, rule in zip(ds.events, ds.derived.event_rules, strict=True):
        if rule is None or not rule.is_addition or event.status != "approved" or (
                not event.approved_on):
            continue
        close = closed.get((event.member, quarter_of(event.date)))
        if close is not None and event.approved_on > close.meeting and (
                event.approved_on[:4] != event.date[:4]):
            yield diag("E418", event.path, event.at("approved_on"), id=event.id,
                       quarter=close.quarter, meeting=close.meeting,
                       approved_on=event.approved_on, year=event.date[:4])
    records: dict[str, tuple[str, Pointer]] = {}  # id -> where the record is
    if any(c.records for c in ds.closes):
        records.update((c.id, (c.path, c.at())) for c in ds.corrections)
        records.update((m.id, (m.path, m.at())) for m in ds.meetings)
        records.update((e.id, (e.path, e.at())) for e in ds.events)
    for close in ds.closes:
        present = [m for m in close.counted if m in ds.members]
        where = {m: ("counted", i, "member") for i, m in enumerate(close.counted)}
        for m in close.counted:
            if m not in ds.members:
                yield diag("E303", close.path, where[m], id=m)
        digest, counted = compute(ds, close.branch, close.quarter, present)
        changed = False
        for m in present:
            if counted[m] != close.counted[m]:
                changed = True
                member = ds.members[m]
                path, pointer = _changed_record(ds, close, m, records)
                yield diag("E317", path, pointer or where[m], quarter=close.quarter,
                           meeting=close.meeting, member=m, name=member.name,
                           published=_shown(close.counted[m][0]), now=_shown(counted[m][0]))
        if not changed and len(present) == len(close.counted) and digest != close.digest:
            yield diag("E318", close.path, ("digest",), quarter=close.quarter,
                       meeting=close.meeting)


def _changed_record(ds: Dataset, close: Close, member: str,
                    records: dict[str, tuple[str, Pointer]]) -> tuple[str, Pointer]:
    """Where to point E317: the first record counted for ``member`` in the closed quarter
    whose digest differs from the one the close recorded (added, edited, voided or moved
    out of the quarter: the record itself); the close file when the close has no
    per-record digests, or when the record is gone."""
    published = close.records.get(member)
    if published is None:
        return close.path, ()
    now = record_digests(ds, close.quarter, member)
    for ident in sorted(now.keys() | published.keys()):
        if now.get(ident) != published.get(ident):
            return records.get(ident, (close.path, ()))
    return close.path, ()


def check_laggard_cases(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    return check_cases(ds, ctx.today)


def _shown(score: int | None) -> str:
    return "暂不列入" if score is None else str(score)


CHECKS: tuple[Callable[[Dataset, Context], Iterable[Diagnostic]], ...] = (
    check_file_names,
    check_folders,
    check_unique_ids,
    check_dates,
    check_organization,
    check_catalogues,
    check_policy,
    check_members,
    check_membership,
    check_meetings,
    check_events,
    check_direct,
    check_closes,
    check_corrections,
    check_objections,
    check_laggard_cases,
    check_nominations,
    check_supervision,
)


def validate(ds: Dataset, ctx: Context, loaded_cleanly: bool = True) -> list[Diagnostic]:
    """Every problem the checks find. Closed quarters are recomputed only when nothing
    else is wrong (``loaded_cleanly``: no file failed to parse or the schema), since a
    record left out would look like a change to a published quarter."""
    ctx = replace(ctx, loaded_cleanly=loaded_cleanly)
    found: list[Diagnostic] = []
    for check in CHECKS:
        found.extend(check(ds, ctx))
    if loaded_cleanly and not any(d.is_error for d in found):
        found.extend(late(ds, ctx))
    return found


def late(ds: Dataset, ctx: Context) -> list[Diagnostic]:
    """The checks that need scores, for data without any other error (``validate``):
    closed quarters recomputed, and what laggard cases say about scores."""
    found: list[Diagnostic] = []
    if ds.closes:
        found.extend(check_frozen(ds, ctx))
    if ds.cases:
        found.extend(check_case_scores(ds, ctx.today))
    return found

