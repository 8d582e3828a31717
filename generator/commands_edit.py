"""Commands that write data for registrars: ``jifen add event|meeting``, ``approve``,
``void`` (see the README)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def register(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]
             ) -> None:
    """Add the commands to the ``jifen`` parser."""
