"""Provenance: which commit last changed each record, from one pass over ``git log``.

``history`` replays ``git log --first-parent -m -p --unified=0`` over the data folder,
oldest first, keeping for every line of every file the commit that last changed it
(what ``git blame`` does, but for all files in one process). Along the first parent, a
merged pull request is one commit whose message carries its number, which is what a
reviewer of the bulletin wants to see. ``spans`` finds the lines of each ``- id:``
record in a file, so a ledger line can name the commit that last touched its record.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_PULL = re.compile(r"Merge pull request #(\d+)|\(#(\d+)\)\s*$|See merge request [^!]*!(\d+)|"
                   r"Merge branch .* \(#(\d+)\)")
_RECORD = re.compile(r"^(\s*)- id: ?['\"]?([a-z0-9][a-z0-9._-]*)", re.M)
_SEP = "\x1f"


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str  # YYYY-MM-DD (committer date)
    author: str
    subject: str
    body: str = ""

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def pull_request(self) -> int | None:
        match = _PULL.search(self.subject) or _PULL.search(self.body)
        if match is None:
            return None
        return int(next(g for g in match.groups() if g))


@dataclass
class History:
    lines: dict[str, list[Commit]] = field(default_factory=dict)  # path -> owner per line
    commits: list[Commit] = field(default_factory=list)  # newest first
    age: dict[str, int] = field(default_factory=dict)  # sha -> 0 for the newest, 1, ...

    def last_change(self, path: str, first: int, last: int) -> Commit | None:
        """The newest commit among lines ``first``..``last`` (1-based) of ``path``."""
        owners = self.lines.get(path, [])[first - 1:last]
        return min(owners, key=lambda c: self.age[c.sha]) if owners else None


def history(repo: Path, folder: str) -> History:
    """Line owners for every file below ``folder`` at HEAD; empty outside a Git work tree."""
    fmt = _SEP.join(["%x00%H", "%cs", "%an", "%s", "%b%x1e"])
    done = subprocess.run(["git", "-C", str(repo), "log", "--reverse", "--first-parent", "-m",
                           "-p", "--unified=0", "--no-renames", "--no-color",
                           f"--format={fmt}", "--", folder], capture_output=True, check=False)
    result = History()
    if done.returncode != 0:
        return result
    text = done.stdout.decode("utf-8", "replace")
    for chunk in text.split("\x00")[1:]:
        header, _, patch = chunk.partition("\x1e")
        sha, date, author, subject, body = (header.split(_SEP) + [""] * 5)[:5]
        commit = Commit(sha.strip(), date, author, subject, body.strip())
        result.commits.insert(0, commit)
        _apply(result.lines, patch, commit)
    result.age = {c.sha: i for i, c in enumerate(result.commits)}
    return result


def _apply(lines: dict[str, list[Commit]], patch: str, commit: Commit) -> None:
    path: str | None = None
    offset = 0
    for line in patch.split("\n"):
        if line.startswith("diff --git "):
            path, offset = None, 0
        elif line.startswith("+++ "):
            target = line[4:].strip()
            path = target[2:] if target.startswith("b/") else None
            if path is not None:
                lines.setdefault(path, [])
        elif line.startswith("--- ") and line[4:].strip() != "/dev/null":
            source = line[4:].strip()[2:]
            lines.setdefault(source, [])
        elif line.startswith("deleted file mode"):
            continue
        elif line.startswith("@@") and path is not None:
            match = _HUNK.match(line)
            if match is None:
                continue
            old_start, old_count = int(match.group(1)), int(match.group(2) or "1")
            new_count = int(match.group(4) or "1")
            start = (old_start - 1 if old_count else old_start) + offset
            lines[path][start:start + old_count] = [commit] * new_count
            offset += new_count - old_count
    # a deleted file shows "+++ /dev/null": forget it
    for deleted in re.findall(r"^--- a/(.+)\n\+\+\+ /dev/null", patch, re.M):
        lines.pop(deleted, None)


def spans(text: str) -> dict[str, tuple[int, int]]:
    """id -> (first line, last line) of every ``- id:`` record of a file."""
    starts = [(text.count("\n", 0, m.start()) + 1, m.group(2), len(m.group(1)))
              for m in _RECORD.finditer(text)]
    total = text.count("\n") + (0 if text.endswith("\n") else 1)
    found: dict[str, tuple[int, int]] = {}
    for i, (line, ident, _indent) in enumerate(starts):
        end = starts[i + 1][0] - 1 if i + 1 < len(starts) else total
        found[ident] = (line, end)
    return found


UNCOMMITTED = "uncommitted"


class Provenance:
    """The commit that last changed each record of a data folder in a Git work tree."""

    def __init__(self, repo: Path, history: History, dirty: set[str]) -> None:
        self.repo = repo
        self.history = history
        self.dirty = dirty
        self._spans: dict[str, dict[str, tuple[int, int]]] = {}

    def _relative(self, path: str) -> str:
        return Path(path).resolve().relative_to(self.repo).as_posix()

    def of(self, path: str, ident: str) -> Commit | str | None:
        """The commit, ``UNCOMMITTED`` for a file changed since HEAD, or None."""
        relative = self._relative(path)
        if relative in self.dirty:
            return UNCOMMITTED
        if relative not in self._spans:
            try:
                self._spans[relative] = spans((self.repo / relative).read_text("utf-8"))
            except (OSError, UnicodeDecodeError):
                self._spans[relative] = {}
        span = self._spans[relative].get(ident)
        return self.history.last_change(relative, *span) if span else None


def for_data(data_dir: Path) -> Provenance | None:
    """Provenance for ``data_dir`` if it lies in a Git work tree with history; else None."""
    try:
        root = subprocess.run(["git", "-C", str(data_dir), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, check=False)
    except OSError:  # no git on this machine: a site without provenance
        return None
    if root.returncode != 0:
        return None
    repo = Path(root.stdout.strip()).resolve()
    folder = data_dir.resolve().relative_to(repo).as_posix()
    found = history(repo, folder)
    if not found.commits:
        return None
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "-z",
                             "--untracked-files=all", "--", folder],
                            capture_output=True, check=False)
    dirty = {entry[3:] for entry in status.stdout.decode("utf-8", "replace").split("\0")
             if len(entry) > 3}
    return Provenance(repo, found, dirty)
