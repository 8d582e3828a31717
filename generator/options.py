"""What every ``jifen`` command shares: the option definitions and argparse types, the
day a run takes as today, and the objects a command receives.

A command is a function ``(Run, Output) -> exit status``. ``Run`` holds its options,
the data (checked on demand) and the cache; ``Output`` collects what it prints, so
that an identical later run can replay it (``cli.execute``); ``Console`` is where the
registrars' commands ask for what is missing (``sys.stdin``/``sys.stdout`` at the time
of the call, which tests replace).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeAlias

from generator import private, records
from generator.cache import Cache
from generator.errors import Diagnostic
from generator.exceptions import UsageError
from generator.incremental import Outcome
from generator.load import Scan, scan
from generator.model import Dataset
from generator.pipeline import check, checked
from generator.report import width

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
TODAY_VARIABLE = "JIFEN_TODAY"  # the default of --today, when set (pinned days in scripts)


# --- argparse in Chinese ------------------------------------------------------------------------

_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_TOKENS = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")
_NO_BREAK_BEFORE = set("、，。；：！？）」』》,.;:!?)]}/")  # these never start a line
_NO_BREAK_AFTER = set("（「『《([{/")  # and these never end one


def wrap(text: str, columns: int) -> list[str]:
    """``text`` in lines of at most ``columns`` terminal columns (a Chinese character
    takes two), broken at spaces or between Chinese characters, never inside a word,
    before closing punctuation or after opening punctuation."""
    units: list[str] = []  # pieces no line is broken inside, spaces as their own pieces
    for token in _TOKENS.findall(" ".join(text.split())):
        if units and not token.isspace() and not units[-1].isspace() and (
                token[0] in _NO_BREAK_BEFORE or units[-1][-1] in _NO_BREAK_AFTER):
            units[-1] += token
        else:
            units.append(token)
    lines: list[str] = []
    line, used = "", 0
    for unit in units:
        if unit.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        size = width(unit)
        if line and used + size > columns:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + unit, used + size
    if line.strip():
        lines.append(line.rstrip())
    return lines


class HelpFormatter(argparse.HelpFormatter):
    """argparse's layout in Chinese: “用法：” for “usage: ”, text wrapped by terminal
    columns (argparse counts a Chinese character as one), and an example (an epilog
    starting “示例：”) never broken, so that it can be copied whole."""

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[argparse._MutuallyExclusiveGroup],
                  prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("示例："):
            return indent + text
        return "\n".join(indent + line for line in wrap(text, width))


# argparse's own messages (Python 3.11 to 3.13), in the order they are tried; the
# argument names, values and choices inside them stay as they are.
_ARGPARSE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), chinese) for pattern, chinese in (
        (r"^argument (.+?): (.*)$", r"参数 \1：\2"),
        (r"^the following arguments are required: (.*)$", r"缺少必填参数：\1"),
        (r"^one of the arguments (.*) is required$", r"以下参数须给出一个：\1"),
        (r"^unrecognized arguments: (.*)$", r"无法识别的参数：\1。请用 --help 查看可用的参数"),
        (r"^ambiguous option: (.*) could match (.*)$", r"选项 \1 有歧义，可能是：\2"),
        (r"^expected one argument$", "后面缺少一个值"),
        (r"^expected at most one argument$", "后面最多只能有一个值"),
        (r"^expected at least one argument$", "后面至少要有一个值"),
        (r"^expected (\d+) arguments?$", r"后面应有 \1 个值"),
        (r"^invalid choice: (.*?) \(choose from (.*)\)$", r"无效的选择 \1（可选：\2）"),
        (r"^invalid int value: (.*)$", r"应是整数：\1"),
        (r"^invalid (.*) value: (.*)$", r"值无效：\2"),
        (r"^not allowed with argument (.*)$", r"不能与参数 \1 同时使用"),
        (r"^ignored explicit argument (.*)$", r"多余的值 \1"),
    ))


def chinese_message(message: str) -> str:
    """An argparse error message in Chinese (those of our own types already are)."""
    outer = ""
    for pattern, chinese in _ARGPARSE_MESSAGES:
        found = pattern.match(message)
        if found is None:
            continue
        if pattern is _ARGPARSE_MESSAGES[0][0]:  # "argument X: <inner message>"
            outer, message = f"参数 {found.group(1)}：", found.group(2)
            continue
        return outer + found.expand(chinese)
    return outer + message


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` speaking Chinese: “用法：”, “位置参数”, “选项”, the
    help option, and the error messages (``jifen 命令：错误：…``, exit status 2). The
    kinds of a command (``add_parser``) are made with the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="显示这段帮助并退出")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{chinese_message(message)}\n")


# --- argparse types ----------------------------------------------------------------------------

def date(text: str) -> str:
    """``YYYY-MM-DD`` (an argparse type; also checks what is typed at a prompt)."""
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD：{text}") from None


def date_problem(text: str) -> str | None:
    """What is wrong with a typed date (None: nothing)."""
    try:
        date(text)
    except argparse.ArgumentTypeError as exc:
        return str(exc)
    return None


def xlsx(text: str) -> Path:
    if not text.lower().endswith(".xlsx"):
        raise argparse.ArgumentTypeError(f"输出文件名应以 .xlsx 结尾：{text}")
    return Path(text)


# --- the options -------------------------------------------------------------------------------

def command(commands: Commands, name: str, run: Callable[[Run, Output], int] | None, *,
            help: str, description: str, epilog: str, memo: bool = True
            ) -> argparse.ArgumentParser:
    """A command (or a kind of a command, such as ``add event``) with the options every
    command has: ``--data``, ``--no-cache``, ``--today``. ``memo=False``: never replayed
    (commands that write, or that cannot be replayed). Without ``run``: a command that
    only groups kinds (``jifen add``, ``jifen export``), with none of the options."""
    parser = commands.add_parser(name, help=help, description=description, epilog=epilog)
    if run is not None:
        parser.add_argument("--data", type=Path, default=Path("data"), metavar="DIR",
                            help="数据目录（默认：data）")
        parser.add_argument("--no-cache", action="store_true", help="不使用解析缓存")
        parser.add_argument("--today", type=date, default=None, metavar="YYYY-MM-DD",
                            help="把这一天当作今天（用于复核历史或测试；默认：环境变量 "
                            f"{TODAY_VARIABLE} 的日期，没有设置时为今天）")
        parser.set_defaults(run=run, memo=memo)
    return parser


def kinds(parser: argparse.ArgumentParser) -> Commands:
    """The kinds of a grouping command (``jifen add event|meeting``)."""
    return parser.add_subparsers(dest="what", required=True, metavar="类别")


def add_year(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--year", type=int, required=required, default=None,
                        help="积分年度，例如 2025" + ("" if required else "（默认：今天所在的年度）"))


def add_as_of(parser: argparse.ArgumentParser, meaning: str = "数据截至这一天",
              default: str = "今天", note: str = "") -> None:
    parser.add_argument("--as-of", type=date, default=None, metavar="YYYY-MM-DD",
                        help=f"{meaning}（默认：{default}）{note}")


def add_branch(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--branch", default=None, metavar="ID", help=help)


def add_format(parser: argparse.ArgumentParser, *choices: str) -> None:
    """``--format``: the first choice is the default."""
    parser.add_argument("--format", choices=choices, default=choices[0], help="输出格式")


def add_private(parser: argparse.ArgumentParser) -> None:
    """``--private FILE``: the private store (defined beside its lookup, ``private.py``)."""
    private.add_option(parser)


def add_interactive(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--interactive", action="store_true",
                        help="逐项询问命令行中没有给出的内容（在终端中运行时，缺少必填项也会询问）")


# --- the day ------------------------------------------------------------------------------------

def today(args: argparse.Namespace) -> str:
    """``--today``; else ``$JIFEN_TODAY`` (a README or a script pins its day with it);
    else the calendar's today."""
    if args.today:
        return str(args.today)
    pinned = os.environ.get(TODAY_VARIABLE)
    if pinned:
        problem = date_problem(pinned)
        if problem is not None:
            raise UsageError(f"环境变量 {TODAY_VARIABLE} 的值不对。{problem}")
        return date(pinned)
    return dt.date.today().isoformat()


def year_as_of(args: argparse.Namespace) -> str:
    """``--as-of`` within ``--year`` (default: today's year); by default the year's last
    day, or today if earlier."""
    if args.year is None:
        args.year = int(today(args)[:4])
    if args.as_of:
        if args.as_of[:4] != str(args.year):
            raise UsageError(f"--as-of {args.as_of} 不在 {args.year} 年度内。")
        return str(args.as_of)
    return min(f"{args.year}-12-31", today(args))


def usable_text(*values: str | None) -> None:
    """Text from the command line that a terminal mis-decoded cannot be written."""
    for value in values:
        if value is not None and any("\ud800" <= c <= "\udfff" for c in value):
            raise UsageError("参数中有无法识别的字符（不是 UTF-8 编码）。请检查终端的编码设置。")


def member_id(dataset: Dataset, text: str) -> str | None:
    """The member ``text`` names, by id or by name: their id; None when it names nobody.
    A name several members share is a usage error that lists them with their branches."""
    found = records.members_called(dataset, text)
    if isinstance(found, str):
        raise UsageError(found)
    return found.id if found is not None else None


def known_branch(dataset: Dataset, branch: str | None) -> None:
    """A ``--branch`` (or BRANCH) that the organisation does not have is a usage error."""
    if branch is not None and (dataset.organization is None
                               or branch not in dataset.organization.branches):
        raise UsageError(f"党支部“{branch}”不存在。请使用 data/organization.yaml 中的编号。")


# --- what a command receives -------------------------------------------------------------------

class Output:
    """What a command prints, kept so that an identical later run can replay it."""

    def __init__(self) -> None:
        self.stdout: list[str] = []
        self.stderr: list[str] = []

    def out(self, text: str) -> None:
        self.stdout.append(text + "\n")

    def err(self, text: str) -> None:
        self.stderr.append(text + "\n")

    def fail(self, problems: list[str], last: str = "没有写入任何文件。") -> int:
        """Each problem, then ``last``, on stderr: exit status 1."""
        for problem in problems:
            self.err(problem)
        self.err(last)
        return 1


@dataclass
class Console:
    """Where questions are asked and answered, at once (not kept by ``Output``)."""

    stdin: TextIO | None
    stdout: TextIO

    @classmethod
    def standard(cls) -> Console:
        return cls(sys.stdin, sys.stdout)

    @property
    def terminal(self) -> bool:
        return self.stdin is not None and self.stdin.isatty()

    def ask(self, prompt: str) -> str:
        """One line typed (without its line break); EOFError at the end of the input."""
        if self.stdin is None:
            raise EOFError
        if self.stdin is sys.__stdin__ and self.stdout is sys.__stdout__ and self.terminal:
            return input(prompt)  # at a terminal: with line editing
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            raise EOFError
        return line.removesuffix("\n").removesuffix("\r")

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)


def summary(files: int, diagnostics: list[Diagnostic]) -> str:
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if not diagnostics:
        return f"检查了 {files} 个文件，没有发现问题。"
    return f"检查了 {files} 个文件：{errors} 个错误，{warnings} 个警告。"


@dataclass
class Run:
    """What one command run sees: its options, the scanned data and the cache."""

    args: argparse.Namespace
    found: Scan | None = None  # scanned up front only when the run may be replayed
    cache: Cache | None = None
    console: Console = field(default_factory=Console.standard)

    @property
    def data(self) -> Path:
        return Path(self.args.data)

    @property
    def today(self) -> str:
        return today(self.args)

    def check(self) -> tuple[Dataset, list[Diagnostic], int]:
        """(data set, diagnostics, files read), as the data is now."""
        found = self.found or scan(self.data, self.cache)
        return check(found, today=self.today, cache=self.cache)

    def checked(self, scoring: tuple[int, str] | None = None) -> Outcome:
        """Every diagnostic (and with ``scoring`` = (year, as of), every member's standing
        when the data has no error), as the data is now: incrementally when there is a
        cache (``pipeline.checked``)."""
        found = self.found or scan(self.data, self.cache)
        return checked(found, today=self.today, cache=self.cache, scoring=scoring)

    def valid_outcome(self, out: Output, scoring: tuple[int, str] | None,
                      purpose: str = "计算积分") -> Outcome | None:
        """``checked`` when the data has no error; otherwise the errors go to stderr."""
        outcome = self.checked(scoring)
        errors = [d for d in outcome.diagnostics if d.is_error]
        if not errors:
            return outcome
        out.fail([d.format() for d in errors],
                 summary(outcome.files, outcome.diagnostics) + f"数据有错误，无法{purpose}；请先改正。")
        return None

    def valid_dataset(self, out: Output, purpose: str = "计算积分") -> Dataset | None:
        """The dataset when it has no errors; otherwise the errors go to stderr."""
        dataset, diagnostics, files = self.check()
        errors = [d for d in diagnostics if d.is_error]
        if not errors:
            return dataset
        out.fail([d.format() for d in errors],
                 summary(files, diagnostics) + f"数据有错误，无法{purpose}；请先改正。")
        return None
