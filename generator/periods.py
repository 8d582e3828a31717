"""Periods: the calendar the scheme runs on, in one place.

The regulation's cycle is the calendar year (“以一年为一个积分周期”); registration is
monthly (月登记), announcement quarterly (季通报), and a quarter's figures are published
for a window of days after the branch committee's review (公示期). Every module asks
this one for years, quarters, months and windows; it imports nothing of ours.

Dates are ISO strings (``YYYY-MM-DD``) throughout the package: they sort and compare
correctly as text, and need no conversion on the hot paths.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")
QUARTER_ENDS = ("03-31", "06-30", "09-30", "12-31")
WINDOW_DAYS = 7  # the default length of a publication window (公示期), in days
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")


@cache
def real_date(text: str | None) -> bool:
    """Is ``text`` a date that exists (``2025-02-30`` is not)? Schemas check only the shape."""
    if text is None:
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def add_days(date: str, days: int) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=days)).isoformat()


def add_months(date: str, months: int) -> str:
    """``date`` plus whole months, the day held at the month's last day."""
    d = dt.date.fromisoformat(date)
    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1])).isoformat()


def month_end(year: int, month: int) -> str:
    return f"{year}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


# --- years --------------------------------------------------------------------------------------

def year_start(year: int | str) -> str:
    return f"{year}-01-01"


def year_end(year: int | str) -> str:
    return f"{year}-12-31"


def year_as_of(year: int, today: str) -> str:
    """How far a year can be scored on ``today``: its last day, or today if earlier."""
    return min(year_end(year), today)


def year_closing(year: int | str) -> str:
    """The last day a correction can still change ``year``'s total: 31 January of the
    next year (a correction dated in January, before the 党工委's year-end decisions,
    corrects the year before; the published Q4 figure stays as published)."""
    return f"{int(year) + 1}-01-31"


def year_final(year: int, today: str) -> str:
    """How far ``year`` is known on ``today``, its January corrections included: its
    closing day (``year_closing``), or today if earlier. Scoring a year as of a day after
    its end gives the year's total with the year-end flags."""
    return min(year_closing(year), today)


def is_year_end(date: str) -> bool:
    return date.endswith("-12-31")


# --- quarters ------------------------------------------------------------------------------------

def quarter_of(date: str) -> str:
    """``2026-08-03`` → ``2026-Q3`` (the hot-path form of ``Quarter.of``)."""
    return f"{date[:4]}-Q{(int(date[5:7]) + 2) // 3}"


def quarter_bounds(code: str) -> tuple[str, str]:
    """``2026-Q3`` → (``2026-07-01``, ``2026-09-30``)."""
    year, n = code[:4], int(code[-1])
    return f"{year}-{3 * n - 2:02d}-01", f"{year}-{QUARTER_ENDS[n - 1]}"


@dataclass(frozen=True, slots=True, order=True)
class Quarter:
    """A quarter of a year (季度): the period of one announcement (季通报)."""

    year: int
    number: int  # 1–4

    @staticmethod
    def parse(text: str) -> Quarter | None:
        """``2026-Q3`` → Quarter(2026, 3); None when it is not written that way."""
        found = _QUARTER.fullmatch(text)
        return Quarter(int(found[1]), int(found[2])) if found else None

    @staticmethod
    def of(date: str) -> Quarter:
        return Quarter(int(date[:4]), (int(date[5:7]) + 2) // 3)

    @staticmethod
    def all_of(year: int) -> tuple[Quarter, ...]:
        return tuple(Quarter(year, n) for n in range(1, 5))

    @property
    def code(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> str:
        return quarter_bounds(self.code)[0]

    @property
    def end(self) -> str:
        return quarter_bounds(self.code)[1]

    @property
    def name(self) -> str:
        return f"{self.year}年{QUARTER_NAMES[self.number - 1]}"

    @property
    def slug(self) -> str:
        """Where its pages live on the bulletin: ``2026/q3``."""
        return f"{self.year}/q{self.number}"

    def contains(self, date: str) -> bool:
        return self.start <= date <= self.end


# --- publication windows (公示期) ------------------------------------------------------------------

def window(start: str, until: str | None = None) -> tuple[str, str]:
    """A publication window from ``start``: to ``until``, or ``WINDOW_DAYS`` days long."""
    return start, until or add_days(start, WINDOW_DAYS - 1)
