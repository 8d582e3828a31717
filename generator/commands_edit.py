"""Commands that write data for registrars: ``jifen add event|meeting``, ``approve``,
``verify``, ``void`` (see the README).

Each command works out the new text of one or more data files (``edit.py``: the
text is edited, never re-dumped, so comments and formatting stay), checks the whole
data set with those files replaced, and writes only when the change brings in no new
error. It then prints the Git commands that propose the change as a merge request.
Every writing command (these and ``jifen close``) is wrapped by ``writing``: it holds
the data directory's lock (``writing.py``) from its first read of the data to its last
write, and writes through ``finish`` only, so parallel writers take turns and none
loses another's record.
Missing options are asked for (in Chinese) with ``-i`` or at a terminal; otherwise
they are a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import re
import shlex
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator import edit
from generator.edit import EditError, Field, flow_list, plain, quoted
from generator.errors import Diagnostic
from generator.exceptions import UsageError
from generator.model import RULE_KIND_NAMES, STATUS_NAMES, Dataset, Event, Member
from generator.periods import quarter_of
from generator.writing import Lock, LockError, wait_seconds, write_atomic

if TYPE_CHECKING:
    from generator.cli import Output, Run

# Short enough not to be wrapped by argparse in an 80-column terminal.
EPILOG_ADD = "示例：jifen add event --member m01 --rule K7 --date 2025-03-05 --points -3"
EPILOG_ADD_EVENT = EPILOG_ADD
EPILOG_ADD_MEETING = "示例：jifen add meeting --branch b-a --date 2025-03-10 --title 3月主题党日"
EPILOG_APPROVE = "示例：jifen approve ev-b-a-2025-03-01 --by 党工委 --on 2025-03-28"
EPILOG_VERIFY = "示例：jifen verify ev-b-a-2025-03-01"
EPILOG_VOID = "示例：jifen void ev-b-a-2025-03-02 --reason 重复登记"

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_SEPARATORS = re.compile(r"[\s,，、;；]+")
STATUS_CHOICES = ("declared", "verified", "registered")


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD：{text}") from None


def _batch(text: str) -> str:
    if not _ID.match(text) or len(text) > 32:
        raise argparse.ArgumentTypeError(
            f"批次名只能用小写字母、数字、“.”“_”“-”（不超过 32 个字符），例如 batch-02：{text}")
    return text


def register(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]
             ) -> None:
    """Add the commands to the ``jifen`` parser."""
    p = sub.add_parser("add", help="登记一条加扣分或一次会议（写入 YAML 文件，不必手写 YAML）",
                       description="登记一条加扣分（jifen add event）或一次组织生活会议"
                       "（jifen add meeting）：写入对应的数据文件，写入前先校验。",
                       epilog=EPILOG_ADD)
    kinds = p.add_subparsers(dest="what", required=True, metavar="类别")

    e = kinds.add_parser("event", help="登记一条加分申报或扣分",
                         description="登记一条加分申报（规则 J…，写入 additions/支部/年-月.yaml）"
                         "或扣分（规则 K…，写入 events/支部/年-月.yaml）。党员所在支部取自党员档案。",
                         epilog=EPILOG_ADD_EVENT)
    common(e)
    _interactive(e)
    e.add_argument("--member", metavar="ID", help="党员编号，例如 m01")
    e.add_argument("--rule", metavar="CODE", help="规则编号，例如 J3（加分）、K7（扣分）")
    e.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="发生日期")
    e.add_argument("--points", type=int, metavar="N",
                   help="分值，带符号（加分为正，扣分为负）；规则分值固定时可不填")
    e.add_argument("--note", metavar="TEXT", help="说明（不公开）")
    e.add_argument("--evidence", metavar="TEXT", help="书面记录依据（加分必填，不公开）")
    e.add_argument("--status", choices=STATUS_CHOICES,
                   help="状态（加分默认 declared 个人申报；扣分默认不填，即 registered）。"
                   "审定用 jifen approve，作废用 jifen void")
    e.add_argument("--id", metavar="ID", help="登记编号（默认：ev-支部-年-月-序号，自动取下一个）")
    e.add_argument("--batch", type=_batch, metavar="NAME",
                   help="写入单独的批次文件 年-月-NAME.yaml（同一个月有几个合并请求同时进行时用）")
    e.set_defaults(run=cmd_add_event, memo=False)

    m = kinds.add_parser("meeting", help="登记一次组织生活会议及考勤",
                         description="登记一次组织生活会议及考勤，写入 meetings/支部/年.yaml。"
                         "名单中的多人用逗号分隔；不在任何名单上的人员视为出席。",
                         epilog=EPILOG_ADD_MEETING)
    common(m)
    _interactive(m)
    m.add_argument("--branch", metavar="ID", help="召开会议的党支部编号")
    m.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="会议日期")
    m.add_argument("--title", metavar="TEXT", help="会议名称，例如：3月主题党日")
    for name, words in (("absent", "无故缺席（扣 5 分）"), ("leave", "请假（扣 2 分）"),
                        ("late", "迟到（扣 1 分）"), ("early", "早退（扣 1 分）")):
        m.add_argument(f"--{name}", action="append", metavar="m1,m2",
                       help=f"{words}的人员编号，逗号分隔")
    m.add_argument("--id", metavar="ID", help="会议编号（默认：mt-支部-年-月-序号，自动取下一个）")
    m.set_defaults(run=cmd_add_meeting, memo=False)

    p = sub.add_parser("approve", help="党工委审定加分（status: approved）",
                       description="党工委审定加分：把个人申报或支部核实的加分改为 approved，"
                       "并写明审定人和审定日期。", epilog=EPILOG_APPROVE)
    common(p)
    _interactive(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="加分登记编号，可以有多个")
    p.add_argument("--by", metavar="TEXT", help="审定人，例如：党工委（2025年第3次委员会议）")
    p.add_argument("--on", type=_date, metavar="YYYY-MM-DD", help="审定日期")
    p.set_defaults(run=cmd_approve, memo=False)

    p = sub.add_parser("verify", help="支部核实加分申报（status: verified）",
                       description="支部核实加分申报：把个人申报（declared）的加分改为 verified，"
                       "等待党工委审定。", epilog=EPILOG_VERIFY)
    common(p)
    _interactive(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="加分登记编号，可以有多个")
    p.set_defaults(run=cmd_verify, memo=False)

    p = sub.add_parser("void", help="作废一条加扣分登记（保留记录，status: void）",
                       description="作废加扣分登记：记录保留在文件中，状态改为 void 并写明原因，"
                       "不再计分。", epilog=EPILOG_VOID)
    common(p)
    _interactive(p)
    p.add_argument("ids", nargs="*", metavar="ID", help="登记编号，可以有多个")
    p.add_argument("--reason", metavar="TEXT", help="作废原因")
    p.set_defaults(run=cmd_void, memo=False)


def _interactive(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--interactive", action="store_true",
                        help="逐项询问命令行中没有给出的内容（在终端中运行时，缺少必填项也会询问）")


# --- asking for what is missing ---------------------------------------------------------------

Check = Callable[[str], str | None]  # an answer -> what is wrong with it (None: fine)


class Asker:
    """Asks for missing options: always with ``-i``, for required ones at a terminal.

    Inside a ``writing`` command the lock is let go before the first question (nobody
    waits while a person types) and the answers are kept; the command is then worked
    out again under the lock from the data as it is by then, with the same answers."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.explicit: bool = args.interactive
        stdin = sys.stdin
        self.tty = stdin is not None and stdin.isatty()
        self.session = _session(args)

    @property
    def on(self) -> bool:
        return self.explicit or self.tty

    def require(self, missing: Sequence[str]) -> None:
        """Without prompts, name the missing options (exit 2)."""
        if missing and not self.on:
            raise UsageError(f"缺少 {'、'.join(missing)}。请在命令行中给出，"
                             "或加上 -i 逐项填写。")

    def ask(self, prompt: str, check: Check | None = None, *, optional: bool = False) -> str:
        """One answer; asked again while ``check`` finds fault. ``""`` when optional and
        left blank."""
        session = self.session
        if session is not None and session.replaying:
            return session.replay(prompt, check)
        if session is not None and session.lock.held:
            session.lock.release()
            session.unlocked = True
        while True:
            try:
                answer = input(prompt)
            except EOFError:
                print()
                raise UsageError(f"输入已结束，没有得到“{prompt.rstrip('：: ')}”。"
                                 "没有写入任何文件。") from None
            except KeyboardInterrupt:
                print()
                raise UsageError("已取消，没有写入任何文件。") from None
            if not self.tty:
                print(answer)  # keeps a transcript readable when answers are piped in
            answer = answer.strip()
            if not answer:
                if optional:
                    return _kept(session, prompt, "")
                print("这一项必须填写。")
                continue
            problem = check(answer) if check else None
            if problem is None:
                return _kept(session, prompt, answer)
            print(problem)


def _kept(session: Session | None, prompt: str, answer: str) -> str:
    if session is not None:
        session.answers.append((prompt, answer))
    return answer


def _check_date(text: str) -> str | None:
    try:
        _date(text)
    except argparse.ArgumentTypeError as exc:
        return str(exc)
    return None


def _check_int(text: str) -> str | None:
    try:
        int(text)
    except ValueError:
        return f"分值应是整数（扣分为负数），例如 -5：{text}"
    return None


def _ids(values: Sequence[str] | None) -> list[str]:
    """Ids given as repeated options and/or separated by commas or spaces, in order."""
    found: list[str] = []
    for value in values or ():
        for ident in _SEPARATORS.split(value):
            if ident and ident not in found:
                found.append(ident)
    return found


def _usable_text(*values: str | None) -> None:
    for value in values:
        if value is not None and any("\ud800" <= c <= "\udfff" for c in value):
            raise UsageError("参数中有无法识别的字符（不是 UTF-8 编码）。请检查终端的编码设置。")


# --- one writer at a time ---------------------------------------------------------------------

Command = Callable[["Run", "Output"], int]


class _Replay(Exception):
    """Raised by ``finish`` when answers were typed without the lock held."""


class _Stale(Exception):
    """The data changed while the answers were typed: they no longer fit."""


@dataclass
class Session:
    """One run of a writing command: its lock, and the answers typed so far."""

    lock: Lock
    answers: list[tuple[str, str]] = field(default_factory=list)  # (prompt, answer)
    unlocked: bool = False  # the lock was let go to ask a question
    replaying: bool = False  # the second pass: answers come from ``answers``
    _next: int = 0

    def replay(self, prompt: str, check: Check | None) -> str:
        stale = ("数据在填写期间被其他人修改了，刚才填写的内容可能已不适用"
                 f"（“{prompt.rstrip('：: ')}”）。请重新运行这条命令。")
        if self._next >= len(self.answers) or self.answers[self._next][0] != prompt:
            raise _Stale(stale)
        answer = self.answers[self._next][1]
        self._next += 1
        problem = check(answer) if check and answer else None
        if problem is not None:
            raise _Stale(f"{problem}\n{stale}")
        return answer


def _session(args: argparse.Namespace) -> Session | None:
    found = getattr(args, "writing_session", None)
    return found if isinstance(found, Session) else None


def writing(command: Command) -> Command:
    """Make ``command`` a writing command: it runs holding the data directory's lock
    (``writing.py``), from its first read of the data to its last write, so writers
    take turns and each one reads what the one before it wrote. A writer that waits too
    long, or cannot lock, says so and writes nothing. Every writing command writes
    through ``finish``."""

    @functools.wraps(command)
    def locked(run: Run, out: Output) -> int:
        args = run.args
        session = Session(Lock(args.data))
        args.writing_session = session
        printed = len(out.stdout), len(out.stderr)
        try:
            session.lock.acquire(wait_seconds())
            try:
                return command(run, out)
            except _Replay:
                pass
            # answers were typed without the lock: take it again and start over from
            # the data as it is now, with the same answers
            del out.stdout[printed[0]:], out.stderr[printed[1]:]
            session.unlocked, session.replaying = False, True
            session.lock.acquire(wait_seconds())
            return command(run, out)
        except LockError as exc:
            out.err(str(exc))
            return 1
        except _Stale as exc:
            out.err(str(exc))
            out.err("没有写入任何文件。")
            return 1
        finally:
            session.lock.release()
            del args.writing_session

    return locked


# --- checking and writing ---------------------------------------------------------------------

@dataclass
class Change:
    """What a command is about to write: new text per file, and how to describe it."""

    texts: dict[str, str] = field(default_factory=dict)  # path (as loaded) -> new text
    created: set[str] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)  # what was written, for the user
    branch: str = ""  # a Git branch name for the merge request
    message: str = ""  # the commit message
    review: str = ""  # who reviews the merge request (after a comma), if worth saying


def _today(args: argparse.Namespace) -> str:
    return args.today or dt.date.today().isoformat()


def _key(d: Diagnostic) -> tuple[str, str, str]:
    return d.path, d.code, d.message


def _check_change(run: Run, change: Change, before: list[Diagnostic]
                  ) -> tuple[list[Diagnostic], list[Diagnostic], int]:
    """The errors and warnings the change would bring in, and how many of the errors the
    data had before remain: the whole data set is checked with the changed files replaced
    by their new text (unchanged files come from the parse cache)."""
    from generator import pipeline
    from generator.kinds import KINDS
    from generator.load import Loaded, load, load_blobs, scan

    data: Path = run.args.data
    blobs = {path: text.encode("utf-8") for path, text in change.texts.items()}
    loaded = load(scan(data, run.cache), cache=run.cache)
    documents = [d for d in loaded.documents if d.path not in blobs]
    diagnostics = [d for d in loaded.diagnostics if d.path not in blobs]
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

    _, after, _ = pipeline.validated(Loaded(documents, diagnostics), _today(run.args), read)
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


def finish(run: Run, out: Output, change: Change, before: list[Diagnostic]) -> int:
    """The one way data is written: check the change against the whole data set; write
    it (each file in one rename) and say how to propose it, or write nothing. Runs
    inside a ``writing`` command, under the data directory's lock; ``before`` must have
    been read under that lock too."""
    session = _session(run.args)
    if session is None:  # a programming error: the command lacks @writing
        raise RuntimeError("commands_edit.finish runs only inside a @writing command")
    if session.unlocked:
        raise _Replay  # answers were typed without the lock: work it out again under it
    errors, warnings, old_errors = _check_change(run, change, before)
    if errors:
        for d in errors:
            out.err(d.format())
        out.err(f"这次修改会带来 {len(errors)} 个错误（行号指修改后的文件），没有写入任何文件。"
                "请按上面的提示改正后重试。")
        return 1
    for path, text in change.texts.items():
        write_atomic(Path(path), text)
    for line in change.lines:
        out.out(line)
    for d in warnings:
        out.err(f"提醒：{d.format()}")
    if old_errors:
        out.err(f"提醒：数据中原有 {old_errors} 个错误（与这次修改无关），"
                "请运行 jifen validate 查看并另行改正。")
    out.out("")
    out.out("校验通过。提交这次修改并发起合并请求：")
    for command in _git_commands(change):
        out.out(f"  {command}")
    out.out("然后在代码托管平台上发起合并请求（Pull Request / Merge Request）" + change.review + "。")
    return 0


def _git_commands(change: Change) -> list[str]:
    return git_commands(change.texts, change.message, change.branch)


def git_commands(paths: Iterable[str], message: str, branch: str) -> list[str]:
    """The commands that propose a change as a pull request, for people new to Git."""
    branch = re.sub(r"\.{2,}|@\{|[^A-Za-z0-9._/-]", "-", branch).strip("-./")
    branch = branch.removesuffix(".lock") or "jifen-edit"
    return [f"git switch -c {shlex.quote(branch)}",
            "git add " + " ".join(shlex.quote(str(p)) for p in paths),
            f"git commit -m {shlex.quote(message)}",
            "git push -u origin HEAD"]


def _fail(out: Output, problems: Sequence[str]) -> int:
    for problem in problems:
        out.err(problem)
    out.err("没有写入任何文件。")
    return 1


def _read(path: Path) -> str | None:
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


def _append(change: Change, path: Path, list_key: str, branch: str,
            fields: Sequence[Field]) -> None:
    shown = str(path)
    text = change.texts.get(shown)
    if text is None:
        text = _read(path)
    if text is None:
        change.created.add(shown)
        change.texts[shown] = edit.new_file(branch, list_key, fields)
    else:
        change.texts[shown] = edit.append_item(text, list_key, fields, branch=branch,
                                               path=shown)


def _taken_numbers(prefix: str, taken: set[str]) -> str:
    """The next id ``prefix<nn>`` after the highest number already used with ``prefix``."""
    pattern = re.compile(re.escape(prefix) + r"([0-9]+)$")
    numbers = [int(m.group(1)) for ident in taken if (m := pattern.match(ident))]
    n = max(numbers, default=0) + 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


def next_event_id(dataset: Dataset, branch: str, date: str, batch: str | None = None) -> str:
    """``ev-<branch>-<YYYY>-<MM>-<nn>`` (with the batch name before ``nn`` for a batch
    file, so that batches prepared in parallel merge requests never share an id)."""
    taken = {e.id for e in dataset.events} | dataset.files.broken_ids("event")
    prefix = f"ev-{branch}-{date[:4]}-{date[5:7]}-" + (f"{batch}-" if batch else "")
    return _taken_numbers(prefix, taken)


def next_meeting_id(dataset: Dataset, branch: str, date: str) -> str:
    taken = {m.id for m in dataset.meetings} | dataset.files.broken_ids("meeting")
    return _taken_numbers(f"mt-{branch}-{date[:4]}-{date[5:7]}-", taken)


def _edit_error(out: Output, exc: EditError) -> int:
    return _fail(out, [str(exc)])


# --- jifen add event ------------------------------------------------------------------------

def _closed_message(quarter: str, meeting: str) -> str:
    return (f"{quarter} 已于 {meeting} 经支委会审定公布，不能再登记日期在该季度的事项。"
            "审定后发现的漏登，请以未审定季度内的日期（例如今天）登记，并在 note 中写明原发生日期；"
            "登记有误的，请登记更正（corrections）。")


@writing
def cmd_add_event(run: Run, out: Output) -> int:
    args = run.args
    ask = Asker(args)
    _usable_text(args.member, args.rule, args.note, args.evidence, args.id)
    ask.require([option for option, value in (("--member", args.member), ("--rule", args.rule),
                                              ("--date", args.date)) if value is None])
    dataset, before, _ = run.check()

    def known_member(ident: str) -> str | None:
        if ident in dataset.members:
            return None
        return f"党员“{ident}”不存在。请核对编号（见 data/members/），或先建立该党员的档案。"

    member_id = args.member or ask.ask("党员编号（例如 m01）：", known_member)
    if known_member(member_id):
        return _fail(out, [known_member(member_id) or ""])
    member = dataset.members[member_id]
    codes = {code for c in dataset.catalogues for code in c.versions}

    def known_rule(code: str) -> str | None:
        if code.upper() in codes:
            return None
        return f"规则“{code}”不存在。请核对 data/rules/ 中的规则编号（例如 J3、K7）。"

    rule_code = args.rule or ask.ask("规则编号（见 data/rules/，例如 J3、K7）：", known_rule)
    rule_code = rule_code.strip()
    if rule_code not in codes and rule_code.upper() in codes:
        rule_code = rule_code.upper()
    date = args.date or _date(ask.ask("发生日期（YYYY-MM-DD）：", _check_date))
    rule = dataset.rule_for(member, rule_code, date)
    if rule is None:
        return _fail(out, [f"规则“{rule_code}”在 {date} 不适用于{member.name}（{member.id}）："
                           "它不在该党员所在党支部适用的积分标准中，或当天不在有效期内。"
                           "请核对 data/rules/ 中的规则编号和有效期。"])
    addition = rule.is_addition

    points = args.points
    if points is None and rule is not None and rule.range is not None and ask.on:
        lo, hi = rule.range
        points = int(ask.ask(f"分值（规则 {rule.code}“{rule.name}”为 {lo} 到 {hi} 分）：",
                             _check_int))
    evidence = args.evidence
    if evidence is None and addition and ask.on:
        evidence = ask.ask("书面记录依据（加分必填，例如：志愿服务签到表 2025-03-05）：")
    note = args.note
    if note is None and ask.explicit:
        note = ask.ask("说明（不公开，可留空，直接回车跳过）：", optional=True) or None
    _usable_text(member_id, rule_code, note, evidence)
    status = args.status or ("declared" if addition else None)
    closed = dataset.derived.closed.get((member.id, quarter_of(date)))
    if closed is not None and not addition:
        return _fail(out, [_closed_message(closed.quarter, closed.meeting)])

    branch = member.branch
    folder = "additions" if addition else "events"
    name = f"{date[:7]}-{args.batch}.yaml" if args.batch else f"{date[:7]}.yaml"
    path = args.data / folder / branch / name
    ident = args.id or next_event_id(dataset, branch, date, args.batch)

    fields: list[Field] = [("id", plain(ident)), ("member", plain(member_id)),
                           ("rule", plain(rule_code)), ("date", plain(date))]
    if points is not None:
        fields.append(("points", plain(points)))
    if note is not None:
        fields.append(("note", quoted(note)))
    if evidence is not None:
        fields.append(("evidence", quoted(evidence)))
    if status is not None:
        fields.append(("status", plain(status)))

    change = Change()
    try:
        _append(change, path, "events", branch, fields)
    except EditError as exc:
        return _edit_error(out, exc)
    what = "加分申报" if addition else "扣分登记"
    shown = str(path)
    state = f"，状态：{STATUS_NAMES[status]}" if status else ""
    rule_name = f"“{rule.name}”" if rule else ""
    change.lines.append(
        f"已{'新建' if shown in change.created else '写入'} {shown}：{what} {ident}"
        f"（{member.id} {member.name}，规则 {rule_code}{rule_name}，{date}{state}）。")
    change.branch = f"add-{ident}"
    change.message = f"{'申报加分' if addition else '登记扣分'} {ident}（{member.id}，{rule_code}，{date}）"
    return finish(run, out, change, before)


# --- jifen add meeting ----------------------------------------------------------------------

@writing
def cmd_add_meeting(run: Run, out: Output) -> int:
    args = run.args
    ask = Asker(args)
    lists = {name: _ids(getattr(args, name)) for name in ("absent", "leave", "late", "early")}
    _usable_text(args.branch, args.title, args.id, *(i for ids in lists.values() for i in ids))
    ask.require([option for option, value in (("--branch", args.branch), ("--date", args.date),
                                              ("--title", args.title)) if value is None])
    dataset, before, _ = run.check()
    branches = dataset.organization.branches if dataset.organization else {}

    def known_branch(ident: str) -> str | None:
        if ident in branches:
            return None
        return f"党支部“{ident}”不存在。请使用 data/organization.yaml 中登记的党支部编号。"

    branch = args.branch or ask.ask("党支部编号（例如 b-a）：", known_branch)
    date = args.date or _date(ask.ask("会议日期（YYYY-MM-DD）：", _check_date))
    title = args.title or ask.ask("会议名称（例如：3月主题党日）：")
    if ask.explicit:
        words = {"absent": "无故缺席", "leave": "请假", "late": "迟到", "early": "早退"}
        for name, word in words.items():
            if getattr(args, name) is None:
                lists[name] = _ids([ask.ask(f"{word}的人员编号（逗号分隔，可留空）：",
                                            optional=True)])
    _usable_text(branch, title, *(i for ids in lists.values() for i in ids))

    closed_branch = [c for c in dataset.closes if c.branch == branch
                     and c.quarter == quarter_of(date)]
    if closed_branch:
        return _fail(out, [_closed_message(closed_branch[0].quarter, closed_branch[0].meeting)])
    ident = args.id or next_meeting_id(dataset, branch, date)
    fields: list[Field] = [("id", plain(ident)), ("branch", plain(branch)),
                           ("date", plain(date)), ("title", quoted(title))]
    fields += [(name, flow_list(ids)) for name, ids in lists.items() if ids]
    path = args.data / "meetings" / branch / f"{date[:4]}.yaml"
    change = Change()
    try:
        _append(change, path, "meetings", branch, fields)
    except EditError as exc:
        return _edit_error(out, exc)
    shown = str(path)
    counts = "，".join(f"{word} {len(lists[name])} 人" for name, word in
                      (("absent", "缺席"), ("leave", "请假"), ("late", "迟到"),
                       ("early", "早退")) if lists[name]) or "全体出席"
    change.lines.append(f"已{'新建' if shown in change.created else '写入'} {shown}：会议 {ident}"
                        f"（{branch}，{date}，{title}；{counts}）。")
    change.branch = f"add-{ident}"
    change.message = f"登记会议 {ident}（{title}，{date}）"
    return finish(run, out, change, before)


# --- jifen approve / verify / void ----------------------------------------------------------

Decide = Callable[[Event, bool], tuple[list[Field], str] | str]
"""For an event (and whether it is an addition): (fields to set, what was done) or the
reason it cannot be done."""


def _is_addition(dataset: Dataset, event: Event) -> bool:
    """What the catalogue says the event's rule is; for a rule it does not know, where
    the event is registered (additions live under additions/)."""
    member: Member | None = dataset.members.get(event.member)
    rule = dataset.rule_for(member, event.rule, event.date) if member else None
    return rule.is_addition if rule else event.path in dataset.files.additions


def _change_events(run: Run, out: Output, ids: list[str], decide: Decide, action: str,
                   message: str) -> int:
    dataset, before, _ = run.check()
    by_id: dict[str, list[Event]] = {}
    for event in dataset.events:
        by_id.setdefault(event.id, []).append(event)
    meeting_ids = {m.id for m in dataset.meetings}
    problems: list[str] = []
    chosen: list[tuple[Event, list[Field], str]] = []
    for ident in ids:
        found = by_id.get(ident, [])
        if not found:
            if ident in dataset.files.broken_ids("event"):
                problems.append(f"登记“{ident}”有格式错误，请先改正（运行 jifen validate 查看）。")
            elif ident in meeting_ids:
                problems.append(f"“{ident}”是会议编号，不是加扣分登记。会议考勤请修改 "
                                f"{run.args.data}/meetings/ 中的文件。")
            else:
                problems.append(f"找不到登记“{ident}”。请核对编号（jifen explain 党员编号 "
                                "--year 年度 可以列出一名党员的全部登记）。")
            continue
        if len(found) > 1:
            places = "、".join(e.path for e in found)
            problems.append(f"登记编号“{ident}”重复（{places}），请先改正。")
            continue
        event = found[0]
        decided = decide(event, _is_addition(dataset, event))
        if isinstance(decided, str):
            problems.append(decided)
        else:
            chosen.append((event, *decided))
    if problems:
        return _fail(out, problems)

    change = Change()
    try:
        for event, fields, done in chosen:
            text = change.texts.get(event.path)
            if text is None:
                text = _read(Path(event.path)) or ""
            change.texts[event.path] = edit.update_item(text, "events", event.id, fields,
                                                        path=event.path)
            change.lines.append(f"已写入 {event.path}：{event.id} {done}。")
    except EditError as exc:
        return _edit_error(out, exc)
    more = f"-and-{len(ids) - 1}-more" if len(ids) > 1 else ""
    change.branch = f"{action}-{ids[0]}{more}"
    change.message = message
    return finish(run, out, change, before)


def _ids_or_ask(args: argparse.Namespace, ask: Asker, prompt: str) -> list[str]:
    ids = _ids(args.ids)
    if not ids:
        ids = _ids([ask.ask(prompt)])
    _usable_text(*ids)
    return ids


def _kind_name(addition: bool) -> str:
    return RULE_KIND_NAMES["addition" if addition else "deduction"]


@writing
def cmd_approve(run: Run, out: Output) -> int:
    args = run.args
    ask = Asker(args)
    _usable_text(args.by)
    ask.require([option for option, value in (("登记编号 ID", args.ids or None),
                                              ("--by", args.by), ("--on", args.on))
                 if value is None])
    ids = _ids_or_ask(args, ask, "要审定的加分登记编号（多个用空格或逗号分隔）：")
    by = args.by or ask.ask("审定人（例如：党工委（2025年第3次委员会议））：")
    on = args.on or _date(ask.ask("审定日期（YYYY-MM-DD）：", _check_date))
    _usable_text(by)

    def decide(event: Event, addition: bool) -> tuple[list[Field], str] | str:
        if not addition:
            return (f"登记“{event.id}”是{_kind_name(addition)}（规则 {event.rule}），"
                    "扣分由支部登记，不需要党工委审定。")
        if event.status == "approved":
            return (f"登记“{event.id}”已经审定（审定人：{event.approved_by or '未填'}，"
                    f"审定日期：{event.approved_on or '未填'}）。")
        if event.status == "void":
            return f"登记“{event.id}”已作废，不能审定。"
        fields = [("status", plain("approved")), ("approved_by", quoted(by)), ("approved_on", plain(on))]
        return fields, f"改为党工委审定（{by}，{on}）"

    return _change_events(run, out, ids, decide, "approve",
                          f"审定加分 {'、'.join(ids)}（{by}，{on}）")


@writing
def cmd_verify(run: Run, out: Output) -> int:
    args = run.args
    ask = Asker(args)
    ask.require(["登记编号 ID"] if not args.ids else [])
    ids = _ids_or_ask(args, ask, "要核实的加分登记编号（多个用空格或逗号分隔）：")

    def decide(event: Event, addition: bool) -> tuple[list[Field], str] | str:
        if not addition:
            return (f"登记“{event.id}”是{_kind_name(addition)}（规则 {event.rule}），"
                    "只有加分申报需要支部核实。")
        if event.status in ("verified", "approved", "void"):
            return (f"登记“{event.id}”的状态已经是“{STATUS_NAMES[event.status]}”，"
                    "只有个人申报（declared）的加分才需要核实。")
        return [("status", plain("verified"))], "改为支部核实"

    return _change_events(run, out, ids, decide, "verify", f"核实加分申报 {'、'.join(ids)}")


@writing
def cmd_void(run: Run, out: Output) -> int:
    args = run.args
    ask = Asker(args)
    _usable_text(args.reason)
    ask.require([option for option, value in (("登记编号 ID", args.ids or None),
                                              ("--reason", args.reason)) if value is None])
    ids = _ids_or_ask(args, ask, "要作废的登记编号（多个用空格或逗号分隔）：")
    reason = args.reason or ask.ask("作废原因：")
    _usable_text(reason)

    def decide(event: Event, addition: bool) -> tuple[list[Field], str] | str:
        if event.status == "void":
            return f"登记“{event.id}”已经作废（原因：{event.void_reason or '未填'}）。"
        return [("status", plain("void")), ("void_reason", quoted(reason))], f"作废（{reason}）"

    return _change_events(run, out, ids, decide, "void",
                          f"作废登记 {'、'.join(ids)}：{reason}")
