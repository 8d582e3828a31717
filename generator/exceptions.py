"""The few real aborts: a command used wrongly, or a step that cannot go on.

Problems in the data are never exceptions (they are ``errors.Diagnostic`` values);
these are for the command line and the world around the data.
"""

from __future__ import annotations


class JifenError(Exception):
    """An abort whose message is for the user, in Chinese."""


class UsageError(JifenError):
    """The command was used wrongly (exit status 2)."""
