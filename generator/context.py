"""What every check is given besides the data: the day it runs on, and whether every
file loaded cleanly (checks that score assume every record is there, so they run only
then). Below the checks of ``validate.py``, ``cases.py`` and ``nominations.py``."""

from __future__ import annotations

from dataclasses import dataclass

from generator.periods import add_days

PENDING_WARN_DAYS = 60  # an addition waiting this long for the 党工委's approval is flagged


@dataclass(frozen=True)
class Context:
    today: str  # YYYY-MM-DD
    loaded_cleanly: bool = True

    @property
    def pending_cutoff(self) -> str:
        return add_days(self.today, -PENDING_WARN_DAYS)
