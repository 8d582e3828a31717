"""The ``jifen`` command: the parser, assembled from the command families, and the run.

One module per family of commands, each a thin layer over the library (parse, call,
print): ``commands_check`` (validate, score, explain), ``commands_site`` (build,
serve), ``commands_review`` (diff, codeowners), ``commands_edit`` (add, verify,
approve, void, close), ``commands_amend`` (correct, object), ``commands_member``
(member add, change, move, leave) — the writing ones write data through
``change.py`` — ``commands_office`` (export, form) and ``commands_desk`` (desk,
decap-config: the web forms). What they share (options, ``Run``, ``Output``, the
Chinese argparse ``Parser``) is in ``options.py``.

Exit status: 0 success, 1 the data has errors (or warnings with ``--strict``), 2 the
command was used wrongly, 130 interrupted.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections.abc import Sequence

from generator import (
    __version__,
    commands_amend,
    commands_check,
    commands_desk,
    commands_edit,
    commands_member,
    commands_office,
    commands_review,
    commands_site,
    private,
)
from generator.cache import Cache
from generator.exceptions import UsageError
from generator.load import scan
from generator.options import Output, Parser, Run, today

FAMILIES = (commands_check, commands_site, commands_review, commands_edit, commands_amend,
            commands_member, commands_office, commands_desk)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="jifen", description="党员积分制动态量化管理：校验数据、计算积分、生成党务公开栏。")
    parser.add_argument("--version", action="version", version=f"jifen {__version__}",
                        help="显示版本号并退出")
    commands = parser.add_subparsers(dest="command", required=True, metavar="命令")
    for family in FAMILIES:
        family.register(commands)
    return parser


def _replayable(memo: object) -> bool:
    """(exit status, Output of text lines): anything else in the cache is a miss."""
    if not (isinstance(memo, tuple) and len(memo) == 2 and type(memo[0]) is int
            and type(memo[1]) is Output):
        return False
    lines = [getattr(memo[1], "stdout", None), getattr(memo[1], "stderr", None)]
    return all(isinstance(kept, list) and all(isinstance(t, str) for t in kept)
               for kept in lines)


def execute(args: argparse.Namespace) -> tuple[int, Output]:
    """Run one command. When every input is unchanged since an earlier identical
    run (same data contents, options, today and code), replay that run's output."""
    if not args.data.is_dir():
        raise UsageError(f"找不到数据目录 {args.data}。请用 --data 指定数据目录。")
    cache = None if args.no_cache else Cache()
    output = Output()
    if cache is None or not args.memo or private.consulted(args):
        # commands that write files, and runs that read the private store, always run
        return args.run(Run(args, None, cache), output), output
    found = scan(args.data, cache)
    options = repr(sorted((k, str(v)) for k, v in vars(args).items()
                          if k not in ("run", "today")))
    if found.complete:
        memo = cache.get(cache.memo_key(found.digest(), options, today(args)), _replayable)
        if isinstance(memo, tuple):
            code, kept = memo
            return code, kept
    code = args.run(Run(args, found, cache), output)
    if found.complete:  # loading fills in the keys the scan lacked
        key = cache.memo_key(found.digest(), options, today(args))
        cache.put(key, pickle.dumps((code, output), pickle.HIGHEST_PROTOCOL))
    return code, output


def main(argv: Sequence[str] | None = None) -> int:
    """``jifen`` with ``argv`` (default: the command line); prints to ``sys.stdout`` and
    ``sys.stderr`` as they are at the call, and returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse reported
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 2
    try:
        code, output = execute(args)
        sys.stdout.writelines(output.stdout)
        sys.stderr.writelines(output.stderr)
        return code
    except UsageError as exc:
        print(f"jifen: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:  # Ctrl-C: the worker processes are already stopped
        print("jifen: 已中断，没有写入任何文件。", file=sys.stderr)
        return 130
