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
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO, TypeAlias

from generator import private
from generator.cache import Cache
from generator.errors import Diagnostic
from generator.exceptions import UsageError
from generator.load import Scan, scan
from generator.model import Dataset
from generator.pipeline import check

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


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
                            help="把这一天当作今天（用于复核历史或测试；默认：今天）")
        parser.set_defaults(run=run, memo=memo)
    return parser


def kinds(parser: argparse.ArgumentParser) -> Commands:
    """The kinds of a grouping command (``jifen add event|meeting``)."""
    return parser.add_subparsers(dest="what", required=True, metavar="类别")


def add_year(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, required=True, help="积分年度，例如 2025")


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
    """``--today``, or the calendar's today."""
    return args.today or dt.date.today().isoformat()


def year_as_of(args: argparse.Namespace) -> str:
    """``--as-of`` within ``--year``; by default the year's last day, or today if earlier."""
    if args.as_of:
        if args.as_of[:4] != str(args.year):
            raise UsageError(f"--as-of {args.as_of} 不在 {args.year} 年度内。")
        return str(args.as_of)
    return min(f"{args.year}-12-31", today(args))


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

    def valid_dataset(self, out: Output, purpose: str = "计算积分") -> Dataset | None:
        """The dataset when it has no errors; otherwise the errors go to stderr."""
        dataset, diagnostics, files = self.check()
        errors = [d for d in diagnostics if d.is_error]
        if not errors:
            return dataset
        out.fail([d.format() for d in errors],
                 summary(files, diagnostics) + f"数据有错误，无法{purpose}；请先改正。")
        return None
