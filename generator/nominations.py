"""Year-end selection (积分运用, the regulation's section 四(三)): 优秀党员 and the 党工委's
decisions on the year-end lists.

Two kinds of file under ``nominations/``, so that no one edits another's file:

* ``nominations/<branch>/<YYYY>.yaml`` — the branch's: 支部初定 (``nominated``, an
  ordered list) and the 党总支's 初审 (``review``: the ids passed). In a branch folder,
  so ``jifen codeowners`` gives it to the branch's registrars; branches never touch
  one another's files.
* ``nominations/<YYYY>.yaml`` — the 党工委's: 认定 (``confirmed``) and its decisions on
  the lists of 预备党员, 入党积极分子 and flowing-branch members below their lines
  (``decisions``). Outside every branch folder: the office owns it, as it owns additions.

Readings: a 优秀党员 is chosen from the ``excellent_candidate`` flag of ``score.py``
(party members, full or probationary, at least ``excellent_at_least`` at the year's
end, not vetoed, not exempt); the year-end lists read the category of the year
(``score._year_end_flags``); the year's figures include the corrections of it dated in
the next January (``final_standings``); only the branch the member belonged to at the
year's end nominates; confirmed ⊆
passed ⊆ nominated (a branch outside any 党总支 skips the review: confirmed ⊆
nominated); each stage is dated after the year's end and not before the one it
follows; ``policy.excellent_share`` caps the confirmed count over the whole committee
(party members scored at the year's end), None meaning no cap.

Eligibility needs the year's scores, and scoring assumes valid references: those
checks wait (``scorable``) while the data has errors that scoring cannot stand.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from generator.context import Context
from generator.errors import Diagnostic, Pointer, diag
from generator.model import (
    ATTENDANCE_NAMES,
    CATEGORY_NAMES,
    DECISION_NAMES,
    LEFT_NAMES,
    Dataset,
    Decision,
    Member,
    NominationFile,
    Stage,
)
from generator.periods import real_date, year_closing, year_end
from generator.score import PARTY, Standing, counts, standings

ACTIONS = tuple(DECISION_NAMES)


_FINAL: WeakKeyDictionary[Dataset, dict[int, dict[str, Standing]]] = WeakKeyDictionary()


def final_standings(ds: Dataset, year: int) -> dict[str, Standing]:
    """Every member's standing for ``year`` as its year-end lists see it: its records,
    and the corrections of it dated up to the next January (computed once per data set
    and year, kept beside the data set). Members not in scope at the year's end are
    there too, with no flags."""
    years = _FINAL.setdefault(ds, {})
    if year not in years:
        years[year] = {s.member.id: s for s in standings(ds, year, year_closing(year),
                                                          ledgers=False, only=sorted(ds.members))}
    return years[year]


def year_branch(ds: Dataset, member: Member, year: int) -> str:
    """The branch ``member`` belonged to at the end of ``year`` (the one that nominates
    them for that year)."""
    return ds.membership(member).branch_on(year_end(year))


def _out_of_scope(ds: Dataset, member: Member, year: int) -> str | None:
    """Why ``member`` is not under the scheme at the end of ``year`` (None: they are)."""
    membership = ds.membership(member)
    last = year_end(year)
    if membership.in_scope(last):
        return None
    if membership.start is not None and membership.start > last:
        return f"自 {membership.start} 起才列入积分制管理"
    assert member.left is not None
    return f"已于 {member.left.date} 不再列入积分制管理（{LEFT_NAMES[member.left.reason]}）"


def scorable(ds: Dataset) -> bool:
    """Can the data be scored as it stands? ``score.py`` assumes every reference
    resolves; with a record missing or unresolved, eligibility would be judged on the
    wrong totals, so those checks wait until the other errors are fixed."""
    org = ds.organization
    if org is None or any(ds.files.broken.values()):
        return False
    if any(m.branch not in org.branches for m in ds.members.values()):
        return False
    for meeting in ds.meetings:
        for key in ATTENDANCE_NAMES:
            if any(ident not in ds.members for ident in getattr(meeting, key)):
                return False
    for event, rule in zip(ds.events, ds.derived.event_rules, strict=True):
        if event.member not in ds.members:
            continue
        if rule is None or (event.points is None and rule.points is None
                            and counts(event, rule.kind)):
            return False
    return True


def list_rule(ds: Dataset, action: str) -> str:
    """Who is on a year-end list, in words (the policy's lines)."""
    p = ds.policy
    return {"probation_cancelled": f"年度积分低于 {p.probationary_below} 分的预备党员",
            "not_development_target": f"年度积分低于 {p.activist_below} 分的入党积极分子",
            "transfer_postponed": f"年度积分低于 {p.flowing_below} 分的流动党支部人员"}[action]


def _not_eligible(ds: Dataset, s: Standing) -> str | None:
    """Why a member cannot be 优秀党员 (None: a candidate, as score.py flags it)."""
    if "excellent_candidate" in s.flags:
        return None
    outside = _out_of_scope(ds, s.member, s.year)
    if outside is not None:
        return outside
    if s.category not in PARTY:
        return f"年末是{CATEGORY_NAMES[s.category]}，优秀党员从党员中评选"
    if s.score is None:
        return "暂不列入积分制管理"
    if "vetoed" in s.flags:
        return "本年度被一票否决"
    return f"年度积分 {s.score} 分，低于 {ds.policy.excellent_at_least} 分"


def _off_list(ds: Dataset, s: Standing, action: str) -> str:
    """Why a member is not on the list of ``action``."""
    m = s.member
    outside = _out_of_scope(ds, m, s.year)
    if outside is not None:
        return outside
    branch = ds.organization.branches.get(s.branch) if ds.organization else None
    during = ds.membership(m).categories_between(f"{s.year}-01-01", year_end(s.year))
    if action == "probation_cancelled" and "probationary" not in during:
        return f"{s.year} 年是{CATEGORY_NAMES[s.category]}"
    if action == "not_development_target" and "activist" not in during:
        return f"{s.year} 年是{CATEGORY_NAMES[s.category]}"
    if action == "transfer_postponed" and (branch is None or branch.kind != "flowing"):
        return "年末不是流动党支部人员"
    if s.score is None:
        return "暂不列入积分制管理"
    return f"年度积分 {s.score} 分"


# --- validation -------------------------------------------------------------------------------

def check_nominations(ds: Dataset, ctx: Context) -> Iterator[Diagnostic]:
    """The year-end selection files: each on its own, then each year across files."""
    found = ds.nominations
    if not found.files:
        return
    by_year: dict[int, list[NominationFile]] = defaultdict(list)
    for f in found.files:
        over = yield from _check_file(ds, ctx, f)
        if over:
            by_year[f.year].append(f)
    ready = ctx.loaded_cleanly and scorable(ds)
    for year, files in sorted(by_year.items()):
        partial = None in found.broken_years or year in found.broken_years
        yield from _check_year(ds, year, files, ready, partial)


def _check_file(ds: Dataset, ctx: Context, f: NominationFile
                ) -> Generator[Diagnostic, None, bool]:
    """Where the file is, what it holds, its dates. Returns whether its year is over."""
    suffix = f.relative[f.relative.rfind("."):]
    parts = f.relative.split("/")
    if f.branch is None and len(parts) == 3:
        # in a folder, without ``branch``: a branch's file that does not say whose it is
        yield diag("E803", f.path, ("year",), problem=(
            f"nominations/{parts[1]}/ 中是党支部的文件，须写明 branch（党支部编号）；"
            f"党工委的认定和决定写在 nominations/{f.year}.yaml 中。"))
        return False
    if f.branch is None:
        expected = f"nominations/{f.year}{suffix}"
        what = "党工委的认定和决定一年一个文件，放在 nominations/ 下"
    else:
        expected = f"nominations/{f.branch}/{f.year}{suffix}"
        what = "党支部的初定和党总支初审一支部一年一个文件，放在该支部的文件夹中"
    if f.relative != expected:
        yield diag("E802", f.path, ("branch",) if f.branch else ("year",), expected=expected,
                   what=what)
    org = ds.organization
    if f.branch is not None and org is not None and f.branch not in org.branches and (
            f.branch not in ds.files.broken_ids("branch")):
        yield diag("E302", f.path, ("branch",), id=f.branch)
    yield from _check_sections(f)
    end = year_end(f.year)
    if ctx.today <= end:
        yield diag("E801", f.path, ("year",), year=f.year, today=ctx.today)
        return False
    for pointer, date, label in _dates(f):
        if not real_date(date):
            yield diag("E206", f.path, pointer, value=date)
        elif date > ctx.today:
            yield diag("E501", f.path, pointer, date=date, today=ctx.today)
        elif date <= end:
            yield diag("E807", f.path, pointer, problem=(
                f"{label}日期 {date} 应在 {f.year} 年度结束（{end}）之后：年度积分以全年为准。"
                "请核对日期或 year。"))
    return True


def _check_sections(f: NominationFile) -> Iterator[Diagnostic]:
    if f.branch is not None:
        for key, name in (("confirmed", "党工委认定"), ("decisions", "党工委决定")):
            if getattr(f, key):
                yield diag("E803", f.path, (key,), problem=(
                    f"{name}（{key}）写在党工委的文件 nominations/{f.year}.yaml 中，由党工委办公室"
                    "审核；党支部的文件只写 nominated（支部初定）和 review（党总支初审）。"
                    "请把这一部分移过去。"))
        if f.nominated is None:
            yield diag("E803", f.path, ("branch",), problem=(
                "党支部的文件须写明支部初定 nominated：初定日期 date 和推荐人选 members"
                "（按推荐顺序；没有人选时写 members: []）。"))
        return
    for key, name in (("nominated", "支部初定"), ("review", "党总支初审")):
        if getattr(f, key) is not None:
            yield diag("E803", f.path, (key,), problem=(
                f"{name}（{key}）写在党支部的文件 nominations/支部编号/{f.year}.yaml 中，"
                "并写明 branch；党工委的文件只写 confirmed（党工委认定）和 decisions（党工委决定）。"
                "请把这一部分移过去。"))


def _dates(f: NominationFile) -> Iterator[tuple[Pointer, str, str]]:
    for key, stage, label in (("nominated", f.nominated, "支部初定"),
                              ("review", f.review, "党总支初审"),
                              ("confirmed", f.confirmed, "党工委认定")):
        if stage is not None:
            yield (key, "date"), stage.date, label
    for d in f.decisions:
        yield d.at("date"), d.date, "党工委决定"


@dataclass
class _Year:
    """What the checks of one year share."""

    ds: Dataset
    year: int
    final: dict[str, Standing] | None  # None: the data cannot be scored yet
    reported: set[str] = field(default_factory=set)  # members already found not eligible

    def member(self, f: NominationFile, pointer: Pointer, ident: str, seen: set[str],
               where: str) -> Iterator[Diagnostic]:
        """Unknown ids and repeats in one list (yields); records ``ident`` as seen."""
        if ident in seen:
            yield diag("E809", f.path, pointer, member=ident, where=where)
            return
        seen.add(ident)
        if ident not in self.ds.members and ident not in self.ds.files.broken_ids("member"):
            yield diag("E303", f.path, pointer, id=ident)

    def eligible(self, f: NominationFile, pointer: Pointer, ident: str
                 ) -> Iterator[Diagnostic]:
        if self.final is None or ident in self.reported or ident not in self.final:
            return
        s = self.final[ident]
        reason = _not_eligible(self.ds, s)
        if reason is not None:
            self.reported.add(ident)
            yield diag("E804", f.path, pointer, member=ident, name=s.member.name,
                       year=self.year, reason=reason,
                       threshold=self.ds.policy.excellent_at_least)


def _check_year(ds: Dataset, year: int, files: list[NominationFile], ready: bool,
                partial: bool) -> Iterator[Diagnostic]:
    """Across the files of one year: the lists, the stage order, the share, decisions.
    ``partial``: a file of the year failed the schema, so cross-file order is not judged."""
    branch_files: dict[str, NominationFile] = {}
    committee: NominationFile | None = None
    for f in files:
        if f.branch is None:
            if committee is not None:
                yield diag("E301", f.path, ("year",), id=str(year), other=committee.path,
                           kind="年度认定")
                continue
            committee = f
        elif f.branch in branch_files:
            yield diag("E301", f.path, ("branch",), id=f"{f.branch} {year}",
                       other=branch_files[f.branch].path, kind="年度推荐")
        else:
            branch_files[f.branch] = f
    state = _Year(ds, year, final_standings(ds, year) if ready else None)
    for f in branch_files.values():
        yield from _check_branch_file(state, f)
    if committee is not None:
        yield from _check_confirmed(state, committee, branch_files, partial)
        yield from _check_decisions(state, committee, partial)


def _check_branch_file(state: _Year, f: NominationFile) -> Iterator[Diagnostic]:
    ds = state.ds
    nominated = f.nominated
    if nominated is None:
        return  # E803 says so
    seen: set[str] = set()
    for i, ident in enumerate(nominated.members):
        pointer: Pointer = ("nominated", "members", i)
        problems = list(state.member(f, pointer, ident, seen, "支部初定名单"))
        yield from problems
        member = ds.members.get(ident)
        if problems or member is None:
            continue
        branch = year_branch(ds, member, state.year)
        if branch != f.branch:
            yield diag("E805", f.path, pointer, member=ident, name=member.name,
                       branch=branch, file_branch=f.branch, year=state.year)
            continue
        yield from state.eligible(f, pointer, ident)
    review = f.review
    if review is None:
        return
    seen = set()
    for i, ident in enumerate(review.members):
        pointer = ("review", "passed", i)
        problems = list(state.member(f, pointer, ident, seen, "党总支初审通过名单"))
        yield from problems
        if not problems and ident not in nominated.members:
            yield diag("E806", f.path, pointer, problem=(
                f"党总支初审通过的 {ident} 不在支部初定名单（nominated.members）中："
                "初审只能在支部初定的人选中进行。请核对。"))
    if real_date(review.date) and real_date(nominated.date) and review.date < nominated.date:
        yield diag("E807", f.path, ("review", "date"), problem=(
            f"党总支初审日期 {review.date} 早于支部初定日期 {nominated.date}。请核对。"))


def _check_confirmed(state: _Year, c: NominationFile, branch_files: dict[str, NominationFile],
                     partial: bool) -> Iterator[Diagnostic]:
    ds, year = state.ds, state.year
    confirmed = c.confirmed
    if confirmed is None:
        return
    org = ds.organization
    seen: set[str] = set()
    late: set[str] = set()  # branches whose stage is dated after the confirmation
    for i, ident in enumerate(confirmed.members):
        pointer: Pointer = ("confirmed", "members", i)
        problems = list(state.member(c, pointer, ident, seen, "党工委认定名单"))
        yield from problems
        member = ds.members.get(ident)
        if problems or member is None:
            continue
        yield from state.eligible(c, pointer, ident)
        at_end = year_branch(ds, member, year)
        if ident in state.reported or partial or org is None or at_end not in org.branches:
            continue
        branch = org.branches[at_end]
        general = branch.general_branch
        own = branch_files.get(branch.id)
        where = f"nominations/{branch.id}/{year}.yaml"
        problem = ""
        if own is None or own.nominated is None:
            problem = (f"{ident}（{member.name}）所在的党支部“{branch.id}”没有支部初定（{where}）："
                       "优秀党员须经党支部初定、党总支初审后由党工委认定。")
        elif ident not in own.nominated.members:
            problem = f"{ident}（{member.name}）不在党支部“{branch.id}”的初定名单中（{where}）。"
        elif general and own.review is None:
            name = org.general_branches.get(general) or general
            problem = (f"党支部“{branch.id}”的初定尚未经党总支（{name}）初审：请先在 {where} "
                       "中登记 review。")
        elif own.review is not None and ident not in own.review.members:
            problem = f"{ident}（{member.name}）未通过党总支初审（{where} 的 review.passed）。"
        if problem:
            yield diag("E806", c.path, pointer, problem=problem + "请从认定名单中删除，或先完成前面的步骤。")
            continue
        assert own is not None and own.nominated is not None
        last = own.review or own.nominated
        if branch.id not in late and real_date(last.date) and real_date(confirmed.date) and (
                confirmed.date < last.date):
            late.add(branch.id)
            stage = "党总支初审" if own.review else "支部初定"
            yield diag("E807", c.path, ("confirmed", "date"), problem=(
                f"党工委认定日期 {confirmed.date} 早于党支部“{branch.id}”的{stage}日期 "
                f"{last.date}。请核对。"))
    share = ds.policy.excellent_share
    if share is not None:
        final_day = year_end(year)
        total = sum(1 for m in ds.members.values()
                    if ds.membership(m).in_scope(final_day)
                    and ds.membership(m).category_on(final_day) in PARTY
                    and not m.exempt_on(final_day))
        limit = math.floor(share * total + 1e-9)
        if len(seen) > limit:
            yield diag("E808", c.path, ("confirmed", "members"), count=len(seen),
                       share=f"{share:g}", year=year, total=total, limit=limit)


def _check_decisions(state: _Year, c: NominationFile, partial: bool) -> Iterator[Diagnostic]:
    ds, final = state.ds, state.final
    seen: set[tuple[str, str]] = set()
    for d in c.decisions:
        key = (d.member, d.action)
        if key in seen:
            yield diag("E809", c.path, d.at("member"), member=d.member,
                       where=f"党工委决定（{DECISION_NAMES[d.action]}）")
            continue
        seen.add(key)
        member = ds.members.get(d.member)
        if member is None:
            if d.member not in ds.files.broken_ids("member"):
                yield diag("E303", c.path, d.at("member"), id=d.member)
            continue
        if final is not None and d.action not in final[d.member].flags:
            yield diag("E810", c.path, d.at("action"), member=d.member, name=member.name,
                       year=state.year, action_name=DECISION_NAMES[d.action],
                       why=_off_list(ds, final[d.member], d.action),
                       rule=list_rule(ds, d.action))
    if final is None or partial or not (c.confirmed or c.decisions):
        return
    pointer: Pointer = ("decisions",) if c.decisions else ("year",)
    for s in sorted(final.values(), key=lambda s: s.member.id):
        for action in ACTIONS:
            if action in s.flags and (s.member.id, action) not in seen:
                yield diag("W201", c.path, pointer, member=s.member.id, name=s.member.name,
                           year=state.year, action_name=DECISION_NAMES[action])


# --- where a year's selection stands, for the bulletin ------------------------------------------

@dataclass(frozen=True)
class Progress:
    """A year's selection as it stood on ``as_of``: a stage dated later is not done yet."""

    year: int
    as_of: str
    files: dict[str, NominationFile]  # branch -> its file
    committee: NominationFile | None

    def _done(self, stage: Stage | None) -> Stage | None:
        return stage if stage is not None and stage.date <= self.as_of else None

    def nominated(self, branch: str) -> Stage | None:
        f = self.files.get(branch)
        return self._done(f.nominated) if f else None

    def review(self, branch: str) -> Stage | None:
        f = self.files.get(branch)
        return self._done(f.review) if f and self.nominated(branch) else None

    @property
    def confirmed(self) -> Stage | None:
        return self._done(self.committee.confirmed) if self.committee else None

    @property
    def decisions(self) -> list[Decision]:
        if self.committee is None:
            return []
        return [d for d in self.committee.decisions if d.date <= self.as_of]


def progress(ds: Dataset, year: int, as_of: str) -> Progress:
    files: dict[str, NominationFile] = {}
    committee: NominationFile | None = None
    for f in sorted(ds.nominations.files, key=lambda f: f.path):
        if f.year != year:
            continue
        if f.branch is None:
            committee = committee or f
        else:
            files.setdefault(f.branch, f)
    return Progress(year, as_of, files, committee)
