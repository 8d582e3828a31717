"""The one way commands write data files (``jifen add``, ``verify``, ``approve``,
``void``, ``close``, ``correct``, ``object``, ``member``).

A writing command is wrapped by ``writing``: it holds the data directory's lock
(``writing.py``) from its first read of the data to its last write, so parallel
writers take turns and none loses another's record. It works out a ``Change`` (the
new text of one or more files, and files it removes: a member moved to another
branch's folder) and hands it to ``Session.finish``, which checks the whole data set
with those files replaced, writes only when the change brings in no new error (each
file in one rename), and prints the Git commands that propose the change as a merge
request. Problems in a file that was not written are reported without line numbers
(the lines exist only in the text that was refused), with the record they concern.

A command that asks questions (``Asker``) lets the lock go before the first one
(nobody waits while a person types) and keeps the answers; the command is then worked
out again under the lock from the data as it is by then, with the same answers.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator import edit, pipeline, yamlio
from generator.edit import EditError, Field
from generator.errors import Diagnostic
from generator.exceptions import UsageError
from generator.kinds import KINDS
from generator.load import Loaded, load, load_blobs, scan
from generator.model import Dataset
from generator.options import Console, Output, Run
from generator.writing import Lock, LockError, wait_seconds, write_atomic

Check = Callable[[str], str | None]  # an answer -> what is wrong with it (None: fine)


@dataclass
class Change:
    """What a command is about to write: new text per file, and how to describe it."""

    texts: dict[str, str] = field(default_factory=dict)  # path (as loaded) -> new text
    created: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)  # paths (as loaded) to delete
    lines: list[str] = field(default_factory=list)  # what was written, for the user
    branch: str = ""  # a Git branch name for the merge request
    message: str = ""  # the commit message
    review: str = ""  # who reviews the merge request (after a comma), if worth saying


class _Replay(Exception):
    """Raised by ``finish`` when answers were typed without the lock held."""


class Stale(Exception):
    """The data changed while the answers were typed: they no longer fit."""


class Session:
    """One run of a writing command: its lock, the answers typed so far, and the one
    way it writes (``finish``). Only ``writing`` makes one."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.lock = Lock(run.data)
        self.answers: list[tuple[str, str]] = []  # (prompt, answer)
        self.unlocked = False  # the lock was let go to ask a question
        self.replaying = False  # the second pass: answers come from ``answers``
        self._next = 0

    def check(self) -> tuple[Dataset, list[Diagnostic], int]:
        """The data as it is now (call it under the lock: before any question)."""
        return self.run.check()

    # --- questions ---

    def before_question(self) -> None:
        """A person is about to type: let the lock go (``finish`` will start over)."""
        if self.lock.held:
            self.lock.release()
            self.unlocked = True

    def keep(self, prompt: str, answer: str) -> str:
        self.answers.append((prompt, answer))
        return answer

    def replay(self, prompt: str, check: Check | None) -> str:
        stale = ("数据在填写期间被其他人修改了，刚才填写的内容可能已不适用"
                 f"（“{prompt.rstrip('：: ')}”）。请重新运行这条命令。")
        if self._next >= len(self.answers) or self.answers[self._next][0] != prompt:
            raise Stale(stale)
        answer = self.answers[self._next][1]
        self._next += 1
        problem = check(answer) if check and answer else None
        if problem is not None:
            raise Stale(f"{problem}\n{stale}")
        return answer

    # --- writing ---

    def finish(self, out: Output, change: Change, before: list[Diagnostic]) -> int:
        """The one way data is written: check the change against the whole data set;
        write it (each file in one rename) and say how to propose it, or write nothing.
        ``before`` must have been read under the lock (``check``)."""
        if self.unlocked:
            raise _Replay  # answers were typed without the lock: work it out again under it
        errors, warnings, old_errors = new_problems(self.run, change.texts, before,
                                                    change.removed)
        if errors:
            for d in errors:
                out.err(unwritten(d, change.texts))
            out.err(f"这次修改会带来 {len(errors)} 个错误，没有写入任何文件。"
                    "请按上面的提示改正后重试。")
            return 1
        for path, text in change.texts.items():
            write_atomic(Path(path), text)
        for path in sorted(change.removed - change.texts.keys()):
            Path(path).unlink(missing_ok=True)  # after its replacement is written
        for line in change.lines:
            out.out(line)
        for d in warnings:
            out.err(f"提醒：{d.format()}")
        if old_errors:
            out.err(f"提醒：数据中原有 {old_errors} 个错误（与这次修改无关），"
                    "请运行 jifen validate 查看并另行改正。")
        out.out("")
        out.out("校验通过。提交这次修改并发起合并请求：")
        paths = [*change.texts, *sorted(change.removed - change.texts.keys())]
        for command in git_commands(paths, change.message, change.branch):
            out.out(f"  {command}")
        out.out("然后在代码托管平台上发起合并请求（Pull Request / Merge Request）"
                + change.review + "。")
        return 0


WritingCommand = Callable[[Run, Output, Session], int]


# --- asking for what is missing ---------------------------------------------------------------

class Asker:
    """Asks for missing options: always with ``-i``, for required ones at a terminal.

    The lock is let go before the first question and the answers are kept
    (``Session``); the command is then worked out again under the lock, with the same
    answers."""

    def __init__(self, run: Run, session: Session) -> None:
        self.explicit: bool = bool(getattr(run.args, "interactive", False))
        self.console: Console = run.console
        self.tty = self.console.terminal
        self.session = session

    @property
    def on(self) -> bool:
        return self.explicit or self.tty

    def require(self, missing: Sequence[str], why: str = "") -> None:
        """Without prompts, name the missing options (exit 2); ``why`` says what needs them."""
        if missing and not self.on:
            raise UsageError(f"缺少 {'、'.join(missing)}{why}。请在命令行中给出，"
                             "或加上 -i 逐项填写。")

    def ask(self, prompt: str, check: Check | None = None, *, optional: bool = False) -> str:
        """One answer; asked again while ``check`` finds fault. ``""`` when optional and
        left blank."""
        session, console = self.session, self.console
        if session.replaying:
            return session.replay(prompt, check)
        session.before_question()
        while True:
            try:
                answer = console.ask(prompt)
            except EOFError:
                console.say()
                raise UsageError(f"输入已结束，没有得到“{prompt.rstrip('：: ')}”。"
                                 "没有写入任何文件。") from None
            except KeyboardInterrupt:
                console.say()
                raise UsageError("已取消，没有写入任何文件。") from None
            if not self.tty:
                console.say(answer)  # keeps a transcript readable when answers are piped in
            answer = answer.strip()
            if not answer:
                if optional:
                    return session.keep(prompt, "")
                console.say("这一项必须填写。")
                continue
            problem = check(answer) if check else None
            if problem is None:
                return session.keep(prompt, answer)
            console.say(problem)


# --- the new text of files --------------------------------------------------------------------

def read_data(path: Path) -> str | None:
    """A data file's text (None if it does not exist); an undecodable file is an error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EditError(f"{path} 第 {exc.start + 1} 个字节不是 UTF-8 编码，无法自动修改。"
                        "请先把文件另存为 UTF-8 编码。") from None


def current_text(change: Change, path: Path) -> str | None:
    """The text of ``path`` as this change has it so far (or as it is on disk)."""
    shown = str(path)
    return change.texts[shown] if shown in change.texts else read_data(path)


def append(change: Change, path: Path, list_key: str, branch: str, fields: Sequence[Field],
           empty: Sequence[str] = ()) -> None:
    """One more record at the end of ``list_key`` in ``path``, a new file if need be
    (with an empty list for each key of ``empty``)."""
    shown = str(path)
    text = current_text(change, path)
    if text is None:
        change.created.add(shown)
        change.texts[shown] = edit.new_file(branch, list_key, fields, empty)
    else:
        change.texts[shown] = edit.append_item(text, list_key, fields, branch=branch,
                                               path=shown)


def writing(command: WritingCommand) -> Callable[[Run, Output], int]:
    """Make ``command`` a writing command: it runs holding the data directory's lock
    (``writing.py``), from its first read of the data to its last write, so writers
    take turns and each one reads what the one before it wrote. A writer that waits too
    long, or cannot lock, says so and writes nothing. It writes through
    ``session.finish`` only."""

    @functools.wraps(command)
    def locked(run: Run, out: Output) -> int:
        session = Session(run)
        printed = len(out.stdout), len(out.stderr)
        try:
            session.lock.acquire(wait_seconds())
            try:
                return command(run, out, session)
            except _Replay:
                pass
            # answers were typed without the lock: take it again and start over from
            # the data as it is now, with the same answers
            del out.stdout[printed[0]:], out.stderr[printed[1]:]
            session.unlocked, session.replaying = False, True
            session.lock.acquire(wait_seconds())
            return command(run, out, session)
        except LockError as exc:
            out.err(str(exc))
            return 1
        except Stale as exc:
            return out.fail([str(exc)])
        finally:
            session.lock.release()

    return locked


# --- checking a change ----------------------------------------------------------------------------

def _key(d: Diagnostic) -> tuple[str, str, str]:
    return d.path, d.code, d.message


def new_problems(run: Run, texts: dict[str, str], before: list[Diagnostic],
                 removed: Iterable[str] = ()) -> tuple[list[Diagnostic], list[Diagnostic], int]:
    """The errors and warnings that replacing files by ``texts`` (path as loaded -> new
    text) and deleting ``removed`` would bring in, and how many of the errors the data
    had before remain: the whole data set is checked with the changed files replaced by
    their new text (unchanged files come from the parse cache)."""
    data = run.data
    blobs = {path: text.encode("utf-8") for path, text in texts.items()}
    gone = set(blobs) | set(removed)
    loaded = load(scan(data, run.cache), cache=run.cache)
    documents = [d for d in loaded.documents if d.path not in gone]
    diagnostics = [d for d in loaded.diagnostics if d.path not in gone]
    for path, blob in blobs.items():
        relative = Path(path).relative_to(data).as_posix()
        single = load_blobs({"d/" + relative: blob}, "d")  # parsed and schema-checked alone
        documents += [replace(doc, path=path) for doc in single.documents]
        diagnostics += [replace(d, path=path) for d in single.diagnostics
                        if d.path == "d/" + relative]
    order = {kind.name: i for i, kind in enumerate(KINDS)}
    documents.sort(key=lambda doc: (order[doc.kind], doc.relative))

    def read(path: str) -> bytes:
        return blobs[path] if path in blobs else Path(path).read_bytes()

    _, after, _ = pipeline.validated(Loaded(documents, diagnostics), run.today, read)
    known = Counter(_key(d) for d in before)
    new: list[Diagnostic] = []
    for d in after:
        if known[_key(d)] > 0:
            known[_key(d)] -= 1
        else:
            new.append(d)
    errors = [d for d in new if d.is_error]
    remaining = sum(d.is_error for d in after) - len(errors)
    return errors, [d for d in new if not d.is_error], remaining


def unwritten(d: Diagnostic, texts: dict[str, str]) -> str:
    """A problem as printed: where it is, in a file that exists as it is; in a file that
    was not written, the file and the record only (its lines exist nowhere)."""
    if d.path not in texts:
        return d.format()
    record = ""
    if len(d.pointer) >= 2 and isinstance(d.pointer[1], int):
        value, _, _ = yamlio.parse(d.path, texts[d.path].encode("utf-8"))
        items = value.get(d.pointer[0]) if isinstance(value, dict) else None
        item = items[d.pointer[1]] if isinstance(items, list) and \
            0 <= d.pointer[1] < len(items) else None
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            record = f"，{item['id']}"
    return f"{d.path}（未写入{record}）：{d.code} {d.message}"


def git_commands(paths: Iterable[str], message: str, branch: str) -> list[str]:
    """The commands that propose a change as a pull request, for people new to Git."""
    branch = re.sub(r"\.{2,}|@\{|[^A-Za-z0-9._/-]", "-", branch).strip("-./")
    branch = branch.removesuffix(".lock") or "jifen-edit"
    return [f"git switch -c {shlex.quote(branch)}",
            "git add " + " ".join(shlex.quote(str(p)) for p in paths),
            f"git commit -m {shlex.quote(message)}",
            "git push -u origin HEAD"]
