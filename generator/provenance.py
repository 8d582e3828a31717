"""Provenance: which commit last changed each record, from one pass over ``git log``.

``history`` replays ``git log --first-parent -m -p --unified=0`` over the data folder,
oldest first, keeping for every line of every file the commit that last changed it
(what ``git blame`` does, but for all files in one process). Along the first parent, a
merged pull request is one commit whose message carries its number, which is what a
reviewer of the bulletin wants to see. ``spans`` finds the lines of each record (a
mapping with an ``id`` in a list) from the YAML parser's node marks, so a ledger line
can name the commit that last touched its record.

Nothing a commit can write is read as structure. Each commit's fields are
NUL-terminated, and Git stops a message at its first NUL, so a message can neither end
its own field early nor pass for a diff. The diff is parsed strictly: a file's path
comes from its quoted ``diff --git`` header, and the body of each hunk is consumed by
the line counts its header declares, so no line of data can pass for a header either.
``--text`` keeps ``.gitattributes`` from hiding a file's changes as "binary".
"""

from __future__ import annotations

import gc
import hashlib
import re
import subprocess
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import yaml
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

from generator.yamlio import compose, read_text

_HUNK = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_SHA = re.compile(rb"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_PULL = re.compile(r"Merge pull request #(\d+)|\(#(\d+)\)\s*$|See merge request [^!]*!(\d+)|"
                   r"Merge branch .* \(#(\d+)\)")
_NOREPLY = re.compile(r"(?:[0-9]+[+-])?([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
                      r"@(?:users\.)?noreply\.[A-Za-z0-9.-]+")
# Header lines git writes between "diff --git" and the first hunk of a file.
_HEADERS = (b"index ", b"--- ", b"+++ ", b"new file mode ", b"deleted file mode ",
            b"old mode ", b"new mode ", b"similarity index ", b"dissimilarity index ",
            b"Binary files ")
_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12,
            ord("r"): 13, ord('"'): 34, ord("\\"): 92}
# Line breaks for YAML but not for Git, which counts "\n" only.
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
FIELDS = 6  # sha, date, author, author e-mail, subject, body


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str  # YYYY-MM-DD (committer date)
    author: str
    subject: str
    body: str = ""
    email: str = ""  # the author's; only its forge account name is ever shown

    @property
    def account(self) -> str:
        """The author as the forge shows them: the account name in a forge's no-reply
        address (GitHub ``123+name@users.noreply.github.com``, GitLab
        ``123-name@users.noreply.gitlab.com``, Gitea ``name@noreply.<host>``), else
        the name Git recorded."""
        match = _NOREPLY.fullmatch(self.email)
        return match.group(1) if match else self.author

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


class Unreadable(Exception):
    """Git's output is not in the shape asked for: better no provenance than a wrong one."""


def log_command(repo: Path, folder: str) -> list[str]:
    fields = "%x00".join(["%H", "%cs", "%an", "%ae", "%s", "%b"]) + "%x00"
    # Whatever a user's configuration says, the output is the one the parser expects
    # (settings as "-c", which older versions of Git ignore when they lack them).
    settings = ["core.quotePath=true", "log.diffMerges=first-parent", "log.showSignature=false",
                "diff.relative=false", "diff.noprefix=false", "diff.mnemonicPrefix=false",
                "diff.suppressBlankEmpty=false"]
    return ["git", "-C", str(repo), *(a for s in settings for a in ("-c", s)),
            "--literal-pathspecs", "log", "--reverse", "--first-parent", "-m", "-p", "-z",
            "--unified=0", "--inter-hunk-context=0", "--no-renames", "--no-color",
            "--no-ext-diff", "--no-textconv", "--text", "--root", "--encoding=UTF-8",
            "--src-prefix=a/", "--dst-prefix=b/", f"--format={fields}", "--", folder]


def history(repo: Path, folder: str) -> History:
    """Line owners for every file below ``folder`` at HEAD; empty outside a Git work tree."""
    try:
        done = subprocess.run(log_command(repo, folder), capture_output=True, check=False)
    except OSError:
        return History()
    if done.returncode != 0:
        return History()
    try:
        return replay(done.stdout)
    except Unreadable:
        return History()


def replay(out: bytes) -> History:
    """Replay the output of ``log_command``, oldest commit first."""
    result = History()
    lines = result.lines
    commits = result.commits
    pos, end = 0, len(out)
    while True:
        while pos < end and out[pos] in b"\0\n":  # the separators between commits
            pos += 1
        if pos == end:
            break
        values: list[str] = []
        if not _SHA.fullmatch(out, pos, max(out.find(b"\0", pos), pos)):
            raise Unreadable("a commit without its hash")
        for _ in range(FIELDS):
            stop = out.find(b"\0", pos)
            if stop < 0:
                raise Unreadable("a commit's fields end early")
            values.append(out[pos:stop].decode("utf-8", "replace"))
            pos = stop + 1
        sha, date, author, email, subject, body = values
        commit = Commit(sha, date, author, subject, body.strip(), email)
        commits.append(commit)
        while pos < end and out[pos] in b"\0\n":
            pos += 1
        while out.startswith(b"diff --git ", pos):
            pos = _file(out, pos, lines, commit)
    commits.reverse()
    result.age = {c.sha: i for i, c in enumerate(commits)}
    return result


def _line(out: bytes, pos: int) -> tuple[bytes, int]:
    """The line at ``pos`` (without its newline) and where the next one starts."""
    stop = out.find(b"\n", pos)
    if stop < 0:
        return out[pos:], len(out)
    return out[pos:stop], stop + 1


def _file(out: bytes, pos: int, lines: dict[str, list[Commit]], commit: Commit) -> int:
    """Apply one file's part of a commit's diff; return where the next part starts."""
    header, pos = _line(out, pos)
    path = _path(header[len(b"diff --git "):])
    deleted = False
    while True:
        if out.startswith(b"deleted file mode ", pos):
            deleted = True
        if not out.startswith(_HEADERS, pos):
            break
        pos = _line(out, pos)[1]
    owners = lines.setdefault(path, [])
    offset = 0
    while out.startswith(b"@@ ", pos):
        match = _HUNK.match(out, pos)
        if match is None:
            raise Unreadable("a hunk header out of shape")
        pos = _line(out, pos)[1]
        old_start, old_count = int(match.group(1)), int(match.group(2) or b"1")
        new_count = int(match.group(4) or b"1")
        start = (old_start - 1 if old_count else old_start) + offset
        if start < 0 or start + old_count > len(owners):
            raise Unreadable("a hunk outside its file")
        pos, replacement = _hunk(out, pos, owners[start:start + old_count], new_count,
                                 commit)
        owners[start:start + old_count] = replacement
        offset += new_count - old_count
    if deleted:
        del lines[path]
    return pos


def _hunk(out: bytes, pos: int, old: list[Commit], new_count: int, commit: Commit
          ) -> tuple[int, list[Commit]]:
    """Consume a hunk's body by its counts: (where it ends, the owners of its new lines).
    Context lines (which ``--inter-hunk-context=0`` should prevent) keep their owner."""
    removed = added = 0
    replacement: list[Commit] = []
    while removed < len(old) or added < new_count:
        if pos >= len(out):
            raise Unreadable("a hunk ends early")
        kind = out[pos]
        if kind == ord("-") and removed < len(old):
            removed += 1
        elif kind == ord("+") and added < new_count:
            added += 1
            replacement.append(commit)
        elif kind in b" \n" and removed < len(old) and added < new_count:
            replacement.append(old[removed])
            removed += 1
            added += 1
        elif kind != ord("\\"):  # "\ No newline at end of file" belongs to the line above
            raise Unreadable("a hunk's body does not match its header")
        pos = out.find(b"\n", pos) + 1 or len(out)
    while out.startswith(b"\\", pos):
        pos = out.find(b"\n", pos) + 1 or len(out)
    return pos, replacement


def _path(names: bytes) -> str:
    """The file of a ``diff --git`` header (renames are off: both names are the same)."""
    if names.startswith(b'"'):
        _, rest = _unquote(names, 0)
        second, stop = _unquote(names, rest + 1)
        if stop != len(names):
            raise Unreadable("a file name out of shape")
    else:  # "a/NAME b/NAME", NAME unquoted and possibly with spaces
        half = (len(names) - 5) // 2
        second = names[-(half + 2):]
        if names != b"a/" + second[2:] + b" " + second:
            raise Unreadable("a file name out of shape")
    if not second.startswith(b"b/"):
        raise Unreadable("a file name without its prefix")
    return second[2:].decode("utf-8", "surrogateescape")  # as os.fsdecode on this system


def _unquote(text: bytes, pos: int) -> tuple[bytes, int]:
    """A C-style quoted name starting at ``pos``: (its bytes, the index after it)."""
    if text[pos:pos + 1] != b'"':
        raise Unreadable("a quoted file name out of shape")
    value = bytearray()
    i = pos + 1
    while i < len(text):
        c = text[i]
        if c == ord('"'):
            return bytes(value), i + 1
        if c == ord("\\"):
            escape = text[i + 1:i + 2]
            if escape.isdigit():
                value.append(int(text[i + 1:i + 4], 8) & 0xFF)
                i += 4
                continue
            if not escape or escape[0] not in _ESCAPES:
                raise Unreadable("an unknown escape in a file name")
            value.append(_ESCAPES[escape[0]])
            i += 2
            continue
        value.append(c)
        i += 1
    raise Unreadable("a quoted file name without its end")


def spans(text: str) -> dict[str, tuple[int, int]]:
    """id -> (first line, last line) of every record in a file: every mapping in a list
    with a scalar ``id`` (block or flow style, at any indent), placed by the parser's node
    marks. Lines are counted as Git counts them (``\\n`` only). A file that is not YAML
    has no records."""
    enabled = gc.isenabled()
    gc.disable()  # a large node graph, no cycles: the collector would only slow this down
    try:
        root = compose(text)
    except yaml.YAMLError:
        return {}
    finally:
        if enabled:
            gc.enable()
    found: dict[str, tuple[int, int]] = {}
    if root is None:
        return found
    lines = _Lines(text)
    pending: list[Node] = [root]
    while pending:
        node = pending.pop()
        cls = node.__class__
        if cls is SequenceNode:
            for item in node.value:
                if item.__class__ is MappingNode:
                    ident = _ident(item)
                    if ident is not None and ident not in found:
                        first = lines.first(item.start_mark)
                        found[ident] = (first, lines.last(_last_mark(item), first))
                if item.__class__ is not ScalarNode:
                    pending.append(item)
        elif cls is MappingNode:
            pending.extend(value for _, value in node.value if value.__class__ is not ScalarNode)
    return found


def _ident(node: MappingNode) -> str | None:
    for key, value in node.value:
        if key.__class__ is ScalarNode and key.value == "id":
            return value.value if value.__class__ is ScalarNode else None
    return None


def _last_mark(node: Node) -> yaml.Mark:
    """Where a node's text ends. A block collection's own end mark lies at the next token
    (on a later line); its last descendant's does not."""
    while isinstance(node, CollectionNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if node.__class__ is MappingNode else last
    return node.end_mark


class _Lines:
    """Node marks as 1-based line numbers the way Git counts lines (``\\n`` only)."""

    def __init__(self, text: str) -> None:
        self.text = text
        # libyaml also breaks lines at these; then its line numbers are not Git's
        self.starts: list[int] | None = None
        if any(b in text for b in _OTHER_BREAKS):
            self.starts = [0, *accumulate(len(line) + 1 for line in text.split("\n"))]

    def first(self, mark: yaml.Mark) -> int:
        if self.starts is None:
            return mark.line + 1
        return bisect_right(self.starts, mark.index)

    def last(self, mark: yaml.Mark, floor: int) -> int:
        """The line of the last character before ``mark`` that is not white space (a
        block scalar's end mark lies after the blank lines that follow it)."""
        text, end = self.text, mark.index
        index = end
        while index > 0 and text[index - 1] in " \t\r\n":
            index -= 1
        if index == 0:
            return floor
        if self.starts is None:
            return max(floor, mark.line + 1 - text.count("\n", index, end))
        return max(floor, bisect_right(self.starts, index - 1))


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
                self._spans[relative] = spans(read_text((self.repo / relative).read_bytes()))
            except (OSError, UnicodeDecodeError):
                self._spans[relative] = {}
        span = self._spans[relative].get(ident)
        return self.history.last_change(relative, *span) if span else None


    def state(self, paths: Iterable[str]) -> str:
        """A digest of all that ``of`` can say of the records of these files: whether
        each changed since HEAD, and the commit that owns each of its lines."""
        found = hashlib.blake2b(digest_size=16)
        for path in paths:
            relative = self._relative(path)
            found.update(relative.encode("utf-8", "surrogateescape")
                         + (b"\1" if relative in self.dirty else b"\0"))
            found.update("".join(c.sha for c in self.history.lines.get(relative, ())).encode())
        return found.hexdigest()


def _git_path(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def for_data(data_dir: Path) -> Provenance | None:
    """Provenance for ``data_dir`` if it lies in a Git work tree with history; else None."""
    try:
        root = subprocess.run(["git", "-C", str(data_dir), "rev-parse", "--show-toplevel"],
                              capture_output=True, check=False)
    except OSError:  # no git on this machine: a site without provenance
        return None
    if root.returncode != 0:
        return None
    repo = Path(_git_path(root.stdout.rstrip(b"\n"))).resolve()
    folder = data_dir.resolve().relative_to(repo).as_posix()
    found = history(repo, folder)
    if not found.commits:
        return None
    status = subprocess.run(["git", "-C", str(repo), "--literal-pathspecs", "status",
                             "--porcelain", "-z", "--no-renames", "--untracked-files=all",
                             "--", folder], capture_output=True, check=False)
    dirty = {_git_path(entry[3:]) for entry in status.stdout.split(b"\0") if len(entry) > 3}
    return Provenance(repo, found, dirty)
