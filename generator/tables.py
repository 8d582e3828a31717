"""Tables the bulletin, the office's exports and the diff share, below all three.

``ScoreBook`` scores each year once (to its closing — its end and the January
corrections of it — or the as-of date) and derives earlier dates from that; it knows
which quarters are closed as of the date and who belongs to which branch on a date
(members in scope that day only: not before they joined, not after they left). ``quarter_table`` is a branch's quarterly table (季通报): the
bulletin's quarter page (``site.py``) and the office's 积分公示表 (``export.py``) are the
same rows. Public facts only: no note, evidence or void reason ever enters a row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TypedDict

from generator.derive import branch_on, in_scope
from generator.model import CATEGORY_NAMES, INDICATORS, Branch, Close, Dataset, Member
from generator.periods import Quarter, add_days, year_closing
from generator.score import FLAG_NAMES, Standing, earlier, standings


def rank(rows: list[Standing]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4) by score; members without a score are unranked."""
    scored = sorted((s for s in rows if s.score is not None), key=lambda s: -(s.score or 0))
    ranks: dict[str, int] = {}
    for s in scored:
        ranks[s.member.id] = 1 + sum(1 for o in scored if (o.score or 0) > (s.score or 0))
    return ranks


def member_link(member: Member, year: int) -> str:
    return f"members/{member.id}/{year}.md"


def flag_names(flags: tuple[str, ...]) -> list[str]:
    return [FLAG_NAMES[f] for f in flags]


class MemberRow(TypedDict):
    """A member's line in a table of the bulletin: who, and the standing's score and flags."""

    id: str
    name: str
    category: str
    score: int | None
    flags: list[str]
    link: str


class Cell(TypedDict):
    """An indicator's points in a quarter: added and deducted."""

    name: str
    plus: int
    minus: int


class QuarterRow(MemberRow):
    """A line of a branch's quarterly table."""

    rank: int | None
    start: int | None
    change: int | None
    categories: list[Cell]


def member_row(s: Standing, year: int) -> MemberRow:
    """The row of a standing: the member's category on its as-of date."""
    return MemberRow(id=s.member.id, name=s.member.name,
                     category=CATEGORY_NAMES[s.category or s.member.category], score=s.score,
                     flags=flag_names(s.flags), link=member_link(s.member, year))


def quarter_rows(ds: Dataset, q: Quarter, members: Sequence[Member],
                 now: Mapping[str, Standing], before: Mapping[str, Standing] | None
                 ) -> list[QuarterRow]:
    """The rows of a branch's quarterly table (季通报; also the office's 积分公示表,
    ``export.py``), best first: each of ``members`` as of the quarter's end (``now``),
    with the rank in the branch, the score at the quarter's start (``start``: the base
    in the first quarter, else the score in ``before``, the standings of the day before
    the quarter began), the ``change`` since, and per indicator the points added
    (``plus``) and deducted (``minus``) in the quarter. Public facts only."""
    rows: list[QuarterRow] = []
    ranks = rank([now[m.id] for m in members])
    first = q.start  # (a property: computed once, not for every entry)
    for m in members:
        s = now[m.id]
        joined = ds.membership(m).start
        start = ds.policy.base if before is None or (
            joined is not None and joined >= first) else before[m.id].score
        by_category = {c: [0, 0] for c in INDICATORS}
        for e in s.entries:
            if first <= e.date:
                by_category[e.category][0 if e.points > 0 else 1] += e.points
        rows.append(QuarterRow(
            **member_row(s, q.year), rank=ranks.get(m.id), start=start,
            change=None if s.score is None or start is None else s.score - start,
            categories=[Cell(name=c, plus=by_category[c][0], minus=by_category[c][1])
                        for c in INDICATORS]))
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["id"]))
    return rows


class ScoreBook:
    """Everyone's standings as of ``as_of``, per year and date, each year scored once."""

    def __init__(self, ds: Dataset, as_of: str) -> None:
        assert ds.organization is not None
        self.ds = ds
        self.org = ds.organization
        self.as_of = as_of
        self._standings: dict[tuple[int, str], dict[str, Standing]] = {}
        self.closes: dict[tuple[str, str], Close] = {(c.branch, c.quarter): c for c in ds.closes}
        self._at: dict[str, dict[str, list[Member]]] = {}  # date -> branch -> members

    def standing(self, year: int, date: str) -> dict[str, Standing]:
        """Every member's standing on ``date`` (members out of scope that day too, with
        no flags): scored once per year (to its closing or the as-of date), earlier
        dates derived from that. A date after the year's end is the year's total with
        its January corrections; its last day is the Q4 figure, without them."""
        key = (year, date)
        if key not in self._standings:
            last = self.cutoff(year_closing(year))
            if (year, last) not in self._standings:
                self._standings[(year, last)] = {
                    s.member.id: s for s in standings(self.ds, year, last,
                                                      only=sorted(self.ds.members))}
            full = self._standings[(year, last)]
            self._standings[key] = {i: earlier(self.ds, s, date) for i, s in full.items()}
        return self._standings[key]

    def final(self, year: int) -> dict[str, Standing]:
        """The year's standings as far as known: its total, January corrections included
        (``periods.year_closing``), or as of the as-of date if earlier."""
        return self.standing(year, self.cutoff(year_closing(year)))

    def quarters(self, year: int) -> list[Quarter]:
        return [q for q in Quarter.all_of(year) if q.start <= self.as_of]

    def months(self, year: int) -> list[int]:
        return [m for m in range(1, 13) if f"{year}-{m:02d}-01" <= self.as_of]

    def closed(self, q: Quarter, branch: str) -> Close | None:
        close = self.closes.get((branch, q.code))
        return close if close is not None and close.meeting <= self.as_of else None

    def all_closed(self, q: Quarter) -> bool:
        return all(self.closed(q, b.id) for b in self.branches())

    def cutoff(self, date: str) -> str:
        return min(date, self.as_of)

    def branches(self) -> list[Branch]:
        return sorted(self.org.branches.values(), key=lambda b: b.id)

    def members_at(self, branch: str, date: str) -> list[Member]:
        """The branch's members on ``date``, by id: in scope that day (joined, not left),
        in the branch they belonged to that day (a transfer or a laggard case moves a
        member)."""
        if date not in self._at:
            found: dict[str, list[Member]] = defaultdict(list)
            for member in sorted(self.ds.members.values(), key=lambda m: m.id):
                if in_scope(self.ds, member, date):
                    found[branch_on(self.ds, member, date)].append(member)
            self._at[date] = found
        return self._at[date].get(branch, [])

    def members_of(self, branch: str) -> list[Member]:
        """The branch's members now (on the as-of date)."""
        return self.members_at(branch, self.as_of)

    def in_year(self, member: Member, year: int) -> bool:
        """Was ``member`` in scope on some day of ``year`` up to the as-of date?"""
        return self.ds.membership(member).overlaps(f"{year}-01-01",
                                                   self.cutoff(f"{year}-12-31"))

    def quarter_table(self, q: Quarter, branch: str
                      ) -> tuple[dict[str, Standing], list[QuarterRow]]:
        """A branch's quarterly table (its standings on the quarter's end or the as-of
        date, and ``quarter_rows``): the bulletin's page and the office's export."""
        date = self.cutoff(q.end)
        now = self.standing(q.year, date)
        before = self.standing(q.year, add_days(q.start, -1)) if q.number > 1 else None
        return now, quarter_rows(self.ds, q, self.members_at(branch, date), now, before)
