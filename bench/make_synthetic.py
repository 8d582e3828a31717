"""Generate a valid synthetic jifen data directory at scale, for benchmarks.

Usage::

    python bench/make_synthetic.py OUT_DIR --members 20000 --events 500000 --year 2025 [--seed 1]

The output follows the layout of ``data/``: ``organization.yaml``, ``policy.yaml``,
``rules/*.yaml`` (copied from the repository), one file per member under
``members/<branch>/``, one meetings file per branch and year under ``meetings/<branch>/``
and one batch per branch and month under ``events/<branch>/`` (deductions) and
``additions/<branch>/`` (additions).

Invariants the generated data keeps, so that ``jifen validate`` reports no errors:

* branches hold about 50 members each; kinds are a mix of enterprise, village and
  flowing, plus exactly one education branch; every flowing member has a
  ``transfer_to`` pointing at a village branch;
* rule values come from the catalogue: fixed-value rules either omit ``points`` or
  give exactly the value, range rules always give ``points`` inside the range;
  attendance rules (K1.x) are never registered by hand; once-per-year rules are
  used at most once per member; veto rules are very rare;
* additions always carry ``evidence`` and a ``status``: approved, except a share
  ``--pending`` (default 0) of the last month's, still declared or verified; jifen
  warns (W102) about additions pending for long, so ``--pending 0`` gives a set
  without warnings; deductions have no status or ``registered``; a void event
  (0.1%) always has a ``void_reason``;
* no member has two events with the same rule on the same day (avoids W104), unless
  ``--duplicates SHARE`` asks for that share of events to repeat an earlier event's
  member, rule and day (the realistic case: jifen warns, W104, and goes on);
* ``--errors N`` then spoils N records or files in ways registrars do (an unknown
  member, wrong points, a date that does not exist, an unknown rule, a meeting listing
  an unknown member, a file that is not YAML): each is an error jifen reports;
* every date lies inside its month, in the requested year, and before today;
* exempt members (exempt since before the year) get no events and no attendance.

YAML is written as text with f-strings (``yaml.dump`` is far too slow for 500k
records). The output is deterministic for a given seed (and a given "today" when
the year is the current one).
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import datetime as dt
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
MEMBERS_PER_BRANCH = 50

# Relative frequency of each rule code among generated events. Additions weigh
# about 70% and deductions 30%, which keeps most yearly scores between 50 and 120
# at 25 events per member. Codes missing here but present in the catalogue get
# weight 0 (never generated); attendance rules are always excluded.
WEIGHTS: dict[str, float] = {
    # additions
    "J3": 40.0,
    "J1": 15.0,
    "J2": 10.0,
    "J5.1": 10.0,
    "J4": 4.0,
    "J5.2": 4.0,
    "J5.3": 2.0,
    "J6": 1.5,
    "J7": 2.0,
    # deductions (scaled to about 30% of all events below)
    "K7": 60.0,
    "K3.2": 10.0,
    "K2.2": 6.0,
    "K10": 5.0,
    "K8": 4.0,
    "K6.1": 3.0,
    "K9.2": 3.0,
    "K5": 2.0,
    "K6.2": 1.0,
    # once per year: used rarely and never twice for the same member
    "K2.1": 0.4,
    "K3.1": 0.6,
    # veto rules: almost never
    "K4.1": 0.02,
    "K4.2": 0.01,
    "K4.3": 0.005,
    "K4.4": 0.005,
    "K9.1": 0.01,
}
ADDITION_SHARE = 0.70

NOTES: dict[str, tuple[str, ...]] = {
    "J1": ("向困难职工捐款", "参与慈善一日捐", "为村里修路出资出力", "结对帮扶困难家庭"),
    "J2": ("调处同事矛盾一起", "调处邻里纠纷", "协助调处劳资纠纷"),
    "J3": ("参加水环境整治志愿服务", "参加创卫整治志愿服务", "参加社区清洁志愿活动"),
    "J4": ("园区重点工程现场协调", "重点项目攻坚小组骨干"),
    "J5.1": ("获公司年度先进工作者", "获车间优秀员工表彰"),
    "J5.2": ("获东阳市级表彰",),
    "J5.3": ("获金华市级表彰", "获省级表彰"),
    "J6": ("参与完成生产线技改项目",),
    "J7": ("先进事迹被市电视台报道", "事迹被日报报道"),
    "K2.1": ("无故不执行支部决议",),
    "K2.2": ("拒不接受支部交办任务",),
    "K3.1": ("全年未联系群众",),
    "K3.2": ("联系群众中发生矛盾未及时沟通",),
    "K4.1": ("受党内警告处分",),
    "K4.2": ("受党内严重警告处分",),
    "K4.3": ("受撤销党内职务处分",),
    "K4.4": ("受留党察看处分",),
    "K5": ("挪用集体资金未构成处分",),
    "K6.1": ("参与群体性事件",),
    "K6.2": ("直接参与上访",),
    "K7": ("违反车间安全管理规定", "违反考勤制度", "违反公司保密规定"),
    "K8": ("在群内转发不当言论",),
    "K9.1": ("组织参与封建迷信活动",),
    "K9.2": ("直系亲属参与迷信活动未劝教",),
    "K10": ("邻里纠纷处理不当", "与同事发生冲突"),
}
EVIDENCE: dict[str, str] = {
    "J1": "捐款收据",
    "J2": "调解协议书",
    "J3": "志愿服务签到表",
    "J4": "项目验收报告",
    "J5.1": "表彰文件",
    "J5.2": "表彰文件",
    "J5.3": "表彰文件",
    "J6": "技改项目验收报告",
    "J7": "媒体报道截图",
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅志新宇浩晨欣怡俊峰海燕玲斌"
COMPANY_A = "华宇恒泰金鼎东瑞新科永盛嘉禾天成博远鸿达中和正通"
COMPANY_B = ("机械", "纺织", "电子", "建材", "化工", "家具", "印务", "物流", "食品", "医药")
VILLAGES = "上下东西南北前后新老大小"
VILLAGE_B = "溪塘岭山湾桥岙宅庄店"
EDUCATION_LEVELS = ("初中", "高中", "中专", "大专", "本科", "本科", "硕士")
POSTS = (("书记",), ("组织委员",), ("宣传委员",))


@dataclass
class Rule:
    """One rule as the generator needs it."""

    code: str
    addition: bool
    points: int | None  # fixed value, or None for a range rule
    lo: int = 0
    hi: int = 0
    once: bool = False


@dataclass
class Member:
    """A generated member; ``active`` members get events and attendance."""

    id: str
    index: int
    active: bool = True
    used_once: set[str] = field(default_factory=set)


@dataclass
class Branch:
    """A generated branch with its members."""

    id: str
    name: str
    kind: str
    general: str | None
    members: list[Member] = field(default_factory=list)


def load_rules(year: int) -> list[Rule]:
    """Rules of the catalogue in force during the whole year, without attendance rules."""
    doc = yaml.safe_load((REPO / "data" / "rules" / "enterprise.yaml").read_text("utf-8"))
    first, last = f"{year}-01-01", f"{year}-12-31"
    rules: list[Rule] = []
    for raw in doc["rules"]:
        if raw.get("attendance"):
            continue
        if str(raw.get("from", first)) > first or str(raw.get("until", last)) < last:
            continue
        addition = raw["kind"] == "addition"
        if "range" in raw:
            lo, hi = raw["range"]
            rules.append(Rule(raw["code"], addition, None, lo, hi))
        else:
            pts = raw["points"]
            rules.append(Rule(raw["code"], addition, pts, pts, pts))
        rules[-1].once = raw.get("limit") == "once_per_year"
    return rules


def last_days(year: int, today: dt.date) -> dict[int, int]:
    """Month -> last usable day of that month (dates must be before today)."""
    result: dict[int, int] = {}
    for month in range(1, 13):
        last = calendar.monthrange(year, month)[1]
        limit = today - dt.timedelta(days=1)
        if dt.date(year, month, 1) > limit:
            continue
        if (year, month) == (limit.year, limit.month):
            last = limit.day
        result[month] = last
    return result


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def make_branches(members: int, rng: random.Random) -> list[Branch]:
    """Branches of about 50 members: one education branch, then enterprise/village/flowing."""
    count = max(3, -(-members // MEMBERS_PER_BRANCH))
    width = max(4, len(str(count)))
    branches: list[Branch] = []
    for i in range(count):
        bid = f"b{i + 1:0{width}d}"
        if i == 0:
            kind, name = "education", "党性教育党支部"
        elif i % 10 in (3, 7) or i == 1:
            kind = "village"
            name = f"{VILLAGES[i % len(VILLAGES)]}{VILLAGE_B[(i // 12) % 10]}{i}村党支部"
        elif i % 10 == 5:
            kind, name = "flowing", f"第{i}企业流动党支部"
        else:
            kind = "enterprise"
            a = COMPANY_A[i % len(COMPANY_A)] + COMPANY_A[(i * 7 + 3) % len(COMPANY_A)]
            name = f"{a}{COMPANY_B[i % len(COMPANY_B)]}有限公司（{i}）党支部"
        general = f"gb{i // 20 + 1:03d}" if kind == "enterprise" else None
        branches.append(Branch(bid, name, kind, general))
    # Spread the members evenly over the branches.
    mwidth = max(5, len(str(members)))
    for i in range(members):
        branch = branches[i * count // members]
        member = Member(f"m{i + 1:0{mwidth}d}", len(branch.members))
        member.active = rng.random() >= 0.003  # about 0.3% exempt
        branch.members.append(member)
    return branches


def write_organization(out: Path, branches: list[Branch]) -> None:
    lines = [
        "# Synthetic organisation generated by bench/make_synthetic.py.",
        "committee: 合成测试街道非公企业党工委",
        "general_branches:",
    ]
    generals = sorted({b.general for b in branches if b.general})
    for g in generals:
        lines += [f"  - id: {g}", f"    name: 第{int(g[2:])}非公企业党总支"]
    lines.append("branches:")
    for b in branches:
        lines += [f"  - id: {b.id}", f"    name: {b.name}", f"    kind: {b.kind}",
                  f'    registrars: ["@{b.id}-registrar"]']
        if b.general:
            lines.append(f"    general_branch: {b.general}")
    (out / "organization.yaml").write_text("\n".join(lines) + "\n", "utf-8")


def write_members(out: Path, branches: list[Branch], year: int, rng: random.Random) -> None:
    villages = [b.id for b in branches if b.kind == "village"]
    for b in branches:
        folder = out / "members" / b.id
        folder.mkdir(parents=True)
        for m in b.members:
            roll = rng.random()
            category = "full" if roll < 0.85 else ("probationary" if roll < 0.93 else "activist")
            if m.index < len(POSTS):
                category = "full"  # branch committee members are full members
            lines = [
                f"id: {m.id}",
                f"name: {person_name(rng)}",
                f"branch: {b.id}",
                f"category: {category}",
                f"gender: {'男' if rng.random() < 0.62 else '女'}",
            ]
            if category == "full":
                lines.append(f"joined: {rng.randint(1975, year - 2)}-{rng.randint(1, 12):02d}")
            elif category == "probationary":
                lines.append(f"joined: {year - 1}-{rng.randint(1, 12):02d}")
            lines.append(f"education: {rng.choice(EDUCATION_LEVELS)}")
            if m.index < len(POSTS) and m.active:
                lines.append(f"posts: [{', '.join(POSTS[m.index])}]")
            if b.kind == "flowing":
                lines.append(f"transfer_to: {villages[rng.randrange(len(villages))]}")
            if not m.active:
                start = dt.date(year - 1, rng.randint(1, 12), rng.randint(1, 28))
                approved = start - dt.timedelta(days=rng.randint(0, 20))
                lines += [
                    "exempt:",
                    f"  from: {start.isoformat()}",
                    "  reason: 年老体弱长期卧床",
                    f"  approved_on: {approved.isoformat()}",
                ]
            (folder / f"{m.id}.yaml").write_text("\n".join(lines) + "\n", "utf-8")


def write_meetings(
    out: Path, branches: list[Branch], year: int, months: dict[int, int], rng: random.Random
) -> int:
    """Monthly meetings with small absent/leave/late/early lists; returns the count."""
    total = 0
    for b in branches:
        active = [m.id for m in b.members if m.active]
        lines = [f"branch: {b.id}", "meetings:"]
        for month, last in months.items():
            day = rng.randint(1, min(last, 28))
            lines += [
                f"  - id: mt-{b.id}-{year}-{month:02d}",
                f"    branch: {b.id}",
                f"    date: {year}-{month:02d}-{day:02d}",
                f"    title: {month}月主题党日",
            ]
            sizes = {
                "absent": rng.choice((0, 0, 0, 1, 1, 2)),
                "leave": rng.choice((0, 1, 1, 2, 3)),
                "late": rng.choice((0, 0, 1, 1, 2)),
                "early": rng.choice((0, 0, 0, 1)),
            }
            # One member appears in at most one list of a meeting (E504).
            picked = rng.sample(active, min(len(active), sum(sizes.values())))
            start = 0
            for key, size in sizes.items():
                names = picked[start : start + size]
                start += size
                if names:
                    lines.append(f"    {key}: [{', '.join(names)}]")
            total += 1
        folder = out / "meetings" / b.id
        folder.mkdir(parents=True)
        (folder / f"{year}.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    return total


class RulePicker:
    """Draws rules by weight, keeping once-per-year rules to one use per member."""

    def __init__(self, rules: list[Rule]) -> None:
        adds = [r for r in rules if r.addition and WEIGHTS.get(r.code, 0) > 0]
        deds = [r for r in rules if not r.addition and WEIGHTS.get(r.code, 0) > 0]
        add_total = sum(WEIGHTS[r.code] for r in adds)
        ded_total = sum(WEIGHTS[r.code] for r in deds)
        self.rules: list[Rule] = []
        self.cum: list[float] = []
        acc = 0.0
        for group, share, total in (
            (adds, ADDITION_SHARE, add_total),
            (deds, 1 - ADDITION_SHARE, ded_total),
        ):
            for r in group:
                acc += WEIGHTS[r.code] / total * share
                self.rules.append(r)
                self.cum.append(acc)
        self.fallback = (
            next(r for r in rules if r.code == "K7")
            if any(r.code == "K7" for r in rules)
            else next(r for r in rules if not r.once)
        )

    def pick(self, rng: random.Random, member: Member) -> Rule:
        i = bisect.bisect_left(self.cum, rng.random() * self.cum[-1])
        rule = self.rules[min(i, len(self.rules) - 1)]
        if rule.once:
            if rule.code in member.used_once:
                return self.fallback
            member.used_once.add(rule.code)
        return rule


def event_block(
    rng: random.Random, rule: Rule, eid: str, member: str, date: str, pending: float
) -> str:
    """The YAML text of one event; a share ``pending`` of additions is not yet approved."""
    note = NOTES.get(rule.code, ("登记",))
    text = f"  - id: {eid}\n    member: {member}\n    rule: {rule.code}\n    date: {date}\n"
    if rule.points is None:
        text += f"    points: {rng.randint(rule.lo, rule.hi)}\n"
    elif rng.random() < 0.3:
        text += f"    points: {rule.points}\n"
    text += f"    note: {note[rng.randrange(len(note))]}\n"
    roll = rng.random()
    if rule.addition:
        text += f"    evidence: {EVIDENCE.get(rule.code, '书面记录')} {date}\n"
        if roll < 0.001:
            status = "void\n    void_reason: 重复登记，予以作废"
        elif roll < 0.001 + pending / 2:
            status = "declared"
        elif roll < 0.001 + pending:
            status = "verified"
        else:
            status = f"approved\n    approved_by: 党工委\n    approved_on: {date}"
        text += f"    status: {status}\n"
    elif roll < 0.001:
        text += "    status: void\n    void_reason: 登记有误，予以作废\n"
    elif roll < 0.3:
        text += "    status: registered\n"
    return text


def write_events(
    out: Path,
    branches: list[Branch],
    total: int,
    year: int,
    months: dict[int, int],
    picker: RulePicker,
    rng: random.Random,
    pending_share: float,
    duplicates: float = 0.0,
) -> int:
    """Spread ``total`` events evenly over active members and usable months."""
    active = [m for b in branches for m in b.members if m.active]
    if not active or not months:
        return 0
    per_member, extra = divmod(total, len(active))
    month_list = list(months)
    nmonths = len(month_list)
    written = 0
    serial = 0  # position of the member among all active members
    for b in branches:
        members = [m for m in b.members if m.active]
        first = serial
        serial += len(members)
        folders = {kind: out / kind / b.id for kind in ("events", "additions")}
        for folder in folders.values():
            folder.mkdir(parents=True)
        for slot, month in enumerate(month_list):
            last = months[month]
            prefix = f"{year}-{month:02d}"
            drafts: list[tuple[int, str, Member, Rule]] = []
            for k, m in enumerate(members):
                j = first + k
                count = per_member + (1 if j < extra else 0)
                # Event e of member j goes to month slot (e + j) % nmonths.
                here = count // nmonths + (1 if (slot - j) % nmonths < count % nmonths else 0)
                taken: set[tuple[str, int]] = set()
                mine: list[tuple[Rule, int]] = []
                for _ in range(here):
                    if duplicates and mine and rng.random() < duplicates:
                        # a duplicate-looking event: an earlier one's rule and day again
                        rule, day = mine[rng.randrange(len(mine))]
                        drafts.append((day, m.id, m, rule))
                        continue
                    rule = picker.pick(rng, m)
                    day = int(rng.random() * last) + 1
                    tries = 0
                    while (rule.code, day) in taken and tries < 40:
                        day = int(rng.random() * last) + 1
                        tries += 1
                    taken.add((rule.code, day))
                    if not rule.once:
                        mine.append((rule, day))
                    drafts.append((day, m.id, m, rule))
            if not drafts:
                continue
            drafts.sort(key=lambda d: (d[0], d[1]))
            # Additions where the 党工委 office reviews them, deductions with the branch.
            parts = {kind: [f"branch: {b.id}\nevents:\n"] for kind in folders}
            for n, (day, mid, _m, rule) in enumerate(drafts, 1):
                eid = f"ev-{b.id}-{prefix}-{n:04d}"
                date = f"{prefix}-{day:02d}"
                pending = pending_share if month == month_list[-1] else 0.0
                kind = "additions" if rule.code.startswith("J") else "events"
                parts[kind].append(event_block(rng, rule, eid, mid, date, pending))
            for kind, folder in folders.items():
                if len(parts[kind]) > 1:
                    (folder / f"{prefix}.yaml").write_text("".join(parts[kind]), "utf-8")
            written += len(drafts)
    return written


# How ``--errors`` spoils the data, in turn: (what, the error jifen reports).
SPOILS = ("unknown member", "wrong points", "no such date", "unknown rule",
          "meeting lists an unknown member", "not YAML")


def _spoil_event(path: Path, rng: random.Random, what: str) -> bool:
    """Spoil one event of an events file as ``what`` says; False when it has none that fits."""
    text = path.read_text("utf-8")
    blocks = text.split("\n  - id: ")
    if len(blocks) < 2:
        return False
    i = 1 + rng.randrange(len(blocks) - 1)
    block = blocks[i]
    if what == "unknown member":
        block = re.sub(r"(\n    member: )(\S+)", r"\g<1>\g<2>x", block, count=1)
    elif what == "wrong points":
        if "\n    points: " in block:
            block = re.sub(r"(\n    points: )(-?\d+)", r"\g<1>999", block, count=1)
        else:
            block = re.sub(r"(\n    date: .*)", r"\g<1>\n    points: 999", block, count=1)
    elif what == "no such date":
        block = re.sub(r"(\n    date: \d{4})-\d\d-\d\d", r"\g<1>-02-30", block, count=1)
    elif what == "unknown rule":
        block = re.sub(r"(\n    rule: )(\S+)", r"\g<1>X\g<2>", block, count=1)
    blocks[i] = block
    path.write_text("\n  - id: ".join(blocks), "utf-8")
    return True


def spoil(out: Path, count: int, seed: int) -> list[str]:
    """Put ``count`` errors into the data (see ``SPOILS``), each in another file; what
    was done, one line each."""
    rng = random.Random(seed * 7919 + count)
    events = sorted((out / "events").rglob("*.yaml"))
    meetings = sorted((out / "meetings").rglob("*.yaml"))
    done: list[str] = []
    used: set[Path] = set()
    for n in range(count):
        what = SPOILS[n % len(SPOILS)]
        pool = meetings if what == "meeting lists an unknown member" else events
        free = [p for p in pool if p not in used]
        if not free:
            break
        path = free[rng.randrange(len(free))]
        used.add(path)
        if what == "meeting lists an unknown member":
            text = path.read_text("utf-8")
            text = text.replace("    title: ", "    absent: [m-nobody]\n    title: ", 1) \
                if "    absent: " not in text else re.sub(
                    r"(    absent: \[)", r"\g<1>m-nobody, ", text, count=1)
            path.write_text(text, "utf-8")
        elif what == "not YAML":
            text = path.read_text("utf-8")
            path.write_text(text.replace("    note: ", '    note: "', 1), "utf-8")
        elif not _spoil_event(path, rng, what):
            continue
        done.append(f"{what}: {path.relative_to(out)}")
    return done


def write_closes(out: Path, year: int, today: str) -> int:
    """Close every ended quarter of ``year`` for every branch, with jifen's own code
    (the digests are jifen's to compute); a close meets on the 10th after the quarter."""
    from generator.closes import close_text
    from generator.periods import quarter_bounds
    from generator.pipeline import check

    dataset, diagnostics, _ = check(out, today=today)
    assert not [d for d in diagnostics if d.is_error], "the synthetic set is invalid"
    assert dataset.organization is not None
    written = 0
    for n in range(1, 5):
        quarter = f"{year}-Q{n}"
        end = dt.date.fromisoformat(quarter_bounds(quarter)[1])
        meeting = (end + dt.timedelta(days=10)).isoformat()
        if meeting > today:
            break
        window = (meeting, (end + dt.timedelta(days=16)).isoformat())
        for branch in dataset.organization.branches:
            path = out / "closes" / branch / f"{quarter}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(close_text(dataset, branch, quarter, meeting, window), "utf-8")
            written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="output data directory (must not exist or be empty)")
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--events", type=int, default=500000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today(),
                        help="the day the data is as of (default: today): events lie before "
                        "it, quarters whose close would meet after it stay open")
    parser.add_argument(
        "--pending",
        type=float,
        default=0.0,
        help="share of the last month's additions still declared or verified (default 0: "
        "a set without warnings; jifen warns (W102) about additions pending for long)",
    )
    parser.add_argument(
        "--closes",
        action="store_true",
        help="also close every ended quarter of every branch (jifen close), to measure what "
        "checking closed quarters costs",
    )
    parser.add_argument(
        "--duplicates",
        type=float,
        default=0.0,
        help="share of events that repeat an earlier event's member, rule and day (jifen "
        "warns, W104); default 0",
    )
    parser.add_argument(
        "--errors",
        type=int,
        default=0,
        help="spoil this many records or files (an unknown member, wrong points, a date "
        "that does not exist, an unknown rule, a meeting listing an unknown member, a "
        "file that is not YAML), each an error jifen reports; default 0",
    )
    args = parser.parse_args(argv)

    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        parser.error(f"{out} exists and is not empty")
    if args.members < 1 or args.events < 0:
        parser.error("--members must be >= 1 and --events >= 0")
    months = last_days(args.year, args.today)
    if not months:
        parser.error(f"no day of {args.year} lies in the past")

    started = time.perf_counter()
    rng = random.Random(args.seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "rules").mkdir()
    # every catalogue policy.yaml names (village branches are scored by rules/village.yaml)
    for catalogue in sorted((REPO / "data" / "rules").glob("*.yaml")):
        shutil.copyfile(catalogue, out / "rules" / catalogue.name)
    shutil.copyfile(REPO / "data" / "policy.yaml", out / "policy.yaml")

    branches = make_branches(args.members, rng)
    write_organization(out, branches)
    write_members(out, branches, args.year, rng)
    meetings = write_meetings(out, branches, args.year, months, rng)
    picker = RulePicker(load_rules(args.year))
    events = write_events(out, branches, args.events, args.year, months, picker, rng, args.pending,
                          args.duplicates)

    closes = write_closes(out, args.year, args.today.isoformat()) if args.closes else 0
    for line in spoil(out, args.errors, args.seed):
        print(f"spoilt: {line}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(
        f"{out}: {len(branches)} branches, {args.members} members, {meetings} meetings, "
        f"{events} events, {closes} closes in {elapsed:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
